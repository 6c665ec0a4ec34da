/**
 * The local engine's API instead of a `docker` process, for the small questions and records a
 * release makes (issue 16): each `docker …` process costs 20–90 ms to start, an HTTP request on
 * the engine's unix socket 1–3 ms. A runner decorator: a step whose argv is one of the shapes
 * below, on a local engine, is answered over the socket with the RunResult the CLI would give
 * (the same stdout lines, the same "No such …" / "Conflict" errors), so the code around it and
 * its tests stay as they are. Any other step, a remote or context engine, a socket that cannot be
 * reached, or FLEET_ENGINE_API=0 runs the process as before. FLEET_ENGINE_API_LOG=<file> appends
 * each step answered over the API (its argv after `docker`, one line each: the tests' docker shim
 * logs to the same file). tests/e2e/engine_api_test.ts checks each shape against the real CLI on
 * real engines.
 */
import { InterruptedError } from "../core/errors.ts";
import { failed, type Runner, type RunOptions, type RunResult, type Step } from "../core/run.ts";
import { userDockerConfig } from "./docker_config.ts";

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
 * A docker command as API requests, and how their answers read as the CLI's result; undefined
 * when the CLI would do more than the request did (a `create` whose image must be pulled first):
 * then the process runs.
 */
export interface ApiPlan {
  readonly requests: readonly ApiRequest[];
  readonly result: (answers: readonly ApiAnswer[]) => RunResult | undefined;
}

// The formats are spelled out here, not imported from the modules that ask: a plan renders its
// own format, so a caller that changes its format no longer matches and runs the process.
const ID_DIGESTS = "{{.Id}} {{json .RepoDigests}}";
const PLATFORM = "{{.Os}}/{{.Architecture}}/{{.Variant}}";
const HOST_PLATFORM = "{{.Server.Os}}/{{.Server.Arch}}";
const LABELS = "{{json .Labels}}";
const CONTAINER_LABELS = "{{json .Config.Labels}}";

/** A name that can stand in a URL path as it is (image refs, container and volume names). */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

const filters = (label: string) => encodeURIComponent(JSON.stringify({ label: [label] }));

/** `--label k=v` pairs of an argv (from `from` on) into an object; undefined on any other flag. */
function labelsOf(args: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] !== "--label" || args[i + 1] === undefined) return undefined;
    const kv = args[i + 1];
    const eq = kv.indexOf("=");
    if (eq < 1) return undefined;
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * One request per name: a line for each that succeeded, "No such …" for a 404, the daemon's
 * message otherwise, as the CLI prints them.
 */
function perName(
  names: readonly string[],
  what: string,
  line: (body: Record<string, unknown>, name: string) => string,
): (answers: readonly ApiAnswer[]) => RunResult {
  return (answers) => {
    let stdout = "";
    let stderr = "";
    answers.forEach((a, i) => {
      if (a.status >= 200 && a.status < 300) {
        stdout += line((a.body ?? {}) as Record<string, unknown>, names[i]) + "\n";
      } else stderr += a.status === 404 ? `Error: No such ${what}: ${names[i]}\n` : daemonError(a);
    });
    return { code: stderr ? 1 : 0, stdout, stderr };
  };
}

function daemonError(a: ApiAnswer): string {
  const m = (a.body as { message?: string } | undefined)?.message ?? `HTTP ${a.status}`;
  return `Error response from daemon: ${m}\n`;
}

const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: "" });
const single = (a: ApiAnswer, line: (b: Record<string, unknown>) => string): RunResult =>
  a.status >= 200 && a.status < 300
    ? ok(line(a.body as Record<string, unknown>))
    : { code: 1, stdout: "", stderr: daemonError(a) };

/**
 * The API plan of a docker command (argv after `docker`), or undefined when it is not one of the
 * shapes fleet's bookkeeping uses (then the process runs).
 * @example planOf(["volume", "ls", "-q", "--filter", "label=a=b"])?.requests[0].path // "/volumes?filters=…"
 */
