#!/usr/bin/env -S deno run -A
/**
 * fleet deploy: pull → stop → rm → up on the stage's Docker host, wait until running and
 * healthy, record the release on the host, and roll back automatically when it fails.
 * Also `rollback` (to the previous good release, or --to <id>).
 *
 *   deno run -A scripts/deploy.ts <stage> [-n svc]… [--no-pull] [-y] [--dry-run] [--timeout s]
 *       [--no-rollback] [--changed-only] [--lock-wait s] [--tag t] [--json] [-C dir]
 *
 * To use it in another repo, copy this script with lib/ (whole) and the "imports" of deno.json.
 */
import { DEFAULTS } from "../lib/core/defaults.ts";
import type { Deps } from "../lib/core/deps.ts";
import { pickServices } from "../lib/config/services.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { checkTags, imagesOf, pullable } from "../lib/docker/images.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";
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
}

function flowOptions(o: DeployOptions & { to?: string }): FlowOptions {
  return {
    yes: o.yes ?? false,
    dryRun: o.dryRun ?? false,
    timeout: o.timeout ?? DEFAULTS.timeout,
    rollback: o.rollback ?? true,
    changedOnly: o.changedOnly ?? false,
    lockWait: o.lockWait ?? DEFAULTS.lockWait,
    only: (o.service ?? []).length > 0,
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
  const plain = engine.context(stage, deps.env, img);
  const pull = opts.pull ?? true;
  const sel: Selection = {
    kind: "deploy",
    services: services.map((s) => s.name),
    images: imagesOf(stage, img),
    toPull: pull ? services.filter((s) => pullable(stage, s, img)).map((s) => s.name) : [],
    unpullable: services.filter((s) => !pullable(stage, s, img)).map((s) => s.name),
  };
  const fo = flowOptions(opts);
  refuseWithoutTerminal(deps.ui, stage, "deploy", fo);
  return await withSharedSsh(deps, plain, (ctx) => {
    const steps = engine.releaseSteps(ctx, sel.services, sel.toPull, {
      pull,
      only: fo.only,
      wait: fo.timeout,
    });
    return runRelease(deps, engine, ctx, sel, steps, fo);
  }, !fo.dryRun);
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
  const fo = flowOptions(opts);
  refuseWithoutTerminal(deps.ui, stage, "rollback", fo);
  const names = services.map((s) => s.name);
  return await withSharedSsh(deps, base, async (shared) => {
    const { release, images, ctx } = await pickRollback(deps, engine, shared, names, opts.to);
    const sel: Selection = {
      kind: "rollback",
      services: Object.keys(images),
      images: { ...imagesOf(stage), ...images },
      toPull: [],
      unpullable: [],
      note: `rollback to ${release.id}`,
    };
    const steps = engine.releaseSteps(ctx, sel.services, [], {
      pull: false,
      only: true,
      wait: fo.timeout,
    });
    return await runRelease(deps, engine, ctx, sel, steps, fo);
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
