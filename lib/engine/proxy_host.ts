/**
 * The proxy container on a stage's host (SPEC §14): one per host, fleet's own, shared by every
 * project and stage there. It has its own network (proxied services join it) and keeps its
 * configuration in a volume (`caddy run --resume`: a restarted host serves its routes again).
 * Routes change through Caddy's admin API inside the container (`caddy reload`, graceful: no
 * connection is dropped, the proxy never restarts); a change reads the routes, changes this
 * project's, and loads them back, under a short lock so two projects never lose each other's.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError } from "../core/errors.ts";
import { type Step, tail } from "../core/run.ts";
import type { ProxySettings } from "../config/proxy_settings.ts";
import { engineOf } from "../docker/engine_of.ts";
import { dockerStep, type Target } from "../docker/target.ts";
import { caddyConfig, parseRoutes, type ProxyRoute } from "./proxy_caddy.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The proxy container's name, also its network's: `fleet-proxy` (FLEET_PROXY_NAME moves it). */
export const proxyName = (env: Env) => env.FLEET_PROXY_NAME || "fleet-proxy";

/** The label on the proxy container, its network and volumes. */
export const PROXY_LABEL = "dev.fleet.proxy";

const ADMIN = "http://127.0.0.1:2019";

/** `docker exec` in the proxy container. */
export function proxyExec(
  target: Target,
  name: string,
  title: string,
  args: readonly string[],
  input?: string,
): Step {
  const step = dockerStep(target, title, ["exec", ...(input ? ["-i"] : []), name, ...args]);
  return { ...step, kind: "switch", ...(input !== undefined ? { input } : {}) };
}

/** The step that loads a configuration into Caddy (graceful). */
export function loadStep(target: Target, name: string, config: string): Step {
  return proxyExec(target, name, "switch the proxy's routes (graceful reload)", [
    "caddy",
    "reload",
    "--config",
    "/dev/stdin",
  ], config);
}

/**
 * Caddy listens with SO_REUSEPORT: a graceful reload opens new sockets beside the old and closes
 * the old ones, and the kernel resets the connections still queued on (or shaking hands with) a
 * closed one — a route switch under load dropped 2–4 of ~7 600 requests per 60 reloads here. With
 * this sysctl (Linux ≥ 5.14, per network namespace) the kernel moves them to the new socket: 0.
 */
export const MIGRATE_SYSCTL = "net.ipv4.tcp_migrate_req=1";
const MIGRATE = MIGRATE_SYSCTL.split("=")[0];

/** The steps that start the proxy on a host where it is missing (`migrate`: with MIGRATE_SYSCTL). */
export function startProxySteps(
  target: Target,
  name: string,
  s: ProxySettings,
  migrate = true,
): Step[] {
  const publish = ["-p", `${s.http}:80`, ...(s.https ? ["-p", `${s.https}:443`] : [])];
  return [
    dockerStep(target, `create network ${name}`, [
      "network",
      "create",
      "--label",
      `${PROXY_LABEL}=${name}`,
      name,
    ], "switch"),
    dockerStep(target, `start the proxy ${name} (${s.image})`, [
      "run",
      "--detach",
      "--name",
      name,
      "--network",
      name,
      "--restart",
      "unless-stopped",
      ...(migrate ? ["--sysctl", MIGRATE_SYSCTL] : []),
      ...publish,
      "--volume",
      `${name}-data:/data`,
      "--volume",
      `${name}-config:/config`,
      "--label",
      `${PROXY_LABEL}=${name}`,
      s.image,
      "caddy",
      "run",
      "--resume",
    ], "switch"),
  ];
}

/** The proxy container's state: "running", another state, or undefined when there is none. */
async function proxyState(deps: Deps, target: Target, name: string) {
  return (await proxyInfo(deps, target, name))?.state;
}

/**
 * The proxy container's state, its image, and whether it was started with MIGRATE_SYSCTL, or
 * undefined when there is none.
 */
