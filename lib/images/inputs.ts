/**
 * What `fleet build` builds (SPEC §4): the services chosen with `-n`, checked against the
 * options, with `${VAR}` in their build settings resolved. Pure: the environment and the file
 * check are passed in. Every problem is a UsageError/ConfigError (exit 2) before docker runs.
 *
 * `${VAR}` in `build.context`, `build.dockerfile` and `build.target` is substituted into the
 * path or name (these go on the command line, so they must not hold secrets); a value that is
 * an absolute path starts the path over, as it would in the file. `${VAR}` in `build.args`
 * never reaches argv: the resolved value goes to docker through the child's environment.
 */
import { relative, resolve } from "../core/paths.ts";
import { ConfigError, UsageError } from "../core/errors.ts";
import { checkTags, imageRef, registryOf } from "../docker/images.ts";
import { pickServices } from "../config/services.ts";
import { registryProblem } from "../config/formats.ts";
import { dockerfileCandidates, type Service, type Stage, stageEnv } from "../config/stage.ts";
import { keyAt } from "../config/positions.ts";
import { hasVars, interpolate, requireVars } from "../config/vars.ts";

/** The options of `fleet build` that decide what is built and how. */
export interface BuildOptions {
  readonly service?: readonly string[];
  readonly push?: boolean;
  /** The tag, or several (`--tag latest --tag sha-…`: one build, every tag); default the stage's. */
  readonly tag?: string | readonly string[];
  readonly registry?: string;
  readonly platform?: string;
  /** false: --no-cache */
  readonly cache?: boolean;
}

/** One service to build, every value resolved. */
export interface BuildInput {
  readonly service: string;
  /** The image reference (the first tag). */
  readonly ref: string;
  /** Every reference built: `ref`, then one per further --tag. */
  readonly refs: readonly string[];
  readonly context: string;
  readonly dockerfile: string;
  readonly target?: string;
  /** Literal values: `--build-arg K=V`. */
  readonly args: Readonly<Record<string, string>>;
  /** Values from `${VAR}`: `--build-arg K` on argv, K=value in the child's environment. */
  readonly secretArgs: Readonly<Record<string, string>>;
  /** BuildKit secrets (`--secret id=…,env=…`) and their values by env name (child's env only). */
  readonly secrets: readonly { readonly id: string; readonly env: string }[];
  readonly secretValues: Readonly<Record<string, string>>;
  /** The reference names a registry (or a repository namespace): it can be pushed and cached. */
  readonly registry: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

// names docker (or the shell around it) reads from its own environment
const RESERVED_ENV = /^(PATH|HOME|DOCKER_.*|BUILDX_.*|BUILDKIT_HOST)$/;

/**
 * The services `-n` names (all with `build:` by default), in file order.
 * @example selectServices(stage, { service: ["web"] }).map((s) => s.name) // ["web"]
 */
export function selectServices(stage: Stage, opts: BuildOptions): Service[] {
  const buildable = stage.services.filter((s) => s.build);
  const list = buildable.map((s) => s.name).join(", ") || "none";
  if (buildable.length === 0) {
    throw new UsageError(`stage "${stage.name}" has no service with build: (${stage.file})`, {
      hint: "add `build: {}` to a service to build services/<name>/Dockerfile",
    });
  }
  const names = [...new Set(opts.service ?? [])];
  for (const n of names) {
    const svc = stage.services.find((s) => s.name === n);
    if (svc && !svc.build) {
      throw new UsageError(
        `service "${n}" has no build: in ${stage.file}, nothing to build (buildable services: ${list})`,
        { hint: svc.image ? `it uses the image ${svc.image} as is` : undefined },
      );
    }
  }
  return pickServices(stage, names, buildable, "buildable services");
}

/**
 * Select, check and resolve every service to build; throws before anything runs.
 * `exists` tells whether a path exists (the script passes a stat; tests a set).
 */
export function resolveBuilds(
  stage: Stage,
  opts: BuildOptions,
  env: Env,
  exists: (path: string) => boolean,
): BuildInput[] {
  const services = selectServices(stage, opts);
  checkTags(tagsOf(opts));
  const bad = opts.registry === undefined ? undefined : registryProblem(opts.registry);
  if (bad) throw new UsageError(`--registry "${opts.registry}": ${bad}`);
  if (opts.push && stage.local) {
    throw new UsageError(`--push is refused on stage "local": local images are never pushed`, {
      hint: "push from a cloud stage (e.g. `fleet build dev --push`), or drop --push",
    });
  }
  const unpushable = services.filter((s) => !hasRegistry(stage, s, opts)).map((s) => s.name);
  if (opts.push && unpushable.length) {
    throw new UsageError(`--push needs a registry, and none is set for ${unpushable.join(", ")}`, {
      hint: `pass --registry <host/namespace>, or set registry: in ${stage.file} or ` +
        "stages/_base.yaml, or registry: on the service",
    });
  }
  return services.map((svc) => resolveOne(stage, svc, opts, env, exists));
}

/**
 * The tags of --tag (none: the stage's).
 * @example tagsOf({ tag: ["latest", "sha-1"] }) // ["latest", "sha-1"]
 */
export function tagsOf(opts: BuildOptions): string[] {
  return opts.tag === undefined ? [] : [opts.tag].flat();
}

/** A registry is set for the service, or its `image:` names a repository namespace. */
function hasRegistry(stage: Stage, svc: Service, opts: BuildOptions): boolean {
  return registryOf(stage, svc, { registry: opts.registry }) !== undefined ||
    (svc.image?.includes("/") ?? false);
}

function resolveOne(
  stage: Stage,
  svc: Service,
  opts: BuildOptions,
  given: Env,
  exists: (path: string) => boolean,
): BuildInput {
  const env = stageEnv(stage, given); // .env under the process environment, as Compose reads it
  const b = svc.build!;
  const at = (...key: string[]) => keyAt(stage, ["services", svc.name, "build", ...key]);
  checkVars(at, b, env);
  const rel = (p: string) => relative(stage.root, p) || ".";
  const context = interpolatePath(b.context, env);
  if (!exists(context)) {
    throw new ConfigError(`${at("context")}: ${rel(context)} does not exist`, {
      hint: "context is relative to the project root",
    });
  }
  const resolved: Service = {
    ...svc,
    build: { ...b, context, dockerfile: b.dockerfile && interpolatePath(b.dockerfile, env) },
  };
  const candidates = dockerfileCandidates(resolved);
  const dockerfile = candidates.find(exists);
  if (!dockerfile) {
    throw new ConfigError(
      b.dockerfile
        ? `${at("dockerfile")}: ${rel(candidates[0])} does not exist`
        : `${at()}: no Dockerfile found (looked for ${candidates.map(rel).join(", ")})`,
      { hint: "create one, or point build.dockerfile at it (relative to build.context)" },
    );
  }
  const args: Record<string, string> = {};
  const secretArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args)) {
    if (!hasVars(v)) {
      args[k] = interpolate(v, env); // `$$` → `$`
      continue;
    }
    if (RESERVED_ENV.test(k)) {
      throw new ConfigError(`${at("args", k)}: a build arg set from \${…} cannot be named ${k}`, {
        hint: "its value goes to docker through the environment, where docker reads that name",
      });
    }
    secretArgs[k] = interpolate(v, env);
  }
  const tags = tagsOf(opts);
  const refs = tags.length
    ? [...new Set(tags)].map((tag) => imageRef(stage, svc, { ...opts, tag }))
    : [imageRef(stage, svc, { ...opts, tag: undefined })];
  return {
    service: svc.name,
    ref: refs[0],
    refs,
    context,
    dockerfile,
    target: b.target === undefined ? undefined : interpolate(b.target, env),
    args,
    secretArgs,
    secrets: b.secrets ?? [],
    secretValues: secretValues(at, b, secretArgs, env),
    registry: hasRegistry(stage, svc, opts),
  };
}

