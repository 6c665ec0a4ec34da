/**
 * The Swarm engine (SPEC §8): the stage's host is a Swarm manager; the stack file goes to
 * `docker stack deploy --compose-file -` on stdin with `${VAR}` values in the client's
 * environment, images pinned by registry digest. Swarm replaces tasks by a rolling update and
 * rolls a failed one back by itself; fleet waits by itself (lib/engine/swarm_wait.ts), whatever
 * the client's version.
 */
import type { Deps } from "../core/deps.ts";
import { ConfigError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import { keyAt } from "../config/positions.ts";
import { requireStageVars } from "../config/stage_vars.ts";
import { type Stage, stageEnv } from "../config/stage.ts";
import { varEnv } from "../config/vars.ts";
import { composeProject, registryOf } from "../docker/images.ts";
import type { Images } from "../docker/queries.ts";
import { stackServices } from "../docker/swarm_state.ts";
import { dockerStep, targetOf } from "../docker/target.ts";
import { contextFromModel } from "./compose.ts";
import type { ContextOptions, Engine, EngineContext, ReleaseOptions } from "./engine.ts";
import { resolveDigests } from "./swarm_images.ts";
import { onlyServices, stackYaml } from "./swarm_model.ts";
import { stackDown, stackLogsSteps, stackPs } from "./swarm_ops.ts";
import { ensureNetwork, execStep, oneOffStep } from "./swarm_run.ts";
import { applyStack } from "./swarm_wait.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Seconds a Swarm release waits by default: a rolling update, and maybe Swarm's rollback. */
export const SWARM_TIMEOUT = 300;

/**
 * The Swarm context of a stage. Every node pulls, so a built service needs a registry: without
 * one it is a ConfigError (unless `requireVars: false`: printing the model). Read-only commands
 * (`readOnly`: ps, logs, down, history, unlock) need no variable but the host's, and no secret.
 */
export function swarmContext(stage: Stage, given: Env, opts: ContextOptions = {}): EngineContext {
  const env = stageEnv(stage, given);
  const settings = stage.services.map(({ build: _b, own: _o, ...rest }) => rest);
  const readOnly = opts.readOnly === true;
  if (opts.requireVars !== false) requireStageVars(stage, env, readOnly);
  if (opts.requireVars !== false && !readOnly) {
    const local = stage.services.filter((s) => s.build && !registryOf(stage, s, opts));
    if (local.length) {
      throw new ConfigError(
        local.map((s) =>
          `${keyAt(stage, ["services", s.name])}: a Swarm stage's images come from a ` +
          "registry (every node pulls), and this built service has none"
        ).join("\n"),
        { hint: "set registry: in the stage file (or the service), and fleet build --push" },
      );
    }
  }
  return {
    stage,
    target: targetOf(stage, env),
    project: composeProject(stage),
    model: stackYaml(stage, { home: env.HOME, ...opts }),
    secretEnv: readOnly ? {} : varEnv(settings, env),
  };
}

/**
 * The release step: `docker stack deploy` of the services' part of the stack file.
 * @example stackSteps(ctx, ["web"], [], { pull: true, only: false })[0].argv.slice(1, 4) // ["stack", "deploy", "--compose-file"]
 */
export function stackSteps(
  ctx: EngineContext,
  services: readonly string[],
  _toPull: readonly string[],
  opts: ReleaseOptions,
): Step[] {
  const step = dockerStep(ctx.target, `stack deploy ${ctx.project}: ${services.join(", ")}`, [
    "stack",
    "deploy",
    "--compose-file",
    "-",
    "--with-registry-auth",
    "--resolve-image",
    opts.pull ? "always" : "never",
    ...(opts.prune ? ["--prune"] : []),
    ctx.project,
  ], "deploy");
  return [{ ...step, secretEnv: ctx.secretEnv, input: onlyServices(ctx.model, services) }];
}

/** What each service's spec runs now: the image reference (with its digest) by service. */
async function running(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
): Promise<Images> {
  const { services: found } = await stackServices(
    deps,
    ctx.target,
    services.map((s) => `${ctx.project}_${s}`),
  );
  const out: Images = {};
  for (const s of found) {
    const name = s.name.slice(ctx.project.length + 1);
    const [ref, digest] = s.image.split("@");
    if (services.includes(name) && s.image) {
      out[name] = { ref, id: s.image, ...(digest ? { digest } : {}) };
    }
  }
  return out;
}

/** How a service's tasks are replaced, for the plan. */
export function swarmStrategy(ctx: EngineContext, service: string): string {
  const svc = ctx.stage.services.find((s) => s.name === service);
  const n = svc?.replicas ?? 1;
  const replicas = `${n} replica${n === 1 ? "" : "s"}`;
  if ((svc?.update?.order ?? "start-first") === "stop-first") {
    return `${replicas}, rolling, stop-first: each task restarts`;
  }
  const health = svc?.healthcheck?.test !== undefined && !svc.healthcheck.disable;
  return health
    ? `${replicas}, rolling, start-first: no outage`
    : `${replicas}, rolling, start-first (no healthcheck: a new task counts as ready once started)`;
}

/** Docker Swarm, from a manager. */
export const swarm: Engine = {
  name: "swarm",
  timeout: SWARM_TIMEOUT,
  keepsImages: false,
  context: swarmContext,
  fromModel: contextFromModel,
  // the stack file is Docker's to read (`docker stack deploy`); no local check that needs Compose
  check: (_deps, ctx) => Promise.resolve(ctx),
  resolve: resolveDigests,
  releaseSteps: stackSteps,
  apply: applyStack,
  running,
  removeSteps: (ctx, services) => [
    dockerStep(ctx.target, "rm (new services)", [
      "service",
      "rm",
      ...services.map((s) => `${ctx.project}_${s}`),
    ], "rm"),
  ],
  strategy: swarmStrategy,
  beforeTask: ensureNetwork,
  taskStep: (ctx, service, command, name) =>
    oneOffStep(ctx, service, command, {
      kind: "task",
      title: `release task: ${service} ${command.join(" ")}`,
      ...(name ? { name } : {}),
    }),
  containers: async (deps, ctx, service) => {
    const r = await deps.runner.run(dockerStep(ctx.target, "list task containers", [
      "ps",
      "--filter",
      `label=com.docker.swarm.service.name=${ctx.project}_${service}`,
      "--filter",
      "status=running",
      "--format",
      "{{.Names}}",
    ]));
    return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
  },
  interactiveStep: (ctx, o) =>
    o.mode === "exec"
      ? execStep(ctx, o.container ?? "", o.command, o.tty)
      : oneOffStep(ctx, o.service, o.command, {
        kind: "exec",
        title: `run ${o.service}: ${o.command.join(" ")}`,
        image: o.image,
        tty: o.tty,
        stdin: true,
      }),
  ps: stackPs,
  logsSteps: stackLogsSteps,
  down: (deps, ctx) => stackDown(deps, ctx),
};