export async function proxyInfo(deps: Deps, target: Target, name: string) {
  const c = await engineOf(deps, target).container(name);
  return c && { state: c.state, image: c.image, migrates: c.sysctls[MIGRATE] === "1" };
}

/** Proxies this process has warned about (ensureProxy runs more than once per deploy). */
const warned = new Set<string>();

/** Start the proxy (and its network) when it is missing or stopped, and wait until it answers. */
export async function ensureProxy(
  deps: Deps,
  target: Target,
  name: string,
  s: ProxySettings,
): Promise<void> {
  const info = await proxyInfo(deps, target, name);
  const state = info?.state;
  if (info && info.image !== s.image) {
    // one proxy per host, shared: the first stage's settings hold until it is made anew
    deps.ui.warn(
      `the proxy ${name} runs ${info.image}, this stage asks for ${s.image}: it stays as it is ` +
        `(shared by the host's stages); to change it, docker rm -f ${name} on the host and deploy`,
    );
  }
  if (info && !info.migrates && !warned.has(`${target.label} ${name}`)) {
    warned.add(`${target.label} ${name}`); // once per proxy and run
    deps.ui.warn(
      `the proxy ${name} runs without ${MIGRATE} (made by an older fleet, or the kernel is older ` +
        `than Linux 5.14): a route switch under load may reset a connection or two; to make it ` +
        `anew, docker rm -f ${name} on the host and deploy (routes and certificates stay in its volumes)`,
    );
  }
  if (state === "running") return;
  if (state) {
    await deps.runner.run(dockerStep(target, `start proxy ${name}`, ["start", name], "switch"));
  } else {
    deps.ui.step(`start the proxy ${name} on ${target.label}`, "switch");
    const [net, withMigrate] = startProxySteps(target, name, s);
    const n = await deps.runner.run(net, { check: false });
    if (n.code !== 0 && !/already exists/i.test(n.stderr)) throw stepError(net, n.stderr);
    let run = withMigrate;
    let r = await deps.runner.run(run, { check: false });
    if (r.code !== 0 && r.stderr.includes("tcp_migrate_req")) {
      // a kernel before 5.14 (runc names /proc/sys/net/ipv4/tcp_migrate_req): the proxy without
      // it (the container was made: it goes first)
      warned.add(`${target.label} ${name}`);
      deps.ui.warn(
        `the host's kernel has no ${MIGRATE} (Linux < 5.14): the proxy ` +
          "starts without it, and a route switch under load may reset a connection or two",
      );
      await deps.runner.run(
        dockerStep(target, `remove proxy ${name}`, ["rm", "--force", name], "switch"),
        { check: false, uninterruptible: true },
      );
      run = startProxySteps(target, name, s, false)[1];
      r = await deps.runner.run(run, { check: false });
    }
    // another project's deploy started it meanwhile: that one serves
    if (r.code !== 0 && !/conflict|already in use/i.test(r.stderr)) throw stepError(run, r.stderr);
  }
  for (let i = 0;; i++) {
    const r = await deps.runner.run(configStep(target, name), { check: false });
    if (r.code === 0) return;
    if (i >= 40) {
      throw new CommandError(
        `the proxy ${name} does not answer on its admin API`,
        [],
        tail(r.stderr),
        {
          hint: `docker logs ${name}`,
        },
      );
    }
    await deps.sleep(250, deps.signal);
  }
}

function stepError(step: Step, stderr: string): CommandError {
  return new CommandError(`${step.title} failed`, [...step.argv], tail(stderr));
}

function configStep(target: Target, name: string): Step {
  return proxyExec(target, name, "read the proxy's routes", [
    "wget",
    "-qO-",
    `${ADMIN}/config/`,
  ]);
}

