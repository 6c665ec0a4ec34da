/**
 * The release flow shared by deploy and rollback, whatever the engine: pull → resolve images
 * (engine: IDs on the host, or registry digests) → lock → plan and confirm → task → apply
 * (engine) → record. On failure the previous release is put back (lib/release/rollback.ts), unless
 * the engine rolled back by itself (Swarm); on Ctrl-C the lock is released and the state reported.
 * Returns a ReleaseResult; a failure carries its result to the edge (error.result).
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, InterruptedError, withResult } from "../core/errors.ts";
import { SetupError } from "../core/errors.ts";
import { showStep, type Step, StepInterrupted } from "../core/run.ts";
import { dockerStep } from "../docker/target.ts";
import { runStep } from "../core/steps.ts";
import { confirmOrCancel } from "../core/ui.ts";
import { listContainers, withDigests } from "../docker/queries.ts";
import {
  type Engine,
  type EngineContext,
  NothingChangedByEngine,
  RolledBackByEngine,
} from "../engine/engine.ts";
import { releaseId } from "./history.ts";
import { keep, protect } from "./kept_images.ts";
import { holderProcess, releaseLock, takeLock } from "./lock.ts";
import { record, recordOrWarn } from "./record.ts";
import { autoRollback, rollbackTarget } from "./rollback.ts";
import type { Attempt, FlowOptions, Images, ReleaseResult, Selection } from "./types.ts";
import { refuseWithoutTerminal } from "./confirm.ts";
import { showPlan, showState } from "./view.ts";
import { gitCommit, whoAmI } from "./who.ts";
import { hookSteps, runHooks, runPostHooks } from "./hooks.ts";
import { pruneHistory } from "./retention.ts";

/** The engine's release steps for `services` (a pull first when `toPull` has some). */
export function planSteps(
  engine: Engine,
  ctx: EngineContext,
  services: readonly string[],
  toPull: readonly string[],
  o: FlowOptions,
  all: boolean,
): Step[] {
  return engine.releaseSteps(ctx, services, toPull, {
    pull: o.pull,
    only: o.only || !all,
    wait: o.timeout,
    ...(o.prune ? { prune: true } : {}),
  });
}

/** The whole flow: the engine's release steps for `sel.services`, wrapped in lock and record. */
export async function runRelease(
  deps: Deps,
  engine: Engine,
  ctx: EngineContext,
  sel: Selection,
  o: FlowOptions,
): Promise<ReleaseResult> {
  const now = deps.now();
  const id = o.release ?? releaseId(now);
  const base = { ...baseResult(ctx, sel), release: id };
  const hooks = (which: "pre" | "post", result: string) =>
    hookSteps(ctx.stage, which, { release: id, result, services: sel.services }, ctx.secretEnv);
  let steps = planSteps(engine, ctx, sel.services, sel.toPull, o, true);
  const task = sel.kind === "deploy" ? taskOf(engine, ctx, id) : undefined;
  if (o.dryRun) {
    // a dry run starts no process (start-up stays fast); the deploy itself checks the model first
    // in the order they run: the task after the pull, before anything stops
    const pulls = steps.filter((s) => s.kind === "pull");
    const all = [
      ...hooks("pre", "pending"),
      ...pulls,
      ...(task ? [task] : []),
      ...steps.filter((s) => s.kind !== "pull"),
      ...hooks("post", "ok"),
    ];
    const how = base.services.map((s) => ({ ...s, strategy: engine.strategy(ctx, s.name) }));
    return { ...base, services: how, result: "dry-run", commands: all.map(showStep) };
  }
  refuseWithoutTerminal(deps.ui, ctx.stage, sel.kind, o);
  // who and which commit (git, local) while the model is checked
  const local = Promise.all([whoAmI(deps, ctx.stage.root), gitCommit(deps, ctx.stage.root)]);
  local.catch(() => {}); // a failed check below is the error to report
  // what Compose would reject: exit 2 before anything runs on the host; the model to deploy
  ctx = await engine.check(deps, ctx);
  steps = planSteps(engine, ctx, sel.services, sel.toPull, o, true);
  await runHooks(deps, ctx.stage, "pre", {
    release: id,
    result: "pending",
    services: sel.services,
  }, ctx.secretEnv);
  let result: ReleaseResult = base;
  try {
    result = await locked(deps, engine, ctx, sel, steps, o, { id, now, local });
  } catch (e) {
    const r = (e as { result?: ReleaseResult }).result;
    if (r && !["interrupted", "cancelled"].includes(r.result)) {
      await runPostHooks(deps, ctx.stage, r, ctx.secretEnv, e);
    }
    throw e;
  }
  await runPostHooks(deps, ctx.stage, result, ctx.secretEnv);
  return result;
}

