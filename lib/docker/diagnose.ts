/**
 * What a failed docker call says about the machine (pure): no docker CLI, no buildx or compose
 * plugin (or one too old), an engine that does not answer (socket, tcp://, ssh:// — ssh itself
 * or docker on the host), a context that does not exist, no permission on the socket. Read from
 * the call's stderr as the docker 20.10 and 28.x clients word it, so a healthy run pays nothing:
 * the runner calls this only when a step fails (lib/core/run.ts Diagnose).
 */
import { SetupError } from "../core/errors.ts";
import { failed, type RunResult, type Step } from "../core/run.ts";
import { MINIMUM } from "./versions.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** What is wrong, what to do, and (when the stderr tail would be noise) what to show instead. */
interface Problem {
  readonly message: string;
  readonly hint: string;
  readonly detail?: string;
}

const INSTALL = "https://docs.docker.com/engine/install/";
const DOCTOR = "then `fleet doctor` checks the whole setup";

/** Docker's global flags that take a value (they come before the subcommand). */
const VALUED = new Set(["--context", "-c", "--host", "-H", "--config", "--log-level", "-l"]);

/**
 * The subcommand and context of a docker argv, or undefined when it is not a docker call.
 * @example dockerCall(["docker", "--context", "live", "compose", "ps"]) // { sub: "compose", context: "live" }
 */
export function dockerCall(
  argv: readonly string[],
): { sub: string; context?: string } | undefined {
  if (argv[0]?.split("/").pop() !== "docker") return undefined;
  let context: string | undefined;
  let i = 1;
  while (argv[i]?.startsWith("-")) {
    if (argv[i] === "--context" || argv[i] === "-c") context = argv[i + 1];
    i += VALUED.has(argv[i]) ? 2 : 1;
  }
  return { sub: argv[i] ?? "", context };
}

/**
 * The SetupError for a failed docker step whose stderr says the machine is not ready, else
 * undefined (the failure is the command's own: a build error, a missing image, …).
 * @example diagnose(step, { code: 127, stdout: "", stderr: "sh: 1: docker: not found" }, env)?.message
 * // "the docker CLI is not installed (no `docker` on PATH)"
 */
export function diagnose(step: Step, res: RunResult, env: Env): SetupError | undefined {
  const call = dockerCall(step.argv);
  if (!call) return undefined;
  const p = explain(call.sub, res, call.context, env.DOCKER_HOST);
  if (!p) return undefined;
  const f = failed(step, res);
  return new SetupError(p.message, f.argv, p.detail ?? f.stderrTail, { hint: p.hint });
}

function explain(
  sub: string,
  res: RunResult,
  context: string | undefined,
  dockerHost: string | undefined,
): Problem | undefined {
  const err = res.stderr;
  if (res.code === 127 && /\bdocker: (command )?not found|docker: cannot start/.test(err)) {
    return {
      message: "the docker CLI is not installed (no `docker` on PATH)",
      hint: `install Docker Engine with the buildx and compose plugins: ${INSTALL}; ${DOCTOR}`,
    };
  }
  if (sub === "compose" || sub === "buildx") {
    const plugin = pluginProblem(sub, err);
    if (plugin) return plugin;
  }
  const ctx = err.match(/context "([^"]+)"(?:: context not found| does not exist)/);
  if (ctx) {
    return {
      message: `the Docker context "${ctx[1]}" does not exist`,
      hint: `create it (docker context create ${
        ctx[1]
      } --docker host=ssh://user@host), or fix context: in the stage file; docker context ls lists them`,
      detail: firstLine(err),
    };
  }
  const ssh = dockerHost?.startsWith("ssh://") || /dial-stdio|docker\.example\.com/.test(err);
  if (ssh && /dial-stdio|error during connect|docker\.example\.com|Cannot connect/i.test(err)) {
    return sshProblem(err, sshLabel(err, dockerHost, context));
  }
  const perm = err.match(
    /permission denied while trying to connect to the docker (?:daemon socket|API) at ([^\s:]+:\/\/[^\s:]+)/i,
  );
  if (perm) {
    return {
      message: `permission denied on the Docker socket ${perm[1]}`,
      hint:
        "add your user to the docker group (sudo usermod -aG docker $USER, then log in again), or use a user that may use the socket",
    };
  }
  const down = err.match(
    /(?:Cannot connect to the Docker daemon|failed to connect to the docker API) at ([^\s;]+?)[.;]?(?:\s|$)/i,
  );
  if (down || /error during connect/.test(err)) {
    return engineProblem(down?.[1] ?? (context ? `context ${context}` : dockerHost ?? "?"));
  }
  return undefined;
}

