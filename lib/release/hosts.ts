/**
 * One release across several hosts (SPEC §15), over the one-host flow (lib/release/flow.ts):
 * every host answers → pull on every host (a failed pull anywhere changes nothing) → confirm once
 * → the stage's rollout lock on every host, in name order → the release task, once, on its host
 * (lib/release/host_task.ts) → hosts updated `parallel` at a time, each through the one-host flow
 * with its own lock, wait and automatic rollback, all under one release id → if a host fails,
 * every host already updated goes back to its previous release → post_deploy hooks, once.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError, InterruptedError, withResult } from "../core/errors.ts";
import { runStep } from "../core/steps.ts";
import { confirmOrCancel } from "../core/ui.ts";
import type { Stage } from "../config/stage.ts";
import type { Engine } from "../engine/engine.ts";
import { refuseWithoutTerminal } from "./confirm.ts";
import { planSteps, runRelease } from "./flow.ts";
import { listReleases, releaseId } from "./history.ts";
import { runHooks, runPostHooks } from "./hooks.ts";
import { type HostPlan, hostPlans, reachHosts, withSharedHosts } from "./host_plans.ts";
import { lockHosts } from "./host_locks.ts";
import { pickRollback } from "./rollback.ts";
import { type DeployOptions, flowOptions, rollbackSelection } from "./selection.ts";
import type { FlowOptions, HostOutcome, ReleaseResult } from "./types.ts";
import { whoAmI } from "./who.ts";
import { combined, outcomeOf } from "./host_results.ts";
import { runHostTask, taskDryRun, taskHost } from "./host_task.ts";

/** `fleet deploy` of a stage with `hosts:`: one release, host by host. */
export async function deployHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  services: readonly string[],
  opts: DeployOptions,
): Promise<ReleaseResult> {
  const fo = flowOptions(engine, opts);
  const id = releaseId(deps.now());
  const plans = hostPlans(deps, engine, stage, services, opts, fo.pull);
  const task = taskHost(stage, plans);
  if (fo.dryRun) return await dryRunHosts(deps, engine, stage, plans, fo, id, task);
  refuseWithoutTerminal(deps.ui, stage, "deploy", fo);
  // what Compose would reject on any host: exit 2 before anything runs anywhere
  for (const p of plans) await engine.check(deps, p.ctx);
  return await withSharedHosts(deps, plans, async (plans) => {
    await reachHosts(deps, plans);
    await pullEverywhere(deps, engine, plans, fo);
    const secrets = plans[0]?.ctx.secretEnv ?? {}; // masked in the hooks' output
    await runHooks(deps, stage, "pre", { release: id, result: "pending", services }, secrets);
    showHosts(deps, stage, plans, id);
    if (task) {
      deps.ui.info(`    then, before any host changes: the release task on host ${task.host.name}`);
    }
    await confirmOrCancel(
      deps.ui,
      `deploy ${stage.name} to ${plans.length} hosts?`,
      "deploy cancelled: nothing was changed",
      fo.yes || !stage.confirm,
    );
    const who = await whoAmI(deps, stage.root);
    const info = { holder: who, since: deps.now().toISOString(), command: "deploy" };
    const o = { ...fo, pull: false, yes: true, release: id };
    const release = lockHosts(deps, plans, info, fo.lockWait, async () => {
      // the task's host as this release reaches it (its shared connection)
      const t = task && taskHost(stage, plans);
      if (t) await runHostTask(deps, engine, stage, plans, t, o);
      return await rollOut(deps, engine, stage, plans, o);
    });
    const r = await release.catch(async (e) => {
      const res = (e as { result?: ReleaseResult }).result;
      if (res && res.result !== "interrupted") await runPostHooks(deps, stage, res, secrets, e);
      throw e;
    });
    // as on one host: a failing post_deploy hook leaves the release standing, and exits 1
    await runPostHooks(deps, stage, r, secrets);
    return r;
  });
}

