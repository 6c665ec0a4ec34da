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
import { type BuildOptions, resolveBuilds } from "../lib/build/inputs.ts";
import {
  buildPlatforms,
  parsePushedList,
  type PlatformDigest,
} from "../lib/build/manifest_list.ts";
import { type ImageStore, imageStoreStep, parseImageStore } from "../lib/docker/image_store.ts";
import type { Deps } from "../lib/core/deps.ts";
import { makeDockerConfig, userDockerConfigDir } from "../lib/docker/docker_config.ts";
import {
  CommandError,
  formatError,
  InterruptedError,
  SetupError,
  withResult,
} from "../lib/core/errors.ts";
import { buildText } from "../lib/report/text.ts";
import { DEFAULTS } from "../lib/core/defaults.ts";
import { showStep, type Step } from "../lib/core/run.ts";
import { type BuildPlan, planBuild, type ServicePlan } from "../lib/build/plan.ts";
import { runPool } from "../lib/core/pool.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";

/** The options of `fleet build` (commander's parse of buildCommand()). */
export interface BuildCliOptions extends BuildOptions {
  readonly dryRun?: boolean;
  readonly jobs?: number;
  readonly dir?: string;
}

/** The outcome of one service's build. */
export interface Built {
  readonly service: string;
  /** The image reference (the first tag). */
  readonly ref: string;
  /** Every reference built and pushed: one per --tag (`ref` first). */
  readonly refs: readonly string[];
  /** When pushed: the manifest's digest (of the list, for several platforms). */
  readonly digest?: string;
  /** The target platforms ([] = native), each with its manifest's digest when pushed. */
  readonly platforms: readonly PlatformDigest[];
  readonly seconds: number;
  readonly error?: unknown;
}

/** Build a stage's images: parse → resolve → plan → run. Throws (exit 2 before any docker run). */
export async function build(stage: string, opts: BuildCliOptions, deps: Deps): Promise<Built[]> {
  const s = loadStage(findRoot(deps.cwd, opts.dir), stage);
  const builds = resolveBuilds(s, opts, deps.env, exists);
  for (const b of builds) {
    for (const arg of Object.keys(b.secretArgs)) {
      deps.ui.warn(
        `${b.service}: build arg ${arg} comes from a variable, and build args stay readable in ` +
          "the image's history (docker history): pass secrets with build.secrets instead",
      );
    }
  }
  // several platforms: the one probe, whose answer picks the route (or refuses, exit 2)
  const store = buildPlatforms(s, opts).length > 1 ? await imageStore(deps) : undefined;
  if (opts.dryRun) {
    const tmp = join(deps.env.TMPDIR || "/tmp", "fleet-build-XXXXXX");
    printPlan(planBuild(s, builds, opts, { tmp, env: deps.env, store }), deps, store);
    return [];
  }
  const tmp = await Deno.makeTempDir({ prefix: "fleet-build-" });
  try {
    const plan = planBuild(s, builds, opts, { tmp, env: deps.env, store });
    if (plan.dockerConfig) {
      await makeDockerConfig(plan.dockerConfig, userDockerConfigDir(deps.env), plan.loginHosts);
    }
    for (const step of plan.logins) {
      deps.ui.step(step.title, step.kind);
      await deps.runner.run(step); // its output (a warning about the temp file) is not shown
    }
    const jobs = opts.jobs ?? DEFAULTS.jobs;
    const settled = await runPool(plan.services, jobs, (p) => run(p, deps), deps.signal);
    const built = settled.map((r) => {
      if (r.status === "rejected") throw r.reason; // interrupted
      return r.value;
    });
    failIfAny(built, deps);
    noteTempRefs(plan, deps);
    return built;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

async function imageStore(deps: Deps): Promise<ImageStore> {
  return parseImageStore((await deps.runner.run(imageStoreStep())).stdout);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function printPlan(plan: BuildPlan, deps: Deps, store?: ImageStore): void {
  const steps = plan.services.flatMap((p) => [...p.steps, ...(p.inspect ? [p.inspect] : [])]);
  for (const step of [...plan.logins, ...steps]) {
    deps.ui.out(`# ${step.title}\n${showStep(step)}`);
  }
  deps.ui.info(
    store ? `dry run: only the probe ran (${store} image store)` : "dry run: nothing was run",
  );
}

/** One service's steps in order; a failure is returned (so the others finish), not thrown. */
async function run(p: ServicePlan, deps: Deps): Promise<Built> {
  const start = deps.now().getTime();
  const seconds = () => (deps.now().getTime() - start) / 1000;
  const on = p.platforms.length ? ` (${p.platforms.join(", ")})` : "";
  deps.ui.step(`build ${p.service} → ${p.ref}${on}`);
  const base = { service: p.service, ref: p.ref, refs: p.refs };
  let digest: string | undefined;
  let platforms: readonly PlatformDigest[] = p.platforms.map((platform) => ({ platform }));
  try {
    for (const step of p.steps) {
      const pushing = step.kind === "push";
      if (p.route) deps.ui.line(p.service, `--- ${step.title}`);
      await deps.runner.run(step, {
        onLine: (line) => {
          deps.ui.line(p.service, line);
          if (pushing) digest = line.match(/digest: (sha256:[0-9a-f]{64})/)?.[1] ?? digest;
        },
      });
    }
    if (p.inspect) [digest, platforms] = await readList(p, p.inspect, deps);
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return { ...base, platforms, seconds: seconds(), error };
  }
  if (p.push && p.metadataFile) digest = await metadataDigest(p.metadataFile);
  if (!p.push) digest = undefined;
  if (p.platforms.length === 1) platforms = [{ platform: p.platforms[0], digest }];
  return { ...base, digest, platforms, seconds: seconds() };
}

/** The pushed list's digest and each platform's; when it cannot be read, a warning (it is pushed). */
async function readList(
  p: ServicePlan,
  inspect: Step,
  deps: Deps,
): Promise<[string | undefined, readonly PlatformDigest[]]> {
  const r = await deps.runner.run(inspect, { check: false });
  try {
    if (r.code !== 0) throw new Error(r.stderr.trim().split("\n").at(-1));
    const list = parsePushedList(r.stdout, p.platforms);
    return [list.digest || undefined, list.platforms];
  } catch (e) {
    deps.ui.warn(`${p.service}: pushed, but reading the list back failed: ${(e as Error).message}`);
    return [undefined, p.platforms.map((platform) => ({ platform }))];
  }
}

async function metadataDigest(file: string): Promise<string | undefined> {
  try {
    const d = JSON.parse(await Deno.readTextFile(file))["containerimage.digest"];
    return typeof d === "string" ? d : undefined;
  } catch {
    return undefined;
  }
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
  throw withResult(
    new CommandError(
      `${failed.length} of ${built.length} builds failed: ${
        failed.map((f) => f.service).join(", ")
      }`,
      [],
      "",
      { hint: "each service's output is above, every line prefixed with its name" },
    ),
    built,
  );
}

/** The join route leaves its per-platform tags in the registry: say which. */
function noteTempRefs(plan: BuildPlan, deps: Deps): void {
  const refs = plan.services.flatMap((p) => p.tempRefs ?? []);
  if (refs.length === 0) return;
  deps.ui.info(
    `note: the per-platform tags joined into the lists stay in the registry (${
      refs.join(", ")
    }); ` +
      "a plain registry (Distribution 2.x) deletes a tag only with the manifest the list points " +
      "at, and the next build of the same tag overwrites them",
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
