/**
 * One-off containers of a Swarm service on the manager: the release task and `fleet run`
 * (`docker run --rm` of the service's image, with its environment, on the stack's attachable
 * overlay network, so it reaches the other services by name), and `fleet exec` into a task's
 * container that runs on the manager. `${VAR}` values reach the container through the docker
 * client's environment (`-e NAME`), never argv.
 */
import type { Deps } from "../core/deps.ts";
import { UsageError } from "../core/errors.ts";
import type { Step, StepKind } from "../core/run.ts";
import { hasVars, interpolate } from "../config/vars.ts";
import { STACK_LABEL } from "../docker/swarm_state.ts";
import { dockerStep } from "../docker/target.ts";
import { LABEL } from "./compose_model.ts";
import type { EngineContext } from "./engine.ts";
import { imagesOfModel } from "./swarm_model.ts";
import { resolve } from "../core/paths.ts";

/** The name of a stack's default network (attachable, see swarm_model.ts). */
export const stackNetwork = (ctx: EngineContext) => `${ctx.project}_default`;

/**
 * The stack's network, for a release task before the first stack deploy: created when missing,
 * attachable and labelled as the stack's, so `docker stack deploy` then takes it over.
 */
export async function ensureNetwork(deps: Deps, ctx: EngineContext): Promise<void> {
  const net = stackNetwork(ctx);
  const r = await deps.runner.run(
    dockerStep(ctx.target, `inspect network ${net}`, [
      "network",
      "inspect",
      "--format",
      "{{.Id}}",
      net,
    ]),
    { check: false },
  );
  if (r.code === 0) return;
  await deps.runner.run(dockerStep(ctx.target, `create network ${net}`, [
    "network",
    "create",
    "--driver",
    "overlay",
    "--attachable",
    "--label",
    `${STACK_LABEL}=${ctx.project}`,
    net,
  ], "deploy"));
}

/** Names the docker client itself reads: a secret-bearing variable may not take their place. */
const CLIENT_ENV = /^(PATH|HOME|USER|TMPDIR|SSH_AUTH_SOCK|DOCKER_.*)$/;

/**
 * `-e` arguments for a service's environment and the client environment they read: a literal
 * value goes on argv (it is in the stage file), one with `${VAR}` goes in `secretEnv`.
 * @example envArgs(ctx, "web") // { argv: ["-e", "MODE=prod", "-e", "DB_URL"], secretEnv: { DB_URL: "…" } }
 */
export function envArgs(
  ctx: EngineContext,
  service: string,
): { argv: string[]; secretEnv: Record<string, string> } {
  const svc = ctx.stage.services.find((s) => s.name === service);
  const argv: string[] = [];
  const secretEnv: Record<string, string> = {};
  const env = svc?.environment ?? {};
  const pairs = Array.isArray(env)
    ? env.map((kv) => [kv.split("=")[0], kv.includes("=") ? kv.slice(kv.indexOf("=") + 1) : null])
    : Object.entries(env);
  for (const [name, value] of pairs as [string, unknown][]) {
    if (value === null || value === undefined) argv.push("-e", name);
    else if (!hasVars(String(value))) argv.push("-e", `${name}=${interpolate(String(value), {})}`);
    else {
      if (CLIENT_ENV.test(name)) {
        throw new UsageError(
          `services.${service}.environment.${name}: a \${VAR} value under this name would ` +
            "change the docker client's own environment; fleet cannot pass it to a one-off container",
        );
      }
      argv.push("-e", name);
      secretEnv[name] = interpolate(String(value), ctx.secretEnv);
    }
  }
  for (const f of [svc?.env_file ?? []].flat()) {
    const path = typeof f === "string" ? f : String(f.path ?? "");
    argv.push("--env-file", resolve(ctx.stage.root, path));
  }
  return { argv, secretEnv };
}

/**
 * `docker run --rm` of a service's image on the manager, on the stack's network.
 * @example runStep(ctx, "web", ["bin/migrate"], { kind: "task" }).argv.slice(0, 4) // ["docker", "run", "--rm", "--network"]
 */
export function oneOffStep(
  ctx: EngineContext,
  service: string,
  command: readonly string[],
  o: {
    kind: StepKind;
    title?: string;
    image?: string;
    tty?: boolean;
    stdin?: boolean;
    name?: string;
  },
): Step {
  const env = envArgs(ctx, service);
  const image = o.image ?? imagesOfModel(ctx.model)[service];
  const step = dockerStep(ctx.target, o.title ?? `run ${service}`, [
    "run",
    "--rm",
    ...(o.name ? ["--name", o.name] : []),
    "--network",
    stackNetwork(ctx),
    "--label",
    `${LABEL.stage}=${ctx.stage.name}`,
    "--label",
    `${LABEL.service}=${service}`,
    ...(o.stdin ? ["-i"] : []),
    ...(o.tty ? ["-t"] : []),
    ...env.argv,
    image,
    ...command,
  ], o.kind);
  return { ...step, secretEnv: env.secretEnv };
}

/** `docker exec` into a container on the manager (stdin passed on; a terminal when there is one). */
export function execStep(
  ctx: EngineContext,
  container: string,
  command: readonly string[],
  tty: boolean,
): Step {
  return dockerStep(ctx.target, `exec ${container}: ${command.join(" ")}`, [
    "exec",
    "-i",
    ...(tty ? ["-t"] : []),
    container,
    ...command,
  ], "exec");
}
