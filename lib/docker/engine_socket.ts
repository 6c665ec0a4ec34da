/**
 * The local engine's unix socket: whether a target talks to it (localSocket), one HTTP client per
 * socket for the process, a request and its JSON answer, and FLEET_ENGINE_API_LOG's lines.
 * engine_api.ts asks its questions through here.
 */
import { holdsOpen } from "../core/leave.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** One HTTP request to the engine: method, path (with query), JSON body. */
export interface ApiRequest {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
}

/** An engine answer: HTTP status and the parsed JSON body (undefined when empty). */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The unix socket of the local engine in an environment (a target's env over the process's):
 * no DOCKER_CONTEXT or current context other than `default`, DOCKER_HOST unset or `unix://`,
 * FLEET_ENGINE_API not 0. `currentContext` is the one config.json names.
 */
export function localSocket(e: Env, currentContext: string | undefined): string | undefined {
  if (e.FLEET_ENGINE_API === "0") return undefined;
  const context = e.DOCKER_CONTEXT || currentContext;
  if (context && context !== "default") return undefined;
  const host = e.DOCKER_HOST;
  if (!host) return DEFAULT_SOCKET;
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

const DEFAULT_SOCKET = "/var/run/docker.sock";

/**
 * With FLEET_ENGINE_API_LOG set, append a line for something done without a `docker` process
 * (one line, as the tests' docker shim logs the others).
 */
export function logDirect(env: Env, line: string): void {
  if (!env.FLEET_ENGINE_API_LOG) return;
  Deno.writeTextFileSync(env.FLEET_ENGINE_API_LOG, line.replaceAll("\n", " ") + "\n", {
    append: true,
  });
}

/** Ask the engine; throws (TypeError) when it cannot be reached. */
export async function ask(client: Deno.HttpClient, r: ApiRequest): Promise<ApiAnswer> {
  const res = await fetch(`http://docker${r.path}`, {
    client,
    method: r.method,
    ...(r.body !== undefined
      ? { body: JSON.stringify(r.body), headers: { "content-type": "application/json" } }
      : {}),
  });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text.trim() };
  }
  return { status: res.status, body };
}

const clients = new Map<string, Deno.HttpClient>();
const down = new Set<string>();

/** Whether a socket was found out of reach (its questions then go to the CLI). */
export const socketDown = (socket: string) => down.has(socket);

/** Note a socket out of reach, for the rest of the process. */
export const markSocketDown = (socket: string) => void down.add(socket);

/** The HTTP client of a socket (one per socket for the process: connections are kept). */
export function clientOf(socket: string): Deno.HttpClient {
  let client = clients.get(socket);
  if (!client) {
    holdsOpen();
    client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
    clients.set(socket, client);
  }
  return client;
}

/** Connect to the socket now (a command's first step comes before its first question). */
export function warmEngine(socket: string): void {
  if (!clients.has(socket)) {
    ask(clientOf(socket), { method: "GET", path: "/_ping" }).catch(() => {});
  }
}

/** Close the sockets' HTTP clients (tests; a command's process just ends). */
export function closeEngineClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
  down.clear();
}