function pluginProblem(sub: "compose" | "buildx", err: string): Problem | undefined {
  const name = sub === "compose" ? "Docker Compose v2" : "Docker buildx";
  const min = sub === "compose" ? MINIMUM.compose : MINIMUM.buildx;
  const get = sub === "compose"
    ? "install it (package docker-compose-plugin; https://docs.docker.com/compose/install/linux/); the old standalone docker-compose (v1) is not enough"
    : "install it (package docker-buildx-plugin; https://docs.docker.com/go/buildx/), or set buildx: false in the stage file to use docker build";
  // without the plugin, docker reads the plugin's flags as its own and prints its top usage
  if (
    /is not a docker command|unknown command: docker (compose|buildx)/.test(err) ||
    /Usage:\s+docker \[OPTIONS\] COMMAND/.test(err)
  ) {
    return {
      message: `the ${name} plugin is not installed (\`docker ${sub}\`; fleet needs ≥ ${min})`,
      hint: `${get}; ${DOCTOR}`,
      detail: firstLine(err),
    };
  }
  const flag = err.match(/unknown (?:shorthand )?flag:? ('[^']+' in )?(-[-\w]+)/);
  if (flag) {
    return {
      message: `the ${name} plugin is too old: it does not know ${flag[2]} (fleet needs ≥ ${min})`,
      hint: `upgrade it: ${get.replace(/^install it /, "")}`,
      detail: firstLine(err),
    };
  }
  return undefined;
}

function engineProblem(addr: string): Problem {
  const tcp = addr.startsWith("tcp://") || addr.startsWith("http");
  return {
    message: `no Docker engine answers at ${addr}`,
    hint: tcp
      ? "check that dockerd listens there (and its TLS settings: DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) and that no firewall is in the way"
      : "start Docker (sudo systemctl start docker, or open Docker Desktop), or point the stage's host: (or DOCKER_HOST) at a running engine; then `fleet doctor` checks the whole setup",
  };
}

/** ssh's own failure (cannot connect, cannot log in) or docker's on the far side. */
function sshProblem(err: string, host: string): Problem {
  const at = err.lastIndexOf("stderr=");
  const far = at < 0 ? err : err.slice(at + "stderr=".length); // what ssh (or the host) said
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(far)) {
    return {
      message: `ssh does not trust the host key of ${host}`,
      hint:
        "check the key and add it to ~/.ssh/known_hosts (ssh-keyscan [-p port] host), then try again",
    };
  }
  const auth = far.match(/Permission denied \([^)]*\)|Too many authentication failures/);
  if (auth) {
    return {
      message: `ssh cannot log in to ${host}: ${auth[0]}`,
      hint:
        "fleet uses your own ssh setup: load the key (ssh-add) or set IdentityFile and User in ~/.ssh/config; `ssh user@host docker version` must work without a prompt",
    };
  }
  const connect = far.match(
    /Could not resolve hostname[^\n]*|Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Connection closed[^\n]*|Connection reset[^\n]*/,
  );
  if (connect) {
    return {
      message: `ssh cannot connect to ${host}: ${connect[0].trim().replace(/\.$/, "")}`,
      hint:
        "check the host name and port in host: (or the Docker context) and that sshd runs there; try it by hand: ssh [-p port] user@host",
    };
  }
  if (/exit status 127|docker: (command )?not found/.test(err)) {
    return {
      message:
        `ssh to ${host} works, but docker is not installed there (or not on the ssh user's PATH)`,
      hint: `install Docker Engine on the host: ${INSTALL}`,
    };
  }
  if (
    /Cannot connect to the Docker daemon|failed to connect to the docker API|permission denied/i
      .test(far)
  ) {
    return {
      message:
        `ssh to ${host} works, but docker there cannot reach its engine: it is not running, or the ssh user may not use it`,
      hint:
        "on the host: sudo systemctl start docker; and add the ssh user to the docker group (sudo usermod -aG docker <user>)",
    };
  }
  return {
    message: `cannot reach the Docker engine on ${host} over ssh`,
    hint: "try it by hand: ssh user@host docker version",
  };
}

/** The ssh host for people: DOCKER_HOST, else from the ssh command docker quotes, else the context. */
function sshLabel(err: string, dockerHost?: string, context?: string): string {
  if (dockerHost?.startsWith("ssh://")) return dockerHost;
  const cmd = err.match(/command \[ssh ([^\]]*?)-- (\S+) docker/);
  if (cmd) {
    const user = cmd[1].match(/-l (\S+)/)?.[1];
    const port = cmd[1].match(/-p (\d+)/)?.[1];
    return `ssh://${user ? `${user}@` : ""}${cmd[2]}${port ? `:${port}` : ""}`;
  }
  return context ? `the host of context ${context}` : "the ssh host";
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
