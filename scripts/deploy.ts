#!/usr/bin/env -S deno run -A
/**
 * fleet deploy: pull → stop → rm → up on the stage's Docker host, wait until running and
 * healthy, record the release on the host, and roll back automatically when it fails.
 * Also `rollback` (to the previous good release, or --to <id>).
 *
 *   deno run -A scripts/deploy.ts <stage> [-n svc]… [--no-pull] [-y] [--dry-run] [--timeout s]
 *       [--no-rollback] [--changed-only] [--lock-wait s] [-C dir]
 *
 * Needs lib/: stage, schema, vars, images, compose, plan_deploy, host, health, release,
 * release_flow, run, ui, deps, cli, errors, version; deno.json imports: yaml, valibot, zx, dax,
 * @commander-js/extra-typings, commander.
 */
import type { Deps } from "../lib/core/deps.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import {
  composeContext,
  imagesOf,
  pullable,
  releaseSteps,
  targetServices,
} from "../lib/engine/compose.ts";
import {
  type FlowOptions,
  refuseWithoutTerminal,
  runRelease,
  type Selection,
} from "../lib/release/flow.ts";
import { pickRollback } from "../lib/release/rollback.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";

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
}

function flowOptions(o: DeployOptions & { to?: string }): FlowOptions {
  return {
    yes: o.yes ?? false,
    dryRun: o.dryRun ?? false,
    timeout: o.timeout ?? 120,
    rollback: o.rollback ?? true,
    changedOnly: o.changedOnly ?? false,
    lockWait: o.lockWait ?? 0,
    only: (o.service ?? []).length > 0,
  };
}

/** Deploy a stage (SPEC §5). Throws ConfigError/UsageError before any docker command. */
export async function deploy(stageName: string, opts: DeployOptions, deps: Deps): Promise<void> {
  const stage = loadStage(findRoot(deps.cwd, opts.dir), stageName);
  const services = targetServices(stage, opts.service ?? []);
  const plain = composeContext(stage, deps.env);
  const pull = opts.pull ?? true;
  const sel: Selection = {
    kind: "deploy",
    services: services.map((s) => s.name),
    images: imagesOf(stage),
    toPull: pull ? services.filter((s) => pullable(stage, s)).map((s) => s.name) : [],
    unpullable: services.filter((s) => !pullable(stage, s)).map((s) => s.name),
  };
  const fo = flowOptions(opts);
  refuseWithoutTerminal(deps, plain, "deploy", fo);
  await withSharedSsh(deps, plain, (ctx) => {
    const steps = releaseSteps(ctx, sel.services, sel.toPull, {
      pull,
      only: fo.only,
      wait: fo.timeout,
    });
    return runRelease(deps, ctx, sel, steps, fo);
  }, !fo.dryRun);
}

/** Go back to the previous successful release (or `--to <id>`), through the same flow. */
export async function rollback(
  stageName: string,
  opts: DeployOptions & { to?: string },
  deps: Deps,
): Promise<void> {
  const stage = loadStage(findRoot(deps.cwd, opts.dir), stageName);
  const services = targetServices(stage, opts.service ?? []);
  const base = composeContext(stage, deps.env);
  const fo = flowOptions(opts);
  refuseWithoutTerminal(deps, base, "rollback", fo);
  const names = services.map((s) => s.name);
  await withSharedSsh(deps, base, async (shared) => {
    const { release, images, ctx } = await pickRollback(deps, shared, names, opts.to);
    const sel: Selection = {
      kind: "rollback",
      services: Object.keys(images),
      images: { ...imagesOf(stage), ...images },
      toPull: [],
      unpullable: [],
      note: `rollback to ${release.id}`,
    };
    const steps = releaseSteps(ctx, sel.services, [], {
      pull: false,
      only: true,
      wait: fo.timeout,
    });
    await runRelease(deps, ctx, sel, steps, fo);
  }, !fo.dryRun);
}

if (import.meta.main) {
  const { deployCommand, runEdge, stageArg, usageExits } = await import("../lib/cli/commands.ts");
  const { defaultDeps } = await import("../lib/core/deps.ts");
  let code = 0;
  await usageExits(deployCommand()).action(async (stage, opts) => {
    code = await runEdge((signal) =>
      deploy(stageArg(stage, Deno.env.toObject()), opts, defaultDeps(signal))
    );
  }).parseAsync(Deno.args, { from: "user" });
  Deno.exit(code);
}
