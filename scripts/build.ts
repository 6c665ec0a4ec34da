#!/usr/bin/env -S deno run -A
/**
 * fleet build <stage> — build the Docker images of a stage's services (SPEC §4).
 *
 *   deno run -A scripts/build.ts <stage> [-n <service>]... [--push] [--tag <tag>]
 *     [--registry <registry>] [--platform <platform>] [--no-cache] [--dry-run] [-j <n>] [--json]
 *     [-C <dir>]          (--tag is repeatable: one build, every tag pushed)
 *
 * `local` builds natively with `docker build` and never pushes; other stages run
 * `docker buildx build --platform …` with the registry's layer cache, and push with --push.
 * Services build concurrently (-j, default 3), each output line prefixed with its service; one
 * line per service at the end (image, digest when pushed, time). With FLEET_REGISTRY_USER and
 * FLEET_REGISTRY_PASSWORD (or GITHUB_ACTOR and GITHUB_TOKEN for ghcr.io) it logs in to the
 * registry for this run only, in a temporary DOCKER_CONFIG that is removed afterwards.
 *
 * To use it in another repo, copy this script with lib/ (whole) and the "imports" of deno.json.
 */
import { join } from "node:path";
import { type BuildOptions, resolveBuilds } from "../lib/images/inputs.ts";
import { buildPlatforms } from "../lib/images/manifest_list.ts";
import { planBuild } from "../lib/images/plan.ts";
import * as run from "../lib/images/build_run.ts";
import type { Built } from "../lib/images/build_run.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { DEFAULTS } from "../lib/core/defaults.ts";
import type { Deps } from "../lib/core/deps.ts";
import { CommandError, formatError, SetupError, withResult } from "../lib/core/errors.ts";
import { buildText } from "../lib/report/text.ts";

export type { Built };

/** The options of `fleet build` (commander's parse of buildCommand()). */
export interface BuildCliOptions extends BuildOptions {
  readonly dryRun?: boolean;
  readonly jobs?: number;
  readonly dir?: string;
}

/** Build a stage's images: load → resolve → plan → log in → build. Throws (exit 2 before any docker run). */
export async function build(stage: string, opts: BuildCliOptions, deps: Deps): Promise<Built[]> {
  const s = loadStage(findRoot(deps.cwd, opts.dir), stage);
  const builds = resolveBuilds(s, opts, deps.env, run.exists);
  run.warnSecretArgs(builds, deps);
  // several platforms: the one probe, whose answer picks the route (or refuses, exit 2)
  const store = buildPlatforms(s, opts).length > 1 ? await run.imageStore(deps) : undefined;
  if (opts.dryRun) {
    const tmp = join(deps.env.TMPDIR || "/tmp", "fleet-build-XXXXXX");
    run.printPlan(planBuild(s, builds, opts, { tmp, env: deps.env, store }), deps, store);
    return [];
  }
  return await run.withTempDir("fleet-build-", async (tmp) => {
    const plan = planBuild(s, builds, opts, { tmp, env: deps.env, store });
    await run.logIn(plan, deps);
    const built = await run.buildServices(plan, opts.jobs ?? DEFAULTS.jobs, deps);
    failIfAny(built, deps);
    run.noteTempRefs(plan, deps);
    return built;
  });
}

/** When a service failed: the table and each error on stderr, then a CommandError (exit 1). */
function failIfAny(built: readonly Built[], deps: Deps): void {
  const failed = built.filter((b) => b.error !== undefined);
  if (failed.length === 0) return;
  deps.ui.info(buildText(built));
  // the machine is not ready (no buildx, no engine): one error says it, not one per service
  const setup = failed.find((f) => f.error instanceof SetupError);
  if (setup) throw withResult(setup.error, built);
  for (const f of failed) deps.ui.info(formatError(f.error));
  const names = failed.map((f) => f.service).join(", ");
  throw withResult(
    new CommandError(`${failed.length} of ${built.length} builds failed: ${names}`, [], "", {
      hint: "each service's output is above, every line prefixed with its name",
    }),
    built,
  );
}

if (import.meta.main) {
  const { buildCommand, parseAndLeave, stageArg, usageExits } = await import(
    "../lib/cli/commands.ts"
  );
  const { runCommand } = await import("../lib/cli/output.ts");
  const env = Deno.env.toObject();
  let code = 0;
  const cli = usageExits(buildCommand()).action(async (stage, opts) => {
    const o = { ...opts, stage: stage ?? env.FLEET_STAGE };
    code = await runCommand("build", o, (deps) => build(stageArg(stage, env), o, deps));
  });
  await parseAndLeave(() => cli.parseAsync(Deno.args, { from: "user" }), () => code);
}