/** The release's task step (`tasks.pre_deploy`), if the stage has one; its container named by release. */
export function taskOf(engine: Engine, ctx: EngineContext, release: string): Step | undefined {
  const t = ctx.stage.task;
  return t ? engine.taskStep(ctx, t.service, t.command, taskContainer(ctx, release)) : undefined;
}

const taskContainer = (ctx: EngineContext, release: string) => `${ctx.project}-task-${release}`;

/** Pull, lock, plan, confirm, task, release — the lock always released. */
async function locked(
  deps: Deps,
  engine: Engine,
  ctx: EngineContext,
  sel: Selection,
  steps: readonly Step[],
  o: FlowOptions,
  r: { id: string; now: Date; local: Promise<[string, string]> },
): Promise<ReleaseResult> {
  const now = r.now;
  const pull = steps.find((s) => s.kind === "pull");
  const pulled = pull ? runStep(deps, pull) : Promise.resolve();
  // before the lock: a missing or unfit image changes nothing; Swarm pins the model to digests
  const resolved = await engine.resolve(deps, ctx, sel, o.pull, pulled);
  let fresh = resolved.images;
  ctx = resolved.ctx;
  const task = sel.kind === "deploy" ? taskOf(engine, ctx, r.id) : undefined;
  const [who, commit] = await r.local;
  // the machine and process: `fleet unlock` there refuses while this process still runs
  const info = { holder: who, since: now.toISOString(), command: sel.kind, ...holderProcess() };
  // what runs now is read while the lock is taken; read again if the lock had to be waited for
  const early = engine.running(deps, ctx, sel.services);
  early.catch(() => {});
  const lock = await takeLock(deps, ctx, fresh[sel.services[0]].id, info, o.lockWait);
  const waited = lock.waited;
  let recorded = false;
  let pruned = false;
  try {
    const next = sel.reselect ? await sel.reselect() : undefined;
    const changed = next !== undefined && !sameTarget(next.sel, sel);
    if (changed) {
      // what runs changed while this rollback waited for the lock: its target is chosen again
      sel = next.sel;
      ({ images: fresh, ctx } = await engine.resolve(deps, next.ctx, sel, false));
    }
    const running = waited || changed ? await engine.running(deps, ctx, sel.services) : await early;
    // an image that is the one deployed has its digest already, as has one the engine names by
    // digest (Swarm); only the others are inspected
    const same = (s: string) => running[s].id === fresh[s]?.id;
    const ask = Object.entries(running).filter(([s, i]) => !same(s) && !i.digest);
    const before = {
      ...running,
      ...await withDigests(deps, ctx.target, Object.fromEntries(ask), (s) => sel.images[s]),
      ...Object.fromEntries(
        Object.keys(running).filter(same).map((
          s,
        ) => [s, { ...running[s], digest: fresh[s].digest }]),
      ),
    };
    const services = o.changedOnly
      ? sel.services.filter((s) => before[s]?.id !== fresh[s].id)
      : [...sel.services];
    const result: ReleaseResult = {
      ...baseResult(ctx, sel),
      release: r.id,
      services: outcomes(sel, before, fresh, services),
    };
    showPlan(deps.ui, engine, ctx, sel, before, fresh, services);
    if (task) deps.ui.info(`    then, before anything stops: ${task.title}`);
    if (services.length === 0) {
      deps.ui.info("nothing changed: no service to redeploy");
      return { ...result, result: "unchanged" };
    }
    await confirmOrCancel(
      deps.ui,
      `${sel.kind} ${ctx.stage.name}?`,
      `${sel.kind} cancelled: nothing was changed`,
      o.yes || !ctx.stage.confirm,
    ).catch((e) => Promise.reject(withResult(e, { ...result, result: "cancelled" })));
    const meta = { id: r.id, time: now.toISOString(), who, commit };
    recorded = true; // from here on, every way out writes a record
    const a: Attempt = { deps, engine, ctx, sel, o, services, before, fresh, meta };
    if (task) await releaseTask(a, task, result);
    if (o.taskOnly) return { ...result, result: "ok" };
    const rest = planSteps(engine, ctx, services, [], o, services.length === sel.services.length);
    if (engine.keepsImages) await protect(a);
    const done = await release(a, rest, result);
    pruned = true; // with the record (lib/release/flow.ts release)
    return done;
  } finally {
    if (recorded && !pruned) await pruneHistory(deps, ctx).catch(() => 0);
    await releaseLock(deps, ctx.target, lock.id); // ours only: never a lock taken after an unlock
  }
}

