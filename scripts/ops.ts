/**
 * Day-to-day commands on a stage's host: `ps`, `logs`, `down`, `history`, `unlock`.
 * Needs lib/: stage, plan_deploy, compose, images, vars, release, run, ui, deps, errors.
 */
import type { Deps } from "../lib/core/deps.ts";
import { FleetError } from "../lib/core/errors.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import {
  type ComposeContext,
  composeContext,
  composeStep,
  targetServices,
} from "../lib/engine/compose.ts";
import { listReleases } from "../lib/release/history.ts";
import { readLock, unlock as removeLock } from "../lib/release/lock.ts";
import { refuseWithoutTerminal } from "../lib/release/flow.ts";
import { runStep } from "../lib/engine/compose_wait.ts";
import { table } from "../lib/report/stage_text.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";

interface OpsOptions {
  readonly dir?: string;
  readonly yes?: boolean;
}

function contextOf(stageName: string, opts: OpsOptions, deps: Deps): ComposeContext {
  return composeContext(loadStage(findRoot(deps.cwd, opts.dir), stageName), deps.env);
}

/** `fleet ps <stage>`: the stage's containers (Compose's own table). */
export async function ps(stage: string, opts: OpsOptions, deps: Deps): Promise<void> {
  await withSharedSsh(deps, contextOf(stage, opts, deps), async (ctx) => {
    const r = await deps.runner.run(composeStep(ctx, "ps", ["ps", "--all"]));
    deps.ui.out(r.stdout.trimEnd());
  });
}

/** `fleet logs <stage> [-n svc] [-f] [--tail N]`. */
export async function logs(
  stage: string,
  opts: OpsOptions & { service?: string[]; follow?: boolean; tail?: string },
  deps: Deps,
): Promise<void> {
  const ctx = contextOf(stage, opts, deps);
  const names = targetServices(ctx.stage, opts.service ?? []).map((s) => s.name);
  const args = [
    "logs",
    "--no-color",
    "--tail",
    opts.tail ?? "100",
    ...(opts.follow ? ["--follow"] : []),
  ];
  await deps.runner.run(
    composeStep(ctx, "logs", [...args, ...(opts.service?.length ? names : [])]),
    {
      onLine: (l) => deps.ui.out(l),
    },
  );
}

/** `fleet down <stage>`: stop and remove the containers; named volumes are kept. */
export async function down(stage: string, opts: OpsOptions, deps: Deps): Promise<void> {
  const ctx = contextOf(stage, opts, deps);
  refuseWithoutTerminal(deps, ctx, "take down", opts);
  const question = `stop and remove every container of ${stage}?`;
  if (!opts.yes && ctx.stage.confirm && !(await deps.ui.confirm(question))) {
    throw new FleetError("down cancelled: nothing was changed");
  }
  await runStep(deps, composeStep(ctx, "down", ["down", "--remove-orphans"]));
  deps.ui.out(`${ctx.project}: containers removed (volumes kept)`);
}

/** `fleet history <stage>`: releases recorded on the host, newest first. */
export async function history(stage: string, opts: OpsOptions, deps: Deps): Promise<void> {
  const ctx = contextOf(stage, opts, deps);
  const rels = await withSharedSsh(deps, ctx, (c) => listReleases(deps, c.target, c.project));
  if (rels.length === 0) {
    return deps.ui.out(`no releases of ${stage} recorded on ${ctx.target.label}`);
  }
  const rows = [["RELEASE", "WHEN", "WHO", "COMMIT", "KIND", "RESULT", "SERVICES", "NOTE"]];
  for (const r of rels) {
    const svcs = Object.entries(r.services).map(([s, i]) =>
      `${s}=${i.id.replace(/^sha256:/, "").slice(0, 12)}`
    );
    rows.push([
      r.id,
      r.time.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      r.who,
      r.commit,
      r.kind,
      r.result,
      svcs.join(" "),
      (r.note ?? "").slice(0, 60),
    ]);
  }
  deps.ui.out(table(rows));
}

/** `fleet unlock <stage>`: clear a lock left by a killed process (says whose it was). */
export async function unlock(stage: string, opts: OpsOptions, deps: Deps): Promise<void> {
  const ctx = contextOf(stage, opts, deps);
  // taking away someone's lock is always asked (or --yes), whatever the stage's confirm:
  refuseWithoutTerminal(deps, ctx, "unlock", { ...opts, always: true });
  const held = await readLock(deps, ctx.target, ctx.project);
  if (!held) return deps.ui.out(`${stage} is not locked`);
  const since = `${held.holder} (${held.command || "deploy"}) since ${held.since}`;
  deps.ui.info(`${stage} is locked by ${since}`);
  if (!opts.yes && !(await deps.ui.confirm(`remove that lock? (only if that process is gone)`))) {
    throw new FleetError("unlock cancelled: the lock is still held");
  }
  await removeLock(deps, ctx.target, ctx.project);
  deps.ui.out(`${stage}: lock of ${held.holder} removed`);
}
