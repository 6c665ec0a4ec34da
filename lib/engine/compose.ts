/**
 * The Compose engine (SPEC §5): the model goes to `docker compose -f -` on stdin, so fleet writes
 * no file, and `${VAR}` values go in the child's environment, never in argv. A release is
 * pull → stop → rm → up (--wait); lib/engine/compose_wait.ts judges the wait.
 */
import { parse, stringify } from "yaml";
import { DEFAULTS } from "../core/defaults.ts";
import type { Step } from "../core/run.ts";
import { type Stage, stageEnv } from "../config/stage.ts";
import { requireStageVars } from "../config/stage_vars.ts";
import { hasVars, literal, requireVars, varEnv } from "../config/vars.ts";
import { composeProject, type ImageOptions, imageRef } from "../docker/images.ts";
import { listContainers } from "../docker/queries.ts";
import type { Images } from "../docker/queries.ts";
import { targetOf } from "../docker/target.ts";
import { composeYaml } from "./compose_model.ts";
import { composeStep } from "./compose_step.ts";
import { composeProgress } from "./compose_progress.ts";
import { applySteps } from "./compose_wait.ts";
import { checkModel, FILES_KEY } from "./compose_check.ts";
import { resolveOnHost } from "./compose_images.ts";
import { composeContainers, composeDown, composeLogsSteps, composePs } from "./compose_ops.ts";
import type { ContextOptions, Engine, EngineContext, ReleaseOptions } from "./engine.ts";

/** The Compose engine's context (the engine-neutral EngineContext). */
export type ComposeContext = EngineContext;
export { composeStep };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The Compose context of a stage; an unset `${VAR}` without default in any service (or the host)
 * is a ConfigError unless `requireVars: false`. Read-only commands (`readOnly`: ps, logs, down,
 * history, unlock) get a model of names only and no secrets: nothing in it needs a variable, so
 * they run without the deploy-time secrets; the host's variables are still needed (without
 * them the commands would go to another engine).
 */
export function composeContext(stage: Stage, given: Env, opts: ContextOptions = {}): EngineContext {
  const env = stageEnv(stage, given);
  const settings = stage.services.map(({ build: _b, own: _o, ...rest }) => rest);
  const readOnly = opts.readOnly === true;
  if (opts.requireVars !== false) requireStageVars(stage, env, readOnly);
  // read-only commands need no files: their model names the services (and networks) only
  const files = !readOnly && stage.compose
    ? { files: stage.compose.files, projectDir: stage.compose.projectDir }
    : {};
  return {
    stage,
    target: targetOf(stage, env),
    project: composeProject(stage),
    model: readOnly ? namesOnlyYaml(stage, opts) : composeYaml(stage, { home: env.HOME, ...opts }),
    secretEnv: readOnly ? {} : varEnv([settings, stage.top], env),
    ...files,
  };
}

/**
 * The services by name with their images, and the networks (so `down` takes them away too);
 * no profiles, so every service of the project counts.
 */
function namesOnlyYaml(stage: Stage, opts: ImageOptions): string {
  // a network no service uses is not the project's to Compose: each service names its own
  const image = (s: Stage["services"][number]) => {
    const ref = imageRef(stage, s, opts);
    const nets = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
    return {
      image: ref.includes("${") ? "unset-variable" : literal(ref),
      ...(nets.length ? { networks: nets } : {}),
    };
  };
  const services = Object.fromEntries(stage.services.map((s) => [s.name, image(s)]));
  const networks = { ...stage.compose?.networks, ...stage.top?.networks };
  const names = Object.keys(networks).filter((n) => !hasVars(JSON.stringify(networks[n] ?? {})));
  return stringify({
    name: composeProject(stage),
    services,
    ...(names.length
      ? { networks: Object.fromEntries(names.map((n) => [n, networks[n] ?? {}])) }
      : {}),
  });
}

/**
 * The context of an earlier release: its recorded Compose model, with some services pinned to
 * other images (the tags that kept them). Variables resolve from today's environment.
 * @example contextFromModel(ctx, release.model, { web: "repo:fleet-r1" }, env).model
 */