/** Whether two selections deploy the same images (a rollback's target chosen again). */
const sameTarget = (a: Selection, b: Selection) =>
  a.note === b.note && JSON.stringify(a.images) === JSON.stringify(b.images);

function baseResult(ctx: EngineContext, sel: Selection): ReleaseResult {
  return {
    command: sel.kind,
    stage: ctx.stage.name,
    app: ctx.stage.project,
    project: ctx.project,
    host: ctx.target.label,
    result: "failed",
    services: sel.services.map((s) => ({
      name: s,
      image: sel.images[s],
      id: "",
      redeployed: true,
    })),
    ...(sel.note ? { note: sel.note } : {}),
  };
}

function outcomes(sel: Selection, before: Images, fresh: Images, services: readonly string[]) {
  return sel.services.map((s) => ({
    name: s,
    image: sel.images[s],
    id: fresh[s].id,
    ...(fresh[s].digest ? { digest: fresh[s].digest } : {}),
    ...(before[s] ? { before: before[s].id } : {}),
    ...(before[s]?.digest ? { beforeDigest: before[s].digest } : {}),
    redeployed: services.includes(s),
  }));
}

async function release(
  a: Attempt,
  steps: readonly Step[],
  result: ReleaseResult,
): Promise<ReleaseResult> {
  const { deps, ctx, sel, o, services } = a;
  try {
    await a.engine.apply(deps, ctx, steps, services, o.timeout);
  } catch (e) {
    if (e instanceof InterruptedError) {
      throw await interrupted(a, e, result, interruptNote(a.deps));
    }
    return await failed(a, e as Error, result);
  }
  await Promise.all([
    a.engine.keepsImages ? keep(a) : undefined,
    record(a, { kind: sel.kind, result: "ok", images: a.fresh }),
    pruneHistory(deps, ctx, a.meta.id).catch(() => 0),
  ]);
  return { ...result, result: "ok" };
}

/**
 * After an interrupt: finish a stop that was under way (the engine completes it anyway, so the
 * state reported is the one that lasts), show which release each service is on (or that it is
 * stopped), and record it with the images that really run; then pass the error on.
 */
async function interrupted(a: Attempt, e: Error, result: ReleaseResult, note: string) {
  const { deps, ctx } = a;
  let why = note;
  if (e instanceof StepInterrupted && e.step.kind === "stop") {
    deps.ui.warn("interrupted while stopping: finishing the stop (the engine completes it anyway)");
    await deps.runner.run(e.step, { uninterruptible: true, check: false }).catch(() => undefined);
    why = `${note} during stop`;
  }
  const [now, all] = await Promise.all([
    a.engine.running(deps, ctx, a.services),
    listContainers(deps, ctx.target, ctx.project).catch(() => []), // a Compose project's
  ]);
  const stopped = a.services.filter((s) =>
    all.some((c) => c.service === s) && !all.some((c) => c.service === s && c.state === "running")
  );
  showState(deps.ui, ctx.stage.name, a.services, now, a.before, a.fresh, stopped);
  const images = Object.fromEntries(a.services.flatMap((s) => {
    if (!now[s] || stopped.includes(s)) return []; // nothing of it runs
    return [[s, now[s].id === a.before[s]?.id ? a.before[s] : a.fresh[s] ?? now[s]]];
  }));
  const down = stopped.length ? `; stopped: ${stopped.join(", ")}` : "";
  await record(a, { kind: a.sel.kind, result: "interrupted", images, note: why + down });
  return withResult(e, { ...result, result: "interrupted", error: e.message });
}

/**
 * A failed release: roll back to the previous good release where there is one (and --rollback),
 * record what really happened, and throw with the result.
 */