/** fleet's routes on the proxy, or undefined when the host runs no proxy. */
export async function readRoutes(
  deps: Deps,
  target: Target,
  name: string,
): Promise<ProxyRoute[] | undefined> {
  if (await proxyState(deps, target, name) !== "running") return undefined;
  const r = await deps.runner.run(configStep(target, name), { uninterruptible: true });
  return parseRoutes(r.stdout);
}

/**
 * Change the routes under the proxy's lock: `change` gets every project's routes and returns
 * the new set, which is loaded (graceful) when it differs. Runs to its end once begun (Ctrl-C
 * waits for it), so a route always names a container that was started.
 */
export async function changeRoutes(
  deps: Deps,
  target: Target,
  name: string,
  s: ProxySettings,
  change: (routes: readonly ProxyRoute[]) => ProxyRoute[],
): Promise<ProxyRoute[]> {
  await lockRoutes(deps, target, name, s.image);
  try {
    const r = await deps.runner.run(configStep(target, name), { uninterruptible: true });
    const before = parseRoutes(r.stdout);
    const after = change(before);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      const step = loadStep(target, name, JSON.stringify(caddyConfig(s, after)));
      deps.ui.step(step.title, step.kind);
      await deps.runner.run(step, { uninterruptible: true });
    }
    return after;
  } finally {
    await deps.runner.run(
      dockerStep(target, "release the proxy's lock", ["rm", "--force", `${name}-lock`]),
      { check: false, uninterruptible: true },
    );
  }
}

async function lockRoutes(deps: Deps, target: Target, name: string, image: string) {
  const step = dockerStep(target, "take the proxy's lock", [
    "create",
    "--name",
    `${name}-lock`,
    "--label",
    `${PROXY_LABEL}.lock=${name}`,
    "--network",
    "none",
    "--entrypoint",
    "/fleet-lock-never-started",
    image,
  ]);
  for (let i = 0;; i++) {
    const r = await deps.runner.run(step, { check: false, uninterruptible: true });
    if (r.code === 0) return;
    if (!/conflict|already in use/i.test(r.stderr)) throw stepError(step, r.stderr);
    if (i >= 120) {
      throw new FleetError(`the proxy's routes on ${target.label} stay locked (${name}-lock)`, {
        hint: `if no fleet runs on that host now: docker rm ${name}-lock`,
      });
    }
    await deps.sleep(250);
  }
}

/** Take the proxy (container and network; its volumes stay) away: no route is left on it. */
export async function removeProxy(deps: Deps, target: Target, name: string): Promise<void> {
  deps.ui.step(`no route left: remove the proxy ${name}`, "switch");
  await deps.runner.run(
    dockerStep(target, `remove proxy ${name}`, ["rm", "--force", name], "switch"),
    { check: false, uninterruptible: true },
  );
  await deps.runner.run(
    dockerStep(target, `remove network ${name}`, ["network", "rm", name], "switch"),
    { check: false, uninterruptible: true },
  );
}

/**
 * Whether `url` answers through the proxy's network (asked from inside the proxy container).
 * `anyAnswer`: any HTTP answer counts (an error status too); else only 2xx/3xx.
 */
export async function probe(
  deps: Deps,
  target: Target,
  name: string,
  url: string,
  anyAnswer: boolean,
): Promise<{ ok: boolean; why: string }> {
  const ask = (t: string[]) =>
    deps.runner.run(
      proxyExec(target, name, `probe ${url}`, ["wget", "-q", "-O", "/dev/null", ...t, url]),
      { check: false },
    );
  let r = await ask(["-T", "5"]);
  // Debian's static busybox wget crashes on -T (SIGSEGV, 139); the official image's does not
  if (r.code === 139) r = await ask([]);
  if (r.code === 0) return { ok: true, why: "" };
  const why = tail(r.stderr, 1).replace(/^wget: /, "") || `exit ${r.code}`;
  return { ok: anyAnswer && /server returned error/i.test(r.stderr), why };
}