export function contextFromModel(
  ctx: EngineContext,
  model: string,
  images: Readonly<Record<string, string>>,
  env: Env,
): EngineContext {
  const m = parse(model) as { services: Record<string, { image?: string }> };
  for (const [svc, ref] of Object.entries(images)) {
    if (m.services?.[svc]) m.services[svc].image = ref;
  }
  const vars = stageEnv(ctx.stage, env);
  requireVars([["the recorded release", m.services]], vars);
  // a recorded model stands alone (Compose's merge of the files it was made of), unless it is
  // an overlay that names the files it went over
  const named = (m as Record<string, unknown>)[FILES_KEY];
  return {
    ...ctx,
    files: Array.isArray(named) ? named.map(String) : [],
    model: stringify(m, { lineWidth: 0 }),
    secretEnv: varEnv(m, vars),
  };
}

/**
 * The release steps, strictly ordered: pull (before anything stops) → stop → rm → up. Pull and
 * up say how their lines tell each service's state (a live block on a terminal).
 * @example releaseSteps(ctx, ["web"], ["web"], { pull: true, only: false }).map((s) => s.kind)
 * // ["pull", "stop", "rm", "up"]
 */
export function releaseSteps(
  ctx: EngineContext,
  services: readonly string[],
  toPull: readonly string[],
  opts: ReleaseOptions,
): Step[] {
  const steps: Step[] = [];
  if (opts.pull && toPull.length) {
    steps.push({
      ...composeStep(ctx, "pull", ["pull", "--quiet", ...toPull]),
      progress: composeProgress(ctx, toPull, "pulling…", "pulled"),
    });
  }
  steps.push(composeStep(ctx, "stop", ["stop", ...services]));
  steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services]));
  steps.push({
    ...composeStep(ctx, "up", [
      "up",
      "--detach",
      ...(opts.wait ? ["--wait", "--wait-timeout", String(Math.ceil(opts.wait))] : []),
      "--no-build",
      "--pull",
      "never",
      ...(opts.only ? ["--no-deps"] : []),
      ...services,
    ]),
    progress: composeProgress(ctx, services, "starting…", opts.wait ? "ready" : "started"),
  });
  return steps;
}

/** What each service's container runs now (running or not), by service. */
async function running(
  deps: Parameters<Engine["running"]>[0],
  ctx: EngineContext,
  services: readonly string[],
): Promise<Images> {
  const out: Images = {};
  for (const c of await listContainers(deps, ctx.target, ctx.project)) {
    if (services.includes(c.service) && c.imageId) {
      out[c.service] = { ref: c.imageRef, id: c.imageId };
    }
  }
  return out;
}

/** Docker Compose v2 on one host. */
export const compose: Engine = {
  name: "compose",
  timeout: DEFAULTS.timeout,
  keepsImages: true,
  context: composeContext,
  fromModel: contextFromModel,
  check: checkModel,
  resolve: (deps, ctx, sel, _pull, pulled) => resolveOnHost(deps, ctx, sel, pulled),
  releaseSteps,
  apply: applySteps,
  running,
  removeSteps: (ctx, services) => [
    composeStep(ctx, "stop", ["stop", ...services], "stop (new services)"),
    composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services], "rm (new services)"),
  ],
  strategy: () => "stop → rm → up: a short outage",
  beforeTask: () => Promise.resolve(),
  taskStep: (ctx, service, command, name) =>
    composeStep(
      ctx,
      "task",
      ["run", "--rm", "--no-deps", "-T", ...(name ? ["--name", name] : []), service, ...command],
      `release task: ${service} ${command.join(" ")}`,
    ),
  containers: composeContainers,
  interactiveStep: (ctx, o) =>
    composeStep(
      ctx,
      "exec",
      [
        o.mode,
        ...(o.tty ? [] : ["-T"]),
        ...(o.mode === "exec" && o.index ? ["--index", String(o.index)] : []),
        ...(o.mode === "run" ? ["--rm", "--no-deps"] : []),
        o.service,
        ...o.command,
      ],
      `${o.mode} ${o.service}: ${o.command.join(" ")}`,
      o.modelFile,
    ),
  ps: composePs,
  logsSteps: composeLogsSteps,
  down: composeDown,
};
