/**
 * Deploy planning (pure): Stage + options → Compose argv and the pull → stop → rm → up steps.
 * The Compose model goes on stdin (`-f -`), so fleet writes no file; `${VAR}` values go in the
 * child's environment (secretEnv), never in argv.
 */
import { composeProject, type ImageOptions, imageRef, registryOf } from "../docker/images.ts";
import { composeYaml } from "./compose_model.ts";
import { parse, stringify } from "yaml";
import { interpolate, missingVars, varEnv } from "../config/vars.ts";
import { ConfigError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import type { Service, Stage } from "../config/stage.ts";

/** Where the docker commands of a stage go: env (DOCKER_HOST) and argv prefix (--context). */
export interface Target {
  readonly env: Readonly<Record<string, string>>;
  readonly dockerArgv: readonly string[]; // ["docker"] or ["docker", "--context", name]
  readonly label: string; // for people: "ssh://deploy@host", "context live", "local engine"
}

/**
 * The Docker target of a stage (`host:` → DOCKER_HOST, `context:` → --context).
 * @example targetOf(stage, {}) // { env: { DOCKER_HOST: "ssh://deploy@x" }, dockerArgv: ["docker"], … }
 */
export function targetOf(stage: Stage, env: Readonly<Record<string, string | undefined>>): Target {
  if (stage.context) {
    return {
      env: {},
      dockerArgv: ["docker", "--context", stage.context],
      label: `context ${stage.context}`,
    };
  }
  if (stage.host) {
    const host = interpolate(stage.host, env);
    return { env: { DOCKER_HOST: host }, dockerArgv: ["docker"], label: host };
  }
  return {
    env: {},
    dockerArgv: ["docker"],
    label: env.DOCKER_HOST ? env.DOCKER_HOST : "local engine",
  };
}

/** What a deploy needs to talk to Compose: target, model (stdin) and secret environment. */
export interface ComposeContext {
  readonly stage: Stage;
  readonly target: Target;
  readonly project: string;
  readonly model: string;
  readonly secretEnv: Readonly<Record<string, string>>;
}

/**
 * Build the Compose context; an unset `${VAR}` without default in any service is a ConfigError.
 * `images` pins services to other image references (rollback).
 */
export function composeContext(
  stage: Stage,
  env: Readonly<Record<string, string | undefined>>,
  opts: ImageOptions & { images?: Readonly<Record<string, string>> } = {},
): ComposeContext {
  const settings = stage.services.map(({ build: _b, ...rest }) => rest);
  const missing = missingVars([settings, stage.host ?? ""], env);
  if (missing.length) {
    throw new ConfigError(
      `${stage.file}: ${missing.map((m) => `\${${m}}`).join(", ")} ${
        missing.length > 1 ? "are" : "is"
      } not set`,
      {
        hint: `set ${missing.join(", ")} in the environment, or give a default: \${${
          missing[0]
        }:-value}`,
      },
    );
  }
  const secretEnv = varEnv(settings, env);
  return {
    stage,
    target: targetOf(stage, env),
    project: composeProject(stage),
    model: composeYaml(stage, opts),
    secretEnv,
  };
}

/**
 * The context of an earlier release: its recorded Compose model, with some services pinned to
 * other images (the tags that kept them). Variables resolve from today's environment.
 * @example contextFromModel(ctx, release.model, { web: "repo:fleet-r1" }).model
 */
export function contextFromModel(
  ctx: ComposeContext,
  model: string,
  images: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): ComposeContext {
  const m = parse(model) as { services: Record<string, { image?: string }> };
  for (const [svc, ref] of Object.entries(images)) {
    if (m.services?.[svc]) m.services[svc].image = ref;
  }
  const missing = missingVars(m.services, env);
  if (missing.length) {
    throw new ConfigError(`the recorded release needs \${${missing[0]}}, which is not set`, {
      hint: `set ${missing.join(", ")} in the environment`,
    });
  }
  return { ...ctx, model: stringify(m, { lineWidth: 0 }), secretEnv: varEnv(m.services, env) };
}

/**
 * A `docker compose` step on the stage's target with the model on stdin.
 * @example composeStep(ctx, "stop", ["stop", "web"]).argv
 * // ["docker", "compose", "-p", "myapp-live", "--project-directory", "/repo", "-f", "-", "stop", "web"]
 */
export function composeStep(ctx: ComposeContext, title: string, args: readonly string[]): Step {
  return {
    title,
    argv: [
      ...ctx.target.dockerArgv,
      "compose",
      "-p",
      ctx.project,
      "--project-directory",
      ctx.stage.root,
      "-f",
      "-",
      ...args,
    ],
    env: { ...ctx.target.env, COMPOSE_PROGRESS: "plain" },
    secretEnv: ctx.secretEnv,
    input: ctx.model,
  };
}

/** A plain `docker …` step on the stage's target. */
export function dockerStep(target: Target, title: string, args: readonly string[]): Step {
  return { title, argv: [...target.dockerArgv, ...args], env: target.env };
}

/** A service's image can be pulled unless fleet builds it and there is no registry to pull from. */
export function pullable(stage: Stage, svc: Service, opts: ImageOptions = {}): boolean {
  return !svc.build || registryOf(stage, svc, opts) !== undefined;
}

/** The services a deploy touches: `-n` names (validated) or all, in file order. */
export function targetServices(stage: Stage, names: readonly string[]): Service[] {
  if (stage.services.length === 0) {
    throw new ConfigError(`${stage.file}: services: the stage has no services to deploy`, {
      hint: "add services: (here or in stages/_base.yaml)",
    });
  }
  if (names.length === 0) return [...stage.services];
  const known = stage.services.map((s) => s.name);
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length) {
    throw new ConfigError(
      `unknown service "${bad[0]}" in ${stage.file} (services: ${known.join(", ")})`,
    );
  }
  return stage.services.filter((s) => names.includes(s.name));
}

/** Options that shape the release steps. */
export interface ReleaseOptions {
  readonly pull: boolean;
  readonly only: boolean; // -n given: touch only these services (--no-deps)
  /** Seconds `up` waits for running/healthy (Compose's --wait); 0 or absent: no wait. */
  readonly wait?: number;
}

/**
 * The release steps, strictly ordered: pull (before anything stops) → stop → rm → up.
 * @example releaseSteps(ctx, ["web"], ["web"], { pull: true, only: false }).map((s) => s.title)
 * // ["pull", "stop", "rm", "up"]
 */
export function releaseSteps(
  ctx: ComposeContext,
  services: readonly string[],
  toPull: readonly string[],
  opts: ReleaseOptions,
): Step[] {
  const steps: Step[] = [];
  if (opts.pull && toPull.length) {
    steps.push(composeStep(ctx, "pull", ["pull", "--quiet", ...toPull]));
  }
  steps.push(composeStep(ctx, "stop", ["stop", ...services]));
  steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services]));
  steps.push(
    composeStep(ctx, "up", [
      "up",
      "--detach",
      ...(opts.wait ? ["--wait", "--wait-timeout", String(Math.ceil(opts.wait))] : []),
      "--no-build",
      "--pull",
      "never",
      ...(opts.only ? ["--no-deps"] : []),
      ...services,
    ]),
  );
  return steps;
}

/** The image reference of each service (after --registry/--tag), by service name. */
export function imagesOf(stage: Stage, opts: ImageOptions = {}): Record<string, string> {
  return Object.fromEntries(stage.services.map((s) => [s.name, imageRef(stage, s, opts)]));
}
