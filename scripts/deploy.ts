#!/usr/bin/env -S deno run -A
/**
 * fleet deploy: pull → stop → rm → up on the stage's Docker host (a Swarm stage: a rolling
 * `docker stack deploy` from its manager), wait until running and healthy, record the release
 * on the host, and roll back automatically when it fails.
 * Also `rollback` (to the previous good release, or --to <id>).
 *
 *   deno run -A scripts/deploy.ts <stage> [-n svc]… [--no-pull] [-y] [--dry-run] [--timeout s]
 *       [--no-rollback] [--changed-only] [--lock-wait s] [--tag t] [--prune] [--json] [-C dir]
 *
 * To use it in another repo, copy this script with lib/ (whole) and the "imports" of deno.json.
 */
import type { Deps } from "../lib/core/deps.ts";
import { activeServices, pickServices, withProfiles } from "../lib/config/services.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { checkTags } from "../lib/docker/images.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";
import type { EngineContext } from "../lib/engine/engine.ts";
import { engineFor } from "../lib/engine/engines.ts";
import { refuseWithoutTerminal } from "../lib/release/confirm.ts";
import { runRelease } from "../lib/release/flow.ts";
import { deployHosts } from "../lib/release/hosts.ts";
import { oneHost } from "../lib/release/host_stages.ts";
import { rollbackHosts } from "../lib/release/host_rollback.ts";
import { pickRollback } from "../lib/release/rollback.ts";
import {
  type DeployOptions,
  deploySelection,
  fixedNames,
  flowOptions,
  rollbackSelection,
} from "../lib/release/selection.ts";
import type { ReleaseResult, Selection } from "../lib/release/types.ts";

export type { DeployOptions, ReleaseResult };

/** Deploy a stage (SPEC §5). Throws ConfigError/UsageError before any docker command. */
export async function deploy(
  name: string,
  opts: DeployOptions,
  deps: Deps,
): Promise<ReleaseResult> {
  const stage = withProfiles(loadStage(findRoot(deps.cwd, opts.dir), name, deps.env), opts.profile);
  // without -n: the services of the active profiles (and those in none)
  const named = opts.service ?? [];
  const services = pickServices(stage, named, named.length ? undefined : activeServices(stage));
  if (opts.tag !== undefined) checkTags([opts.tag]);
  const engine = engineFor(stage);
  // several hosts (hosts:): one release across them, host by host
  if (stage.hosts) return await deployHosts(deps, engine, stage, services.map((s) => s.name), opts);
  const fo = flowOptions(engine, opts);
  const ctx = engine.context(stage, deps.env, { tag: opts.tag, rollback: fo.rollback });
  const sel = deploySelection(stage, services, { tag: opts.tag }, fo.pull);
  refuseWithoutTerminal(deps.ui, stage, "deploy", fo);
  fixedNames(services).forEach((w) => deps.ui.warn(w));
  // one ssh connection for every docker command of the release (not for a dry run)
  return await withSharedSsh(deps, ctx, (c) => runRelease(deps, engine, c, sel, fo), !fo.dryRun);
}

/** Go back to the previous successful release (or `--to <id>`), through the same flow. */
export async function rollback(
  name: string,
  opts: DeployOptions & { to?: string; host?: string[] },
  deps: Deps,
): Promise<ReleaseResult> {
  const loaded = withProfiles(
    loadStage(findRoot(deps.cwd, opts.dir), name, deps.env),
    opts.profile,
  );
  // a stage with several hosts: host by host (every host, or those --host names)
  if (loaded.hosts && (opts.host?.length ?? 0) !== 1) {
    const names = pickServices(loaded, opts.service ?? []).map((s) => s.name);
    return await rollbackHosts(deps, engineFor(loaded), loaded, names, opts);
  }
  const stage = oneHost(loaded, opts.host, "rollback");
  const services = pickServices(stage, opts.service ?? []).map((s) => s.name);
  const engine = engineFor(stage);
  // a rollback touches only the services it restores, with the images it names
  const fo = { ...flowOptions(engine, opts), only: true, pull: false };
  refuseWithoutTerminal(deps.ui, stage, "rollback", fo);
  return await withSharedSsh(deps, engine.context(stage, deps.env), async (shared) => {
    const pick = async (): Promise<{ sel: Selection; ctx: EngineContext }> => {
      const { release, images, ctx } = await pickRollback(deps, engine, shared, services, opts.to);
      // without --to, the target is chosen again under the lock (what runs may have changed)
      const sel = {
        ...rollbackSelection(stage, images, release.id),
        ...(opts.to ? {} : { reselect: pick }),
      };
      return { sel, ctx };
    };
    const { sel, ctx } = await pick();
    return await runRelease(deps, engine, ctx, sel, fo);
  }, !fo.dryRun);
}

if (import.meta.main) {
  const { deployCommand, parseAndLeave, stageArg, usageExits } = await import(
    "../lib/cli/commands.ts"
  );
  const { runCommand } = await import("../lib/cli/output.ts");
  const env = Deno.env.toObject();
  let code = 0;
  const cli = usageExits(deployCommand()).action(async (stage, opts) => {
    const o = { ...opts, stage: stage ?? env.FLEET_STAGE };
    code = await runCommand("deploy", o, (deps) => deploy(stageArg(stage, env), o, deps));
  });
  await parseAndLeave(() => cli.parseAsync(Deno.args, { from: "user" }), () => code);
}
