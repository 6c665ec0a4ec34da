/**
 * Which engine client answers a stage's bookkeeping questions (engine_client.ts): the engine's
 * API where the deps allow it (`engineApi`: real deps do, tests with a recording runner do not)
 * and the target is the local engine on its unix socket; the docker CLI everywhere else
 * (ssh://, tcp://, a context, FLEET_ENGINE_API=0).
 */
import type { Deps } from "../core/deps.ts";
import { userDockerConfig } from "./docker_config.ts";
import { apiClient } from "./engine_api.ts";
import { localSocket } from "./engine_socket.ts";
import { cliClient } from "./engine_cli.ts";
import type { EngineClient } from "./engine_client.ts";
import type { Target } from "./target.ts";

/** The engine client for a target. */
export function engineOf(deps: Deps, target: Target): EngineClient {
  const cli = cliClient(deps.runner, target);
  const socket = apiSocket(deps, target);
  return socket ? apiClient(socket, { target, cli, env: deps.env, signal: deps.signal }) : cli;
}

/** The local engine's socket a target talks to where the deps answer over the API, else undefined. */
export function apiSocket(
  deps: Pick<Deps, "env" | "engineApi">,
  target: Target,
): string | undefined {
  if (!deps.engineApi || target.dockerArgv.length > 1) return undefined; // --context
  const env = { ...deps.env, ...target.env };
  return localSocket(env, currentContext(env));
}

const contexts = new Map<string, string>();

/** The current context config.json names (read once per config directory). */
function currentContext(env: Readonly<Record<string, string | undefined>>): string {
  const key = `${env.DOCKER_CONFIG ?? ""}\0${env.HOME ?? ""}`;
  if (!contexts.has(key)) contexts.set(key, String(userDockerConfig(env).currentContext ?? ""));
  return contexts.get(key)!;
}