export function planOf(args: readonly string[]): ApiPlan | undefined {
  const [a0, a1, a2, a3] = args;
  if (a0 === "version" && a1 === "--format" && a2 === HOST_PLATFORM && args.length === 3) {
    return {
      requests: [{ method: "GET", path: "/version" }],
      result: ([a]) => single(a, (b) => `${b.Os}/${b.Arch}\n`),
    };
  }
  if (a0 === "image" && a1 === "inspect" && a2 === "--format" && args.length > 4) {
    const refs = args.slice(4);
    if (!refs.every((r) => SAFE.test(r))) return undefined;
    const line = a3 === ID_DIGESTS
      ? (b: Record<string, unknown>) => `${b.Id} ${JSON.stringify(b.RepoDigests ?? null)}`
      : a3 === PLATFORM
      ? (b: Record<string, unknown>) => `${b.Os}/${b.Architecture}/${b.Variant ?? ""}`
      : undefined;
    if (!line) return undefined;
    return {
      requests: refs.map((r) => ({ method: "GET", path: `/images/${r}/json` })),
      result: perName(refs, "image", line),
    };
  }
  if (
    a0 === "ps" && a1 === "--all" && a2 === "--no-trunc" && a3 === "--filter" &&
    args[4]?.startsWith("label=") && args[5] === "--format" && args[6] === "{{json .}}" &&
    args.length === 7
  ) {
    return {
      requests: [{
        method: "GET",
        path: `/containers/json?all=1&filters=${filters(args[4].slice(6))}`,
      }],
      result: ([a]) =>
        single(a, (b) => (b as unknown as Record<string, unknown>[]).map(psLine).join("")),
    };
  }
  if (a0 === "inspect" && a1 === "--type" && a2 === "container" && args[3] === "--format") {
    const names = args.slice(5);
    if (args[4] !== CONTAINER_LABELS || names.length === 0) return undefined;
    if (!names.every((n) => SAFE.test(n))) return undefined;
    return {
      requests: names.map((n) => ({ method: "GET", path: `/containers/${n}/json` })),
      result: perName(
        names,
        "container",
        (b) => JSON.stringify((b.Config as { Labels?: unknown } | undefined)?.Labels ?? null),
      ),
    };
  }
  if (a0 === "rm" && a1 === "--force" && args.length > 2) {
    const names = args.slice(2);
    if (!names.every((n) => SAFE.test(n))) return undefined;
    return {
      requests: names.map((n) => ({ method: "DELETE", path: `/containers/${n}?force=1` })),
      // the CLI prints each name removed; one that is missing it names, and exits 0 (--force)
      result: (answers) => {
        const r = perName(names, "container", (_, name) => name)(answers);
        const gone = answers.every((a) => a.status === 404 || (a.status >= 200 && a.status < 300));
        return gone ? { ...r, code: 0 } : r;
      },
    };
  }
  if (a0 === "create" && a1 === "--name") return createPlan(args);
  if (a0 === "tag" && args.length === 3) return tagPlan(a1, a2);
  if (a0 === "image" && a1 === "ls" && a2 === "--format" && a3 === "{{.Tag}}") {
    const repo = args[4];
    if (args.length !== 5 || !SAFE.test(repo)) return undefined;
    return {
      requests: [{
        method: "GET",
        path: `/images/json?filters=${encodeURIComponent(JSON.stringify({ reference: [repo] }))}`,
      }],
      result: ([a]) =>
        single(
          a,
          (b) =>
            (b as unknown as { RepoTags?: string[] }[]).flatMap((i) => i.RepoTags ?? [])
              .filter((t) => t.slice(0, t.lastIndexOf(":")) === repo)
              .map((t) => t.slice(t.lastIndexOf(":") + 1) + "\n").join(""),
        ),
    };
  }
  if (a0 === "rmi" && args.length > 1) {
    const refs = args.slice(1);
    if (!refs.every((r) => SAFE.test(r))) return undefined;
    return {
      requests: refs.map((r) => ({ method: "DELETE", path: `/images/${r}` })),
      result: perName(refs, "image", (_, ref) => `Untagged: ${ref}`),
    };
  }
  if (a0 === "volume") return volumePlan(args.slice(1));
  return undefined;
}

