/**
 * Running a build plan (lib/images/plan.ts): the services side by side (`-j`), each one's steps in
 * order with its output prefixed, the pushed digests read back; and the result, `Built[]`, that
 * `fleet build` returns (rendered by lib/report/, returned by the library's `build`).
 */
import type { Deps } from "../core/deps.ts";
import { InterruptedError } from "../core/errors.ts";
import { runPool } from "../core/pool.ts";
import { showStep, type Step } from "../core/run.ts";
import { makeDockerConfig, userDockerConfigDir } from "../docker/docker_config.ts";
import { type ImageStore, imageStoreStep, parseImageStore } from "../docker/image_store.ts";
import type { BuildInput } from "./inputs.ts";
import { parsePushedList, type PlatformDigest } from "./manifest_list.ts";
import type { BuildPlan, ServicePlan } from "./plan.ts";

/** The outcome of one service's build (`fleet build --json` prints one per service). */
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
  /** Why this service failed (the others still finish). */
  readonly error?: unknown;
}

/** Build args that come from a variable stay readable in the image's history: say so. */
export function warnSecretArgs(builds: readonly BuildInput[], deps: Deps): void {
  for (const b of builds) {
    for (const arg of Object.keys(b.secretArgs)) {
      deps.ui.warn(
        `${b.service}: build arg ${arg} comes from a variable, and build args stay readable in ` +
          "the image's history (docker history): pass secrets with build.secrets instead",
      );
    }
  }
}

/** The build engine's image store (the one probe several platforms need). */
export async function imageStore(deps: Deps): Promise<ImageStore> {
  return parseImageStore((await deps.runner.run(imageStoreStep())).stdout);
}

/** A dry run: every step of the plan on stdout, nothing run. */
export function printPlan(plan: BuildPlan, deps: Deps, store?: ImageStore): void {
  const steps = plan.services.flatMap((p) => [...p.steps, ...(p.inspect ? [p.inspect] : [])]);
  for (const step of [...plan.logins, ...steps]) {
    deps.ui.out(`# ${step.title}\n${showStep(step)}`);
  }
  deps.ui.info(
    store ? `dry run: only the probe ran (${store} image store)` : "dry run: nothing was run",
  );
}

/** Log in to the plan's registries (in its temporary DOCKER_CONFIG, made here). */
export async function logIn(plan: BuildPlan, deps: Deps): Promise<void> {
  if (plan.dockerConfig) {
    await makeDockerConfig(plan.dockerConfig, userDockerConfigDir(deps.env), plan.loginHosts);
  }
  for (const step of plan.logins) {
    deps.ui.step(step.title, step.kind);
    await deps.runner.run(step); // its output (a warning about the temp file) is not shown
  }
}

/** Build every service, `jobs` at a time; a failed service is in the result, an interrupt throws. */
export async function buildServices(
  plan: BuildPlan,
  jobs: number,
  deps: Deps,
): Promise<Built[]> {
  const settled = await runPool(plan.services, jobs, (p) => buildOne(p, deps), deps.signal);
  return settled.map((r) => {
    if (r.status === "rejected") throw r.reason; // interrupted
    return r.value;
  });
}

/** One service's steps in order; a failure is returned (so the others finish), not thrown. */
async function buildOne(p: ServicePlan, deps: Deps): Promise<Built> {
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

/** The join route leaves its per-platform tags in the registry: say which. */
export function noteTempRefs(plan: BuildPlan, deps: Deps): void {
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

/** Whether a path exists (build contexts and Dockerfiles are checked before anything runs). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with a temporary directory (metadata files, Docker config), removed afterwards. */
export async function withTempDir<T>(prefix: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = await Deno.makeTempDir({ prefix });
  try {
    return await fn(tmp);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