/** Pull on every host side by side, before anything stops anywhere. */
async function pullEverywhere(
  deps: Deps,
  engine: Engine,
  plans: readonly HostPlan[],
  o: FlowOptions,
) {
  const pulls = plans.map((p) => {
    const step = planSteps(engine, p.ctx, p.sel.services, p.sel.toPull, o, true)
      .find((s) => s.kind === "pull");
    return step ? runStep(deps, step) : Promise.resolve();
  });
  const done = await Promise.allSettled(pulls);
  const bad = done.flatMap((d, i) =>
    d.status === "rejected" ? [[plans[i], d.reason]] as const : []
  );
  if (bad.length === 0) return;
  const [p, e] = bad[0];
  if (e instanceof InterruptedError) throw e;
  throw new CommandError(
    `pull failed on host ${p.host.name} (${p.ctx.target.label}): ${(e as Error).message}; ` +
      "nothing was changed on any host",
    [],
    e instanceof CommandError ? e.stderrTail : "",
    { hint: `can host ${p.host.name} reach the registry, and is the image there?` },
  );
}

function showHosts(deps: Deps, stage: Stage, plans: readonly HostPlan[], id: string) {
  deps.ui.step(
    `deploy ${stage.project} to ${stage.name} on ${plans.length} hosts, release ${id}, ` +
      `${stage.parallel ?? 1} at a time`,
  );
  for (const p of plans) {
    deps.ui.info(`    ${p.host.name}  ${p.ctx.target.label}  ${p.sel.services.join(", ")}`);
  }
}

/** The hosts in batches of `parallel`; on the first failed batch, the updated ones go back. */
async function rollOut(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  plans: readonly HostPlan[],
  o: FlowOptions & { release: string },
): Promise<ReleaseResult> {
  const outcomes = new Map<string, HostOutcome>();
  const results: ReleaseResult[] = [];
  const step = stage.parallel ?? 1;
  for (let i = 0; i < plans.length; i += step) {
    const batch = plans.slice(i, i + step);
    batch.forEach((p) => deps.ui.step(`host ${p.host.name} (${p.ctx.target.label})`));
    const done = await Promise.allSettled(
      batch.map((p) => runRelease(deps, engine, p.ctx, p.sel, o)),
    );
    let failure: { plan: HostPlan; error: Error } | undefined;
    done.forEach((d, j) => {
      const p = batch[j];
      const r = d.status === "fulfilled"
        ? d.value
        : (d.reason as { result?: ReleaseResult }).result;
      if (r) results.push(r);
      outcomes.set(p.host.name, outcomeOf(p, r, d.status === "rejected" ? d.reason : undefined));
      if (d.status === "rejected" && !failure) failure = { plan: p, error: d.reason as Error };
    });
    if (failure?.error instanceof InterruptedError) {
      // Ctrl-C: each host's flow recorded where it stands; nothing more runs
      const r = combined(stage, plans, outcomes, results, o.release, "interrupted");
      throw withResult(failure.error, { ...r, error: failure.error.message });
    }
    if (failure) {
      return await undo(deps, engine, plans, outcomes, results, o, failure);
    }
  }
  return combined(stage, plans, outcomes, results, o.release, "ok");
}

/**
 * A host failed (its own flow rolled it back where it could): every host updated in this release
 * goes back to the release it ran before, and the deploy fails naming the host.
 */