/** `docker tag SRC REPO:TAG`. */
function tagPlan(src: string, to: string): ApiPlan | undefined {
  const colon = to.lastIndexOf(":");
  if (!SAFE.test(src) || !SAFE.test(to) || colon <= to.lastIndexOf("/")) return undefined;
  const q = `repo=${encodeURIComponent(to.slice(0, colon))}&tag=${
    encodeURIComponent(to.slice(colon + 1))
  }`;
  return {
    requests: [{ method: "POST", path: `/images/${src}/tag?${q}` }],
    result: ([a]) => single(a, () => ""),
  };
}

/** `docker ps --format '{{json .}}'`'s fields that fleet reads, from the API's container. */
function psLine(c: Record<string, unknown>): string {
  const labels = Object.entries((c.Labels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`).join(",");
  const names = ((c.Names ?? []) as string[]).map((n) => n.replace(/^\//, "")).join(",");
  return JSON.stringify({
    ID: c.Id,
    Image: c.Image,
    Labels: labels,
    Names: names,
    State: c.State,
    Status: c.Status,
  }) + "\n";
}

/** The lock's `docker create --name N --label … --network none --entrypoint E image`. */
function createPlan(args: readonly string[]): ApiPlan | undefined {
  const name = args[2];
  const n = args.length;
  if (
    n < 8 || args[n - 5] !== "--network" || args[n - 4] !== "none" ||
    args[n - 3] !== "--entrypoint" || !SAFE.test(name) || !SAFE.test(args[n - 1])
  ) return undefined;
  const labels = labelsOf(args.slice(3, n - 5));
  if (!labels) return undefined;
  return {
    requests: [{
      method: "POST",
      path: `/containers/create?name=${encodeURIComponent(name)}`,
      body: {
        Image: args[n - 1],
        Entrypoint: [args[n - 2]],
        Labels: labels,
        HostConfig: { NetworkMode: "none" },
      },
    }],
    // no such image: the CLI pulls it and creates (a digest the engine does not have yet)
    result: ([a]) => a.status === 404 ? undefined : single(a, (b) => `${b.Id}\n`),
  };
}

/** `volume create --label … NAME`, `volume ls -q --filter label=…`, `volume inspect --format … NAMES`. */
function volumePlan(args: readonly string[]): ApiPlan | undefined {
  const [v0, v1, v2, v3] = args;
  if (v0 === "create" && args.length >= 2) {
    const name = args[args.length - 1];
    const labels = labelsOf(args.slice(1, -1));
    if (!labels || !SAFE.test(name)) return undefined;
    return {
      requests: [{ method: "POST", path: "/volumes/create", body: { Name: name, Labels: labels } }],
      result: ([a]) => single(a, (b) => `${b.Name}\n`),
    };
  }
  if (v0 === "ls" && v1 === "-q" && v2 === "--filter" && v3?.startsWith("label=")) {
    if (args.length !== 4) return undefined;
    return {
      requests: [{ method: "GET", path: `/volumes?filters=${filters(v3.slice(6))}` }],
      result: ([a]) =>
        single(a, (b) =>
          ((b.Volumes ?? []) as { Name: string }[]).map((x) => x.Name).sort()
            .map((x) => x + "\n").join("")),
    };
  }
  if (v0 === "inspect" && v1 === "--format" && v2 === LABELS && args.length > 3) {
    const names = args.slice(3);
    if (!names.every((n) => SAFE.test(n))) return undefined;
    return {
      requests: names.map((n) => ({ method: "GET", path: `/volumes/${n}` })),
      result: perName(names, "volume", (b) => JSON.stringify(b.Labels ?? null)),
    };
  }
  return undefined;
}

/**
 * The unix socket of the engine a step talks to when it is the local one: a `docker` step with
 * no global flag (`--context`) before its command, no DOCKER_CONTEXT or current context other
 * than `default`, DOCKER_HOST unset or `unix://`. `currentContext` is the one config.json names.
 */
export function localSocket(
  step: Step,
  env: Env,
  currentContext: string | undefined,
): string | undefined {
  if (step.argv[0] !== "docker" || step.argv[1]?.startsWith("-")) return undefined;
  return socketOf({ ...env, ...step.env }, currentContext);
}

/** The local engine's socket in an environment (see localSocket), or undefined. */
function socketOf(e: Env, currentContext: string | undefined): string | undefined {
  if (e.FLEET_ENGINE_API === "0") return undefined;
  const context = e.DOCKER_CONTEXT || currentContext;
  if (context && context !== "default") return undefined;
  const host = e.DOCKER_HOST;
  if (!host) return DEFAULT_SOCKET;
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

const DEFAULT_SOCKET = "/var/run/docker.sock";

/**
 * With FLEET_ENGINE_API_LOG set, append a step that ran without a `docker` process (its argv
 * after `docker`, one line, as the tests' docker shim logs the others).
 */
export function logDirect(env: Env, step: Step): void {
  if (!env.FLEET_ENGINE_API_LOG) return;
  const line = step.argv.slice(1).join(" ").replaceAll("\n", " ");
  Deno.writeTextFileSync(env.FLEET_ENGINE_API_LOG, line + "\n", { append: true });
}

/** Ask the engine on `socket`; throws (TypeError) when it cannot be reached. */
async function ask(
  client: Deno.HttpClient,
  requests: readonly ApiRequest[],
): Promise<ApiAnswer[]> {
  return await Promise.all(requests.map(async (r) => {
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
  }));
}

/**
 * A runner that answers the steps planOf knows over the local engine's socket, and runs every
 * other step (or one whose socket cannot be reached) with `inner`.
 */
export function withEngineApi(inner: Runner, env: Env, signal?: AbortSignal): Runner {
  const clients = new Map<string, Deno.HttpClient>();
  const context = String(userDockerConfig(env).currentContext ?? "");
  const down = new Set<string>();
  const clientOf = (socket: string) => {
    let client = clients.get(socket);
    if (!client) {
      client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
      clients.set(socket, client);
    }
    return client;
  };
  let warm = false;
  return {
    async run(step: Step, ro: RunOptions = {}): Promise<RunResult> {
      if (!warm) {
        // the first step (git, the model check) comes before the first question: connect now
        warm = true;
        const s = socketOf({ ...env, ...step.env }, context);
        if (s) ask(clientOf(s), [{ method: "GET", path: "/_ping" }]).catch(() => {});
      }
      // a step with stdin, a terminal or secrets is the process's (nothing to redact here)
      const plain = step.input === undefined && !ro.inherit && !step.secretEnv;
      const plan = plain ? planOf(step.argv.slice(1)) : undefined;
      const socket = plan && localSocket(step, env, context);
      if (!plan || !socket || down.has(socket)) return inner.run(step, ro);
      if (!ro.uninterruptible && signal?.aborted) throw new InterruptedError("interrupted");
      let answers: ApiAnswer[];
      try {
        answers = await ask(clientOf(socket), plan.requests);
      } catch {
        // no socket, no permission, no engine: the process says so (and diagnose names it)
        down.add(socket);
        return inner.run(step, ro);
      }
      const res = plan.result(answers);
      if (!res) return inner.run(step, ro);
      logDirect(env, step); // answered here: a fallback above is the process's (the shim's) to log
      if (res.code !== 0 && ro.check !== false) throw failed(step, res);
      return res;
    },
  };
}