/** The value of each `build.secrets` env: set (exit 2 if not), not a name docker reads. */
function secretValues(
  at: (...key: string[]) => string,
  b: NonNullable<Service["build"]>,
  secretArgs: Readonly<Record<string, string>>,
  env: Env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, { id, env: name }] of (b.secrets ?? []).entries()) {
    const key = at("secrets", String(i), "env");
    if (RESERVED_ENV.test(name) || name in secretArgs) {
      throw new ConfigError(`${key}: the secret ${id} cannot be read from ${name}`, {
        hint: RESERVED_ENV.test(name)
          ? "docker reads that name from its own environment: pick another"
          : `a build arg set from \${…} is named ${name} too: pick another name for one of them`,
      });
    }
    const value = env[name];
    if (value === undefined) {
      throw new ConfigError(`${key}: ${name} (secret ${id}) is not set`, {
        hint: `set ${name} in the environment of fleet build`,
      });
    }
    out[name] = value;
  }
  return out;
}

/** Unset `${VAR}` (no default) anywhere in the build settings: one ConfigError naming each. */
function checkVars(
  at: (...key: string[]) => string,
  b: NonNullable<Service["build"]>,
  env: Env,
): void {
  requireVars([
    [at("context"), b.context],
    [at("dockerfile"), b.dockerfile],
    [at("target"), b.target],
    ...Object.entries(b.args).map(([k, v]) => [at("args", k), v] as const),
  ], env);
}

/**
 * `${VAR}` in an absolute path, segment by segment; an absolute value starts the path over.
 * @example interpolatePath("/p/${D}/x", { D: "/srv" }) // "/srv/x"
 */
export function interpolatePath(path: string, env: Env): string {
  if (!path.includes("$")) return path;
  // split on "/" outside ${…}, so a default like ${D:-a/b} stays whole
  const [head, ...rest] = path.split(/\/(?![^{]*\})/).map((s) => interpolate(s, env));
  return resolve(head || "/", ...rest);
}