async function undo(
  deps: Deps,
  engine: Engine,
  plans: readonly HostPlan[],
  outcomes: Map<string, HostOutcome>,
  results: ReleaseResult[],
  o: FlowOptions & { release: string },
  failure: { plan: HostPlan; error: Error },
): Promise<never> {
  const name = failure.plan.host.name;
  const updated = plans.filter((p) => outcomes.get(p.host.name)?.result === "ok");
  const why = `host ${name} failed`;
  const back: string[] = [];
  for (const p of [...updated].reverse()) {
    deps.ui.warn(`${why}: putting the previous release back on host ${p.host.name}`);
    const rb = `${o.release}-rb`;
    const prev = outcomes.get(p.host.name)!;
    try {
      // the release this host ran before this one (not one that differs: the model counts too)
      const releases = await listReleases(deps, p.ctx.target, p.ctx.project, { models: false });
      const to = releases.find((r) => r.result === "ok" && !r.id.startsWith(o.release));
      if (!to) throw new FleetError("no earlier successful release on it to go back to");
      const pick = await pickRollback(deps, engine, p.ctx, p.sel.services, to.id);
      const sel = {
        ...rollbackSelection(p.ctx.stage, pick.images, pick.release.id),
        note: `rollback to ${pick.release.id}: ${why} in release ${o.release}`,
      };
      await runRelease(deps, engine, pick.ctx, sel, { ...o, only: true, release: rb });
      outcomes.set(p.host.name, {
        ...prev,
        result: "rolled-back",
        error: why,
        rollback: { result: "ok", release: rb },
      });
      back.push(p.host.name);
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      outcomes.set(p.host.name, {
        ...prev,
        error: `${why}; going back failed: ${(e as Error).message}`,
        rollback: { result: "failed", release: rb },
      });
    }
  }
  for (const p of plans) {
    if (!outcomes.has(p.host.name)) {
      outcomes.set(p.host.name, {
        name: p.host.name,
        host: p.ctx.target.label,
        result: "not-started",
        services: p.sel.services,
      });
    }
  }
  const failedBack = updated.filter((p) => !back.includes(p.host.name)).map((p) => p.host.name);
  const stage = failure.plan.ctx.stage.name;
  const msg = `deploy of ${stage} failed on host ${name}: ${failure.error.message}` +
    (back.length ? `; hosts ${back.join(", ")} went back to their previous release` : "") +
    (failedBack.length ? `; hosts ${failedBack.join(", ")} could not go back` : "");
  const result = combined(
    failure.plan.ctx.stage,
    plans,
    outcomes,
    results,
    o.release,
    failedBack.length ? "failed" : "rolled-back",
  );
  const err = failure.error instanceof FleetError ? failure.error : undefined;
  throw withResult(
    new CommandError(msg, [], err instanceof CommandError ? err.stderrTail : "", {
      hint: `see fleet history ${stage} (every host records release ${o.release})`,
    }),
    { ...result, error: msg },
  );
}

/**
 * A dry run: each host's commands under its name (and, for a rollback, the release it goes back
 * to); nothing runs.
 */
export async function dryRunHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  plans: readonly HostPlan[],
  o: FlowOptions,
  id: string,
  task?: HostPlan,
): Promise<ReleaseResult> {
  const commands = task ? taskDryRun(engine, task, id) : [];
  const outcomes = new Map<string, HostOutcome>();
  for (const p of plans) {
    const r = await runRelease(deps, engine, p.ctx, p.sel, { ...o, release: id });
    const to = p.sel.kind === "rollback" ? p.sel.note : undefined;
    commands.push(
      `# host ${p.host.name} (${p.ctx.target.label})${to ? `: ${to}` : ""}`,
      ...(r.commands ?? []),
    );
    outcomes.set(p.host.name, { ...outcomeOf(p, r), ...(to ? { note: to } : {}) });
  }
  const r = combined(stage, plans, outcomes, [], id, "dry-run");
  return {
    ...r,
    command: plans[0]?.sel.kind ?? "deploy",
    services: plans.flatMap((p) => p.sel.services).filter((s, i, a) => a.indexOf(s) === i)
      .map((s) => {
        const p = plans.find((p) => p.sel.images[s])!;
        return {
          name: s,
          image: p.sel.images[s],
          id: "",
          redeployed: true,
          strategy: engine.strategy(p.ctx, s),
        };
      }),
    commands,
  };
}
