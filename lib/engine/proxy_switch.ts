/**
 * Blue/green behind the host's proxy (SPEC §14), for the proxied services of a Compose release:
 * start the new container beside the old one (Compose scales the service up by one, the old
 * container untouched) → wait until it is healthy (its healthcheck, and `health:` through its
 * port) → switch the route to it (graceful) → drain → stop and remove the old one.
 * A failure before the switch stops nothing: the new containers are removed and the old ones
 * serve on. Ctrl-C leaves exactly one container serving each route: before the switch the old
 * one (the new is removed), after it the new one (the old is removed).
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, InterruptedError } from "../core/errors.ts";
import { tail } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import { drainSeconds } from "../config/proxy_settings.ts";
import type { Service } from "../config/stage.ts";
import { type Container, containerStates, listContainers } from "../docker/queries.ts";
import { dockerStep } from "../docker/target.ts";
import { composeStep } from "./compose_step.ts";
import { type EngineContext, NothingChangedByEngine } from "./engine.ts";
import { type ProxyRoute, sameMatch } from "./proxy_caddy.ts";
import { changeRoutes, ensureProxy, probe, readRoutes } from "./proxy_host.ts";

type Proxied = Service & { readonly proxy: NonNullable<Service["proxy"]> };

/** The services of a stage that have a route through the proxy. */
export function proxiedOf(ctx: EngineContext, services: readonly string[]): Proxied[] {
  return ctx.stage.services.filter((s): s is Proxied =>
    services.includes(s.name) && s.proxy !== undefined
  );
}

/** A service's route to a container. */
export function routeOf(ctx: EngineContext, svc: Proxied, container: string): ProxyRoute {
  return {
    project: ctx.project,
    service: svc.name,
    ...(svc.proxy.host ? { host: svc.proxy.host } : {}),
    ...(svc.proxy.path && svc.proxy.path !== "/" ? { path: svc.proxy.path } : {}),
    upstream: `${container}:${svc.proxy.port}`,
  };
}

/**
 * `docker compose up` that starts one more container of each service beside the running ones.
 * @example startBesideStep(ctx, { web: 2 }).argv.slice(-6) // ["--no-deps", "--no-recreate", "--scale", "web=2", "web"]
 */
export function startBesideStep(ctx: EngineContext, scale: Readonly<Record<string, number>>) {
  const names = Object.keys(scale);
  const beside = names.some((s) => scale[s] > 1);
  return composeStep(ctx, "switch", [
    "up",
    "--detach",
    "--no-build",
    "--pull",
    "never",
    "--no-deps",
    "--no-recreate",
    ...names.flatMap((s) => ["--scale", `${s}=${scale[s]}`]),
    ...names,
  ], `start ${names.join(", ")}${beside ? " beside the running container" : ""}`);
}

/**
 * Replace `services` blue/green behind the proxy named `proxy`. `alone`: nothing else changed in this release, so a failure
 * before the switch is a NothingChangedByEngine (recorded failed, no rollback).
 */
export async function blueGreen(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
  timeoutSec: number,
  alone: boolean,
  proxy: string,
): Promise<void> {
  const settings = ctx.stage.proxy!;
  const name = proxy;
  const svcs = proxiedOf(ctx, services);
  const unchanged = (msg: string, tailText = "", hint?: string) =>
    new (alone ? NothingChangedByEngine : CommandError)(msg, [], tailText, { hint });
  await ensureProxy(deps, ctx.target, name, settings);
  // a route another project holds: refused before anything starts
  const taken = (await readRoutes(deps, ctx.target, name)) ?? [];
  try {
    switched(taken, svcs.map((s) => routeOf(ctx, s, "(new)")));
  } catch (e) {
    throw unchanged((e as Error).message, "", (e as CommandError).hint);
  }
  const old = (await listContainers(deps, ctx.target, ctx.project))
    .filter((c) => services.includes(c.service));
  const scale = Object.fromEntries(
    svcs.map((s) => [s.name, old.filter((c) => c.service === s.name).length + 1]),
  );
  let fresh: Container[] = [];
  const dropFresh = async () => {
    const now = await listContainers(deps, ctx.target, ctx.project);
    fresh = now.filter((c) => scale[c.service] && !old.some((o) => o.id === c.id));
    await removeContainers(deps, ctx, fresh, 0);
  };
  try {
    await runStep(deps, startBesideStep(ctx, scale));
    fresh = (await listContainers(deps, ctx.target, ctx.project))
      .filter((c) => scale[c.service] && !old.some((o) => o.id === c.id));
    await waitReady(deps, ctx, name, svcs, fresh, timeoutSec);
  } catch (e) {
    await dropFresh();
    if (e instanceof InterruptedError) {
      deps.ui.warn(
        "interrupted before the switch: the new containers are removed, the old serve on",
      );
      throw e;
    }
    const err = e as CommandError;
    throw unchanged(
      `${err.message}; nothing was switched: the running containers serve on`,
      err.stderrTail ?? "",
      err.hint,
    );
  }
  const routes = svcs.map((s) => routeOf(ctx, s, fresh.find((c) => c.service === s.name)!.name));
  try {
    await changeRoutes(deps, ctx.target, name, settings, (all) => switched(all, routes));
  } catch (e) {
    await dropFresh();
    const err = e as CommandError;
    throw unchanged(`${err.message}; nothing was switched`, err.stderrTail ?? "", err.hint);
  }
  const drain = Math.max(...svcs.map((s) => drainSeconds(s.proxy.drain)));
  let stopped: unknown;
  try {
    if (old.length) {
      deps.ui.step(`drain: the old containers finish their requests (${drain}s)`, "switch");
      await deps.sleep(drain * 1000, deps.signal);
    }
  } catch (e) {
    stopped = e; // Ctrl-C after the switch: the new containers serve; the old still go
  }
  await removeContainers(deps, ctx, old, 10);
  if (stopped) {
    deps.ui.warn("interrupted after the switch: the new containers serve, the old are removed");
    throw stopped;
  }
}