async function failed(a: Attempt, e: Error, result: ReleaseResult): Promise<never> {
  const { ctx, sel, o } = a;
  const stage = ctx.stage.name;
  // a record that cannot be written is a warning: it must not hide what happened, nor stop a rollback
  const rec = (r: "failed" | "rolled-back", note = e.message) =>
    recordOrWarn(a, { kind: sel.kind, result: r, images: a.fresh, note });
  if (e instanceof RolledBackByEngine) {
    // Swarm put the previous version back by itself: fleet records that, and rolls back nothing
    await rec("rolled-back");
    throw withResult(
      new CommandError(`${sel.kind} of ${stage} failed: ${e.message}`, [], e.stderrTail, {
        hint: e.hint,
      }),
      { ...result, result: "rolled-back", error: e.message },
    );
  }
  if (e instanceof NothingChangedByEngine) {
    // the release never switched (the proxy's blue/green): what ran before serves on
    await rec("failed");
    throw withResult(
      new CommandError(`${sel.kind} of ${stage} failed: ${e.message}`, [], e.stderrTail, {
        hint: e.hint,
      }),
      { ...result, result: "failed", error: e.message },
    );
  }
  if (e instanceof SetupError) {
    // the machine cannot run a release (no compose, the engine gone): nor a rollback; say so
    await rec("failed");
    throw withResult(e, { ...result, result: "failed", error: e.message });
  }
  const to = o.rollback ? await rollbackTarget(a) : { services: [] };
  if (!o.rollback || to.services.length === 0) {
    const none = "first" in to && to.first
      ? "first release failed; nothing to roll back to"
      : "no earlier successful release to roll back to";
    const why = o.rollback ? none : "not rolled back (--no-rollback)";
    await rec("failed", `${e.message}; ${why}`);
    const err = o.rollback
      ? new CommandError(`${sel.kind} of ${stage} failed: ${e.message}; ${none}`, [], tailOf(e), {
        hint:
          `the failing containers are left for inspection — fleet logs ${stage}, fleet down ${stage}`,
      })
      : e;
    throw withResult(err, { ...result, result: "failed", error: e.message });
  }
  const rb = `${a.meta.id}-rb`;
  try {
    await autoRollback(a, to, rb);
  } catch (err) {
    if (err instanceof InterruptedError) {
      throw await interrupted(
        a,
        err,
        result,
        `${interruptNote(a.deps)} during the automatic rollback`,
      );
    }
    await rec("failed", `${e.message}; the rollback failed too`);
    throw withResult(err, {
      ...result,
      result: "failed",
      error: e.message,
      rollback: { result: "failed", release: rb },
    });
  }
  await rec("rolled-back");
  throw withResult(
    new CommandError(
      `${sel.kind} of ${stage} failed and was rolled back: ${e.message}`,
      [],
      tailOf(e),
      {
        hint: `the previous release serves again; see fleet history ${stage}`,
      },
    ),
    { ...result, result: "rolled-back", error: e.message, rollback: { result: "ok", release: rb } },
  );
}

/**
 * The release task: a non-zero exit stops the deploy with nothing stopped, recorded as failed.
 * An interrupt removes the task's container (so the run ends whatever its command does with
 * signals) and is recorded as interrupted.
 */
async function releaseTask(a: Attempt, task: Step, result: ReleaseResult): Promise<void> {
  const { deps, ctx } = a;
  const name = taskContainer(ctx, a.meta.id);
  const remove = () =>
    deps.runner.run(dockerStep(ctx.target, "stop the release task", ["rm", "--force", name]), {
      check: false,
      uninterruptible: true,
    }).catch(() => undefined);
  // the interrupt may come while Compose is still creating the container (a first `rm` finds
  // none, and `run` then waits on a command that ignores the signal it passes on): remove it
  // again until the run has ended
  let ended = false;
  const removeUntilEnded = async () => {
    for (let i = 0; i < 60 && !ended; i++) {
      await remove();
      if (!ended) await deps.sleep(500);
    }
  };
  let removed: Promise<unknown> = Promise.resolve();
  const onAbort = () => (removed = removeUntilEnded());
  deps.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await a.engine.beforeTask(deps, ctx);
    await runStep(deps, task).finally(() => (ended = true));
  } catch (e) {
    if (e instanceof InterruptedError) {
      await removed;
      const note = `${interruptNote(deps)} during the release task; nothing was stopped`;
      deps.ui.warn(`${note}; the deploy lock is released`);
      await recordOrWarn(a, { kind: a.sel.kind, result: "interrupted", images: a.before, note });
      throw withResult(e, { ...result, result: "interrupted", error: note });
    }
    const why = `release task failed: ${(e as Error).message}`;
    await record(a, { kind: a.sel.kind, result: "failed", images: a.fresh, note: why });
    throw withResult(
      new CommandError(`${why}; nothing was stopped`, [], tailOf(e), {
        hint: `the running release is untouched; the task's output is above (task | …)`,
      }),
      { ...result, result: "failed", error: why },
    );
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
  }
}

/** How the run was interrupted: Ctrl-C (SIGINT) or SIGTERM, as the signal's reason says. */
function interruptNote(deps: Deps): string {
  const reason = deps.signal?.reason;
  return reason instanceof InterruptedError ? reason.message : "interrupted";
}

const tailOf = (e: unknown) => (e instanceof CommandError ? e.stderrTail : "");
