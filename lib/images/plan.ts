/**
 * The docker commands of `fleet build` (pure): resolved builds (lib/images/inputs.ts) → steps.
 * `local` and `buildx: false` stages use `docker build` (plus `docker push` when pushing);
 * the others `docker buildx build`, which pushes (or loads) itself and reuses the registry cache.
 * Several platforms take one of two routes (lib/images/manifest_list.ts).
 */
import { join } from "../core/paths.ts";
import type { BuildInput, BuildOptions } from "./inputs.ts";
import {
  buildPlatforms,
  inspectListArgv,
  joinArgv,
  type ListRoute,
  listRoute,
  tempRef,
} from "./manifest_list.ts";
import type { ImageStore } from "../docker/image_store.ts";
import { planLogins, registryHost } from "../docker/registry_login.ts";
import type { Step, StepKind } from "../core/run.ts";
import type { Stage } from "../config/stage.ts";

/** What a build needs besides the stage: the temp dir (metadata files, Docker config). */
export interface PlanContext {
  readonly tmp: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The build engine's image store (lib/docker/image_store.ts); needed for several platforms. */
  readonly store?: ImageStore;
}

/** The steps of one service. */
export interface ServicePlan {
  readonly service: string;
  readonly ref: string;
  /** Every reference built (`ref` first). */
  readonly refs: readonly string[];
  readonly push: boolean;
  /** The target platforms ([] = native). */
  readonly platforms: readonly string[];
  /** buildx writes the pushed digest here (`containerimage.digest`). */
  readonly metadataFile?: string;
  readonly steps: readonly Step[];
  /** Several platforms: how the list is made. */
  readonly route?: ListRoute;
  /** A pushed list: reads it back (its digest and each platform's), after `steps`. */
  readonly inspect?: Step;
  /** The join route's per-platform tags, which stay in the registry. */
  readonly tempRefs?: readonly string[];
}

/** Every step of a build: logins first (in order), then each service's steps. */
export interface BuildPlan {
  readonly logins: readonly Step[];
  /** The temporary DOCKER_CONFIG when logging in, and the hosts it logs in to. */
  readonly dockerConfig?: string;
  readonly loginHosts: readonly string[];
  readonly services: readonly ServicePlan[];
}

/**
 * `--build-arg K=V` for literal values, `--build-arg K` for values in the child's env, and
 * `--secret id=…,env=…` for BuildKit secrets (their values only in the child's env).
 * @example buildArgArgv(web) // ["--build-arg", "A=1", "--secret", "id=npm,env=NPM_TOKEN"]
 */
