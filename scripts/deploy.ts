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
import { DEFAULTS } from "../lib/core/defaults.ts";
import type { Deps } from "../lib/core/deps.ts";
import { UsageError } from "../lib/core/errors.ts";
import { pickServices } from "../lib/config/services.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { checkTags, imagesOf, pullable } from "../lib/docker/images.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";
import type { Engine, EngineContext } from "../lib/engine/engine.ts";
import { engineFor } from "../lib/engine/engines.ts";
import { refuseWithoutTerminal } from "../lib/release/confirm.ts";
import { runRelease } from "../lib/release/flow.ts";
import { pickRollback } from "../lib/release/rollback.ts";
import type { FlowOptions, ReleaseResult, Selection } from "../lib/release/types.ts";

export interface DeployOptions {
  readonly dir?: string;
  readonly service?: string[];
  readonly pull?: boolean;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly timeout?: number;
  readonly rollback?: boolean;
  readonly changedOnly?: boolean;
  readonly lockWait?: number;
  /** Deploy this tag of the built services instead of the stage's `tag:` (deploy only). */
  readonly tag?: string;
  /** Swarm: remove the stack's services the stage no longer has. */
  readonly prune?: boolean;
}

function flowOptions(engine: Engine, o: DeployOptions & { to?: string }): FlowOptions {
  const only = (o.service ?? []).length > 0;
  if (o.prune && engine.name !== "swarm") {
    throw new UsageError("--prune is for Swarm stages (orchestrator: swarm)", {
      hint: "a Compose stage's services that the stage no longer has go with fleet down",
    });
  }
  if (o.prune && only) {
    throw new UsageError("--prune with -n would remove every service not named", {
      hint: "deploy the whole stage with --prune, or leave --prune out",
    });
  }
  return {
    yes: o.yes ?? false,
    dryRun: o.dryRun ?? false,
    timeout: o.timeout ?? engine.timeout,
    rollback: o.rollback ?? true,
    changedOnly: o.changedOnly ?? false,
    lockWait: o.lockWait ?? DEFAULTS.lockWait,
    only,
    pull: o.pull ?? true,
    ...(o.prune ? { prune: true } : {}),
  };
}

/** Deploy a stage (SPEC §5). Throws ConfigError/UsageError before any docker command. */
export async function deploy(
  stageName: string,
  opts: DeployOptions,
  deps: Deps,
): Promise<ReleaseResult> {
  const stage = loadStage(findRoot(deps.cwd, opts.dir), stageName);
  const services = pickServices(stage, opts.service ?? []);
  const img = { tag: opts.tag };
  if (opts.tag !== undefined) checkTags([opts.tag]);
  const engine = engineFor(stage);
  const fo = flowOptions(engine, opts);
  const plain = engine.context(stage, deps.env, { ...img, rollback: fo.rollback });
  const pull = fo.pull;
  const sel: Selection = {
    kind: "deploy",
    services: services.map((s) => s.name),
    images: imagesOf(stage, img),
    toPull: pull ? services.filter((s) => pullable(stage, s, img)).map((s) => s.name) : [],
    unpullable: services.filter((s) => !pullable(stage, s, img)).map((s) => s.name),
  };
  refuseWithoutTerminal(deps.ui, stage, "deploy", fo);
  return await withSharedSsh(
    deps,
    plain,
    (ctx) => runRelease(deps, engine, ctx, sel, fo),
    !fo.dryRun,
  );
}

/** Go back to the previous successful release (or `--to <id>`), through the same flow. */
export async function rollback(
  stageName: string,
  opts: DeployOptions & { to?: string },
  deps: Deps,
): Promise<ReleaseResult> {
  const stage = loadStage(findRoot(deps.cwd, opts.dir), stageName);
  const services = pickServices(stage, opts.service ?? []);
  const engine = engineFor(stage);
  const base = engine.context(stage, deps.env);
  // a rollback touches only the services it restores, with the images it names
  const fo = { ...flowOptions(engine, opts), only: true, pull: false };
  refuseWithoutTerminal(deps.ui, stage, "rollback", fo);
  const names = services.map((s) => s.name);
  return await withSharedSsh(deps, base, async (shared) => {
    const pick = async (): Promise<{ sel: Selection; ctx: EngineContext }> => {
      const { release, images, ctx } = await pickRollback(deps, engine, shared, names, opts.to);
      const sel: Selection = {
        kind: "rollback",
        services: Object.keys(images),
        images: { ...imagesOf(stage), ...images },
        toPull: [],
        unpullable: [],
        note: `rollback to ${release.id}`,
        // without --to, the target is chosen again under the lock (what runs may have changed)
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
