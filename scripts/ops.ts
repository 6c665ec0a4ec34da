/**
 * Day-to-day commands on a stage's host: `ps`, `logs`, `down`, `history`, `unlock`. Each returns
 * its result; the edge (mod.ts) renders it. They need no deploy-time secrets.
 *
 *   fleet ps <stage> | logs <stage> [-n svc] [-f] [--tail N] | down <stage> [-y]
 *   fleet history <stage> | unlock <stage> [-y]
 */
import { DEFAULTS } from "../lib/core/defaults.ts";
import type { Deps } from "../lib/core/deps.ts";
import { confirmOrCancel } from "../lib/core/ui.ts";
import { pickServices } from "../lib/config/services.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { withProfiles } from "../lib/config/services.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";
import type { Engine, EngineContext } from "../lib/engine/engine.ts";
import { engineFor } from "../lib/engine/engines.ts";
import { refuseWithoutTerminal } from "../lib/release/confirm.ts";
import { readHistory } from "../lib/release/history.ts";
import { downHosts, historyHosts, logsHosts, psHosts } from "../lib/release/host_ops.ts";
import { rolloutProject } from "../lib/release/host_locks.ts";
import { checkHostOption, oneHost } from "../lib/release/host_stages.ts";
import { holderAlive, readLock, unlock as removeLock } from "../lib/release/lock.ts";
import type { DownResult, HistoryResult, PsResult, UnlockResult } from "../lib/release/results.ts";
import { FleetError } from "../lib/core/errors.ts";

export type { DownResult, HistoryResult, PsResult, UnlockResult };

/** The options of `ps`, `history`, `down`, `unlock` (and `logs`). */
export interface OpsOptions {
  readonly dir?: string;
  readonly yes?: boolean;
  /** Compose profiles to activate besides the stage's own. */
  readonly profile?: string[];
  /** A stage with several hosts: only these (`--host`; logs and unlock take one). */
  readonly host?: string[];
}

function load(stageName: string, opts: OpsOptions, deps: Deps) {
  const root = findRoot(deps.cwd, opts.dir);
  const stage = withProfiles(loadStage(root, stageName, deps.env), opts.profile);
  checkHostOption(stage, opts.host);
  return stage;
}

function open(stageName: string, opts: OpsOptions, deps: Deps): [Engine, EngineContext] {
  const stage = oneHost(load(stageName, opts, deps), opts.host, "this command");
  const engine = engineFor(stage);
  return [engine, engine.context(stage, deps.env, { readOnly: true })];
}

/**
 * `fleet ps <stage>`: the stage's containers (all states); a Swarm stage's services with their
 * running/desired replicas, image and update state, and their tasks by node.
 */
export async function ps(stage: string, opts: OpsOptions, deps: Deps): Promise<PsResult> {
  const several = load(stage, opts, deps);
  if (several.hosts) return await psHosts(deps, engineFor(several), several, opts.host);
  const [engine, ctx] = open(stage, opts, deps);
  const view = await withSharedSsh(deps, ctx, (c) => engine.ps(deps, c));
  return { stage, project: ctx.project, host: ctx.target.label, ...view };
}

/** `fleet logs <stage> [-n svc] [-f] [--tail N]`: streamed to stdout as they come. */
export async function logs(
  stage: string,
  opts: OpsOptions & { service?: string[]; follow?: boolean; tail?: string },
  deps: Deps,
): Promise<void> {
  const several = load(stage, opts, deps);
  if (several.hosts && (opts.host?.length ?? 0) !== 1) {
    // every host (or those --host names), each line after its host's name
    const names = pickServices(several, opts.service ?? []).map((s) => s.name);
    const o = { follow: opts.follow, tail: opts.tail ?? DEFAULTS.tail };
    const picked = opts.service?.length ? names : [];
    return await logsHosts(deps, engineFor(several), several, opts.host, picked, o);
  }
  const [engine, ctx] = open(stage, opts, deps);
  const names = opts.service?.length
    ? pickServices(ctx.stage, opts.service).map((s) => s.name)
    : [];
  const steps = engine.logsSteps(ctx, names, {
    follow: opts.follow,
    tail: opts.tail ?? DEFAULTS.tail,
  });
  // several (one per Swarm service) stream side by side
  await Promise.all(steps.map((step) => deps.runner.run(step, { onLine: (l) => deps.ui.out(l) })));
}

/** `fleet down <stage>`: stop and remove the containers (a Swarm stage: the stack); named volumes are kept. */
export async function down(
  stage: string,
  opts: OpsOptions,
  deps: Deps,
): Promise<DownResult> {
  const several = load(stage, opts, deps);
  if (several.hosts) {
    refuseWithoutTerminal(deps.ui, several, "take down", opts);
    await confirmOrCancel(
      deps.ui,
      `stop and remove every container of ${stage} on ${opts.host?.join(", ") || "every host"}?`,
      "down cancelled: nothing was changed",
      opts.yes === true || !several.confirm,
    );
    return await downHosts(deps, engineFor(several), several, opts.host);
  }
  const [engine, ctx] = open(stage, opts, deps);
  refuseWithoutTerminal(deps.ui, ctx.stage, "take down", opts);
  await confirmOrCancel(
    deps.ui,
    `stop and remove every container of ${stage}?`,
    "down cancelled: nothing was changed",
    opts.yes === true || !ctx.stage.confirm,
  );
  await engine.down(deps, ctx);
  return { stage, project: ctx.project };
}

/** `fleet history <stage>`: releases recorded on the host, newest first. */
export async function history(
  stage: string,
  opts: OpsOptions,
  deps: Deps,
): Promise<HistoryResult> {
  const several = load(stage, opts, deps);
  if (several.hosts) return await historyHosts(deps, engineFor(several), several, opts.host);
  const [, ctx] = open(stage, opts, deps);
  const h = await withSharedSsh(deps, ctx, (c) => readHistory(deps, c.target, c.project));
  return { stage, host: ctx.target.label, keep: ctx.stage.keep, ...h };
}

/**
 * `fleet unlock <stage>`: clear a lock left by a killed process (says whose it was). A lock whose
 * holder still runs on this machine is refused, unless `force`.
 */
export async function unlock(
  stage: string,
  opts: OpsOptions & { force?: boolean },
  deps: Deps,
): Promise<UnlockResult> {
  const [, ctx] = open(stage, opts, deps);
  // taking away someone's lock is always asked (or --yes), whatever the stage's confirm:
  refuseWithoutTerminal(deps.ui, ctx.stage, "unlock", { ...opts, always: true });
  // on a host of a stage with several hosts: the release's rollout lock, else the host's own
  const rollout = opts.host?.length ? rolloutProject(ctx.project) : undefined;
  const project = rollout && await readLock(deps, ctx.target, rollout) ? rollout : ctx.project;
  const held = await readLock(deps, ctx.target, project);
  if (!held) return { stage };
  const msg = `${stage} is locked by ${held.holder} (${
    held.command || "deploy"
  }) since ${held.since}`;
  if (!opts.force && await holderAlive(deps, held)) {
    throw new FleetError(`${msg}, and that fleet is still running (process ${held.pid} here)`, {
      hint: `let it finish or stop it (Ctrl-C releases the lock); --force removes the lock anyway`,
    });
  }
  deps.ui.info(msg);
  await confirmOrCancel(
    deps.ui,
    "remove that lock? (only if that process is gone)",
    "unlock cancelled: the lock is still held",
    opts.yes === true,
  );
  await removeLock(deps, ctx.target, project);
  return { stage, held };
}