export function buildArgArgv(b: BuildInput): string[] {
  return [
    ...Object.entries(b.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...Object.keys(b.secretArgs).flatMap((k) => ["--build-arg", k]),
    ...(b.secrets ?? []).flatMap((s) => ["--secret", `id=${s.id},env=${s.env}`]),
  ];
}

/** `-t <ref>` for each reference built (one build, several tags). */
function tagArgv(b: BuildInput): string[] {
  return b.refs.flatMap((r) => ["-t", r]);
}

/**
 * `docker build` (local, or `buildx: false`).
 * @example dockerBuildArgv(web, {}) // ["docker", "build", "-t", "app-web-local:latest", "-f", "/p/Dockerfile", "/p"]
 */
export function dockerBuildArgv(
  b: BuildInput,
  o: { platform?: string; cache?: boolean },
): string[] {
  return [
    "docker",
    "build",
    ...(o.platform ? ["--platform", o.platform] : []),
    ...tagArgv(b),
    ...["-f", b.dockerfile],
    ...(b.target ? ["--target", b.target] : []),
    ...buildArgArgv(b),
    ...(o.cache === false ? ["--no-cache"] : []),
    b.context,
  ];
}

/**
 * `docker buildx build`: pushes or loads, cache from the registry (unless --no-cache), inline
 * cache exported with the image, the digest written to `metadataFile`.
 * @example buildxArgv(web, { platform: "linux/amd64", push: true, metadataFile: "/t/web.json" })
 */
export function buildxArgv(
  b: BuildInput,
  o: { platform?: string; cache?: boolean; push?: boolean; metadataFile?: string; tag?: string },
): string[] {
  const cacheFrom = b.registry && o.cache !== false;
  return [
    ...["docker", "buildx", "build"],
    ...(o.platform ? ["--platform", o.platform] : []),
    ...["--progress", "plain", ...(o.tag ? ["-t", o.tag] : tagArgv(b)), "-f", b.dockerfile],
    ...(b.target ? ["--target", b.target] : []),
    ...buildArgArgv(b),
    // a list's inline cache serves each platform: the same cache ref on every route
    ...(cacheFrom ? ["--cache-from", `type=registry,ref=${b.ref}`] : []),
    ...["--cache-to", "type=inline"],
    o.push ? "--push" : "--load",
    ...(o.metadataFile ? ["--metadata-file", o.metadataFile] : []),
    ...(o.cache === false ? ["--no-cache"] : []),
    b.context,
  ];
}

type StepOf = (title: string, argv: string[]) => Step;
type RegistryStepOf = (kind: StepKind, title: string, argv: string[]) => Step;

/**
 * The steps of a multi-platform buildx build: one call (`one-call`), or one build per platform
 * under its own tag and a join (`join`); with --push, a last step reads the list back.
 * @example listPlan(web, ["linux/amd64", "linux/arm64"], "join", { push: true, step }).steps.length // 3
 */
export function listPlan(
  b: BuildInput,
  platforms: readonly string[],
  route: ListRoute,
  o: { push?: boolean; cache?: boolean; step: StepOf; registryStep: RegistryStepOf },
): Pick<ServicePlan, "steps" | "inspect" | "tempRefs" | "route"> {
  const inspect = o.push
    ? o.registryStep("query", `read the list of ${b.service}`, inspectListArgv(b.ref))
    : undefined;
  if (route === "one-call") {
    const argv = buildxArgv(b, { platform: platforms.join(","), cache: o.cache, push: o.push });
    return { route, steps: [o.step(`build ${b.service}`, argv)], inspect };
  }
  const tempRefs = platforms.map((p) => tempRef(b.ref, p));
  const builds = platforms.map((platform, i) =>
    o.step(
      `build ${b.service} for ${platform}`,
      buildxArgv(b, { platform, cache: o.cache, push: true, tag: tempRefs[i] }),
    )
  );
  const join = o.registryStep("push", `join ${b.service}'s platforms`, joinArgv(b.refs, tempRefs));
  return { route, steps: [...builds, join], inspect, tempRefs };
}

/** The hosts a build talks to: pushed refs, and buildx refs it reads cache from. */
function contactedHosts(stage: Stage, builds: readonly BuildInput[], o: BuildOptions): string[] {
  const talks = (b: BuildInput) => b.registry && (o.push || (stage.buildx && o.cache !== false));
  return [...new Set(builds.filter(talks).map((b) => registryHost(b.ref)))];
}

/**
 * The whole build as steps, given a temp dir for metadata files and the Docker config.
 * @example planBuild(dev, builds, { push: true }, { tmp: "/t", env }).services[0].steps[0].argv
 */
export function planBuild(
  stage: Stage,
  builds: readonly BuildInput[],
  opts: BuildOptions,
  ctx: PlanContext,
): BuildPlan {
  const hosts = contactedHosts(stage, builds, opts);
  const config = join(ctx.tmp, "docker-config");
  const logins = planLogins(hosts, ctx.env, config);
  const dockerConfig = logins.length ? config : undefined;
  const env = dockerConfig ? { DOCKER_CONFIG: dockerConfig } : undefined;
  const platforms = buildPlatforms(stage, opts);
  const route = platforms.length > 1 ? listRoute(opts, ctx.store ?? "classic") : undefined;
  const platform = platforms.join(",") || undefined;
  const services = builds.map((b): ServicePlan => {
    const secrets = { ...b.secretArgs, ...b.secretValues };
    const secretEnv = Object.keys(secrets).length ? secrets : undefined;
    // `docker build` of Docker 20.10 needs BuildKit turned on for --secret
    const kit = !stage.buildx && b.secrets?.length ? { DOCKER_BUILDKIT: "1" } : undefined;
    const stepEnv = env || kit ? { ...env, ...kit } : undefined;
    const step = (title: string, argv: string[]): Step => ({
      kind: "build",
      title,
      argv,
      env: stepEnv,
      secretEnv,
    });
    const base = {
      service: b.service,
      ref: b.ref,
      refs: b.refs,
      push: opts.push === true,
      platforms,
    };
    if (route) {
      // the join and the read-back take no build args: no secrets in their environment
      const registryStep: RegistryStepOf = (kind, title, argv) => ({ kind, title, argv, env });
      return { ...base, ...listPlan(b, platforms, route, { ...opts, step, registryStep }) };
    }
    if (stage.buildx) {
      const metadataFile = join(ctx.tmp, `${b.service}.metadata.json`);
      const argv = buildxArgv(b, { platform, cache: opts.cache, push: opts.push, metadataFile });
      return { ...base, metadataFile, steps: [step(`build ${b.service}`, argv)] };
    }
    const steps = [step(`build ${b.service}`, dockerBuildArgv(b, { platform, cache: opts.cache }))];
    if (opts.push) {
      for (const ref of b.refs) {
        const tag = ref === b.ref ? "" : ` ${ref.slice(ref.lastIndexOf(":") + 1)}`;
        steps.push({
          kind: "push",
          title: `push ${b.service}${tag}`,
          argv: ["docker", "push", ref],
          env,
        });
      }
    }
    return { ...base, steps };
  });
  return { logins, dockerConfig, loginHosts: dockerConfig ? hosts : [], services };
}