/**
 * The routes with this release's in place of the project's old ones (others untouched); a route
 * another project or service holds is refused.
 */
export function switched(all: readonly ProxyRoute[], mine: readonly ProxyRoute[]): ProxyRoute[] {
  const same = (a: ProxyRoute, b: ProxyRoute) => a.project === b.project && a.service === b.service;
  for (const r of mine) {
    const taken = all.find((o) => !same(o, r) && sameMatch(o, r));
    if (taken) {
      throw new CommandError(
        `the route ${r.host ?? "(any host)"}${r.path ?? "/"} is served by ${taken.project} ` +
          `(${taken.service}) through this proxy`,
        [],
        "",
        { hint: "give the service another proxy.host or proxy.path, or fleet down that stage" },
      );
    }
  }
  return [...all.filter((o) => !mine.some((r) => same(o, r))), ...mine];
}

/** Until each new container runs, is healthy, and answers (health:, else any HTTP answer). */
async function waitReady(
  deps: Deps,
  ctx: EngineContext,
  proxy: string,
  svcs: readonly Proxied[],
  fresh: readonly Container[],
  timeoutSec: number,
): Promise<void> {
  deps.ui.step(`wait until ${svcs.map((s) => s.name).join(", ")} (new) is healthy`, "switch");
  const deadline = deps.now().getTime() + timeoutSec * 1000;
  for (const svc of svcs) {
    if (!fresh.some((c) => c.service === svc.name)) {
      throw new CommandError(`service ${svc.name}: no new container was started`);
    }
  }
  for (;;) {
    let waiting = "";
    for (const c of fresh) {
      const svc = svcs.find((s) => s.name === c.service)!;
      const [st] = await containerStates(deps, ctx.target, [c.id]);
      const bad = !st
        ? "gone"
        : st.status === "exited" || st.status === "dead"
        ? `container ${st.status} (exit code ${st.exitCode})`
        : st.health === "unhealthy"
        ? "healthcheck failed (unhealthy)"
        : "";
      if (bad) throw await notReady(deps, ctx, c, bad);
      if (st.status !== "running" || (st.health !== "" && st.health !== "healthy")) {
        waiting = `${c.service}: ${st.status}${st.health ? `, ${st.health}` : ""}`;
        continue;
      }
      const url = `http://${c.name}:${svc.proxy.port}${svc.proxy.health ?? "/"}`;
      const p = await probe(deps, ctx.target, proxy, url, svc.proxy.health === undefined);
      if (!p.ok) waiting = `${c.service}: ${url}: ${p.why}`;
    }
    if (!waiting) return;
    if (deps.now().getTime() >= deadline) {
      const c = fresh.find((f) => waiting.startsWith(`${f.service}:`)) ?? fresh[0];
      throw await notReady(deps, ctx, c, `not ready after ${timeoutSec}s (${waiting})`);
    }
    await deps.sleep(500, deps.signal);
  }
}

async function notReady(deps: Deps, ctx: EngineContext, c: Container, why: string) {
  const logs = await deps.runner.run(
    dockerStep(ctx.target, `logs ${c.name}`, ["logs", "--tail", "20", c.id], "logs"),
    { check: false, uninterruptible: true },
  );
  return new CommandError(
    `service ${c.service} did not become ready: ${why}`,
    [],
    `last log lines of ${c.service} (new):\n${
      tail(logs.stdout + logs.stderr, 20) || "(no output)"
    }`,
    { hint: `fleet logs ${ctx.stage.name} -n ${c.service}` },
  );
}

/** Stop (graceful, `grace` seconds) and remove containers, whatever happens meanwhile. */
async function removeContainers(
  deps: Deps,
  ctx: EngineContext,
  cs: readonly Container[],
  grace: number,
): Promise<void> {
  if (cs.length === 0) return;
  const ids = cs.map((c) => c.id);
  deps.ui.step(`stop and remove ${cs.map((c) => c.name).join(", ")}`, "switch");
  const run = (title: string, args: string[]) =>
    deps.runner.run(dockerStep(ctx.target, title, args, "switch"), {
      check: false,
      uninterruptible: true,
    });
  await run("stop", ["stop", "--time", String(grace), ...ids]);
  await run("rm", ["rm", "--force", ...ids]);
}
