/**
 * The Compose engine with the host's proxy (SPEC §14): services with `proxy:` join the proxy's
 * network and are replaced blue/green behind it (lib/engine/proxy_switch.ts); the others keep
 * Compose's stop → rm → up, first, in the same release. `ps` adds the project's routes, `down`
 * takes them away (and the proxy with the last route on the host).
 */
import { parse, stringify } from "yaml";
import type { Deps } from "../core/deps.ts";
import { ConfigError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import { drainSeconds } from "../config/proxy_settings.ts";
import { compose } from "./compose.ts";
import type { Engine, EngineContext } from "./engine.ts";
import { caddyConfig } from "./proxy_caddy.ts";
import {
  changeRoutes,
  ensureProxy,
  loadStep,
  proxyName,
  readRoutes,
  removeProxy,
} from "./proxy_host.ts";
import { blueGreen, proxiedOf, startBesideStep } from "./proxy_switch.ts";

/** The key of the proxy's network in the Compose model. */
const NET = "fleet_proxy";

type Model = {
  services?: Record<string, { networks?: string[] | Record<string, unknown> }>;
  networks?: Record<string, unknown>;
};

/**
 * The model with each proxied service on the proxy's network too (an external network the
 * proxy owns), besides the networks it has.
 * @example withProxyNetwork("services:\n  web: { image: x }\n", ["web"], "fleet-proxy")
 * // services.web.networks: [default, fleet_proxy]; networks.fleet_proxy: { external: true, name: fleet-proxy }
 */
export function withProxyNetwork(model: string, services: readonly string[], name: string): string {
  if (services.length === 0) return model;
  const m = parse(model) as Model;
  for (const s of services) {
    const svc = m.services?.[s];
    if (!svc) continue;
    const nets = svc.networks;
    if (Array.isArray(nets)) svc.networks = [...new Set([...nets, NET])];
    else if (nets) svc.networks = { ...nets, [NET]: {} };
    else svc.networks = ["default", NET];
  }
  m.networks = { ...m.networks, [NET]: { external: true, name } };
  return stringify(m, { lineWidth: 0 });
}

/** The proxy's name, as the context's model has it (FLEET_PROXY_NAME when it was made). */
export function proxyOf(ctx: EngineContext): string {
  const m = parse(ctx.model) as Model;
  const net = m?.networks?.[NET] as { name?: string } | undefined;
  return net?.name ?? proxyName({});
}

const proxiedNames = (ctx: EngineContext, services?: readonly string[]) =>
  proxiedOf(ctx, services ?? ctx.stage.services.map((s) => s.name)).map((s) => s.name);

/** Compose, with the proxied services replaced blue/green behind the host's proxy. */
export const proxied: Engine = {
  ...compose,
  context(stage, env, opts) {
    const ctx = compose.context(stage, env, opts);
    const names = proxiedNames(ctx);
    return { ...ctx, model: withProxyNetwork(ctx.model, names, proxyName(env)) };
  },
  async check(deps, ctx) {
    // Compose files merged (their services' own networks and ports come in here)
    const merged = await compose.check(deps, ctx);
    const names = proxiedNames(merged);
    refusePorts(merged, names);
    return { ...merged, model: withProxyNetwork(merged.model, names, proxyOf(ctx)) };
  },
  fromModel(ctx, model, images, env) {
    const next = compose.fromModel(ctx, model, images, env);
    const names = proxiedNames(next);
    return { ...next, model: withProxyNetwork(next.model, names, proxyOf(ctx)) };
  },
  releaseSteps(ctx, services, toPull, opts) {
    const blue = proxiedNames(ctx, services);
    const plain = services.filter((s) => !blue.includes(s));
    // --no-deps: a plain service's `up` must never recreate a proxied one it depends on
    const only = opts.only || proxiedNames(ctx).length > 0;
    const steps = compose.releaseSteps(ctx, plain, toPull, { ...opts, only })
      .filter((s) => plain.length > 0 || s.kind === "pull");
    if (blue.length === 0) return steps;
    const drain = Math.max(...proxiedOf(ctx, blue).map((s) => drainSeconds(s.proxy.drain)));
    const name = proxyOf(ctx);
    const show = (s: Step, title: string) => ({ ...s, title });
    return [
      ...steps,
      startBesideStep(ctx, Object.fromEntries(blue.map((s) => [s, 2]))),
      show(
        loadStep(ctx.target, name, JSON.stringify(caddyConfig(ctx.stage.proxy!, []))),
        `once healthy: switch the routes of ${blue.join(", ")} (graceful), drain ${drain}s, ` +
          "stop and remove the old containers",
      ),
    ];
  },
  async apply(deps, ctx, steps, services, timeoutSec) {
    const blue = proxiedNames(ctx, services);
    const plain = services.filter((s) => !blue.includes(s));
    const composeSteps = steps.filter((s) => s.kind !== "switch");
    // Compose wants every network of the model, the proxy's too, for any service's `up`
    if (plain.length) {
      await networks(deps, ctx);
      await compose.apply(deps, ctx, composeSteps, plain, timeoutSec);
    }
    if (blue.length) await blueGreen(deps, ctx, blue, timeoutSec, plain.length === 0, proxyOf(ctx));
  },
  // the release task runs with the model, whose networks must exist
  beforeTask: (deps, ctx) => networks(deps, ctx),
  strategy: (ctx, service) =>
    proxiedNames(ctx, [service]).length
      ? "blue/green behind the proxy: no outage"
      : compose.strategy(ctx, service),
  async ps(deps, ctx) {
    const view = await compose.ps(deps, ctx);
    const routes = await readRoutes(deps, ctx.target, proxyOf(ctx));
    return { ...view, routes: (routes ?? []).filter((r) => r.project === ctx.project) };
  },
  async down(deps, ctx) {
    await compose.down(deps, ctx);
    await dropRoutes(deps, ctx);
  },
};

/** A proxied service that publishes ports (from a Compose file): two side by side cannot. */
function refusePorts(ctx: EngineContext, names: readonly string[]): void {
  const m = parse(ctx.model) as { services?: Record<string, { ports?: unknown[] }> };
  const bad = names.filter((s) => (m.services?.[s]?.ports ?? []).length > 0);
  if (bad.length === 0) return;
  throw new ConfigError(
    `${ctx.stage.file}: services.${bad[0]}: publishes ports (in the Compose model), and it has ` +
      "proxy: the proxy publishes it, and the new container beside the old could not bind them",
    {
      hint: `remove ports: from ${
        bad.join(", ")
      } (a Compose file's too: an override with ports: !reset [])`,
    },
  );
}

/** The proxy (and its network) where the model has services on it: Compose wants every network. */
async function networks(deps: Deps, ctx: EngineContext): Promise<void> {
  if (proxiedNames(ctx).length === 0) return;
  await ensureProxy(deps, ctx.target, proxyOf(ctx), ctx.stage.proxy!);
}

/** Take the project's routes off the host's proxy, and the proxy away when none is left. */
async function dropRoutes(deps: Deps, ctx: EngineContext): Promise<void> {
  const name = proxyOf(ctx);
  if (!ctx.stage.proxy || !await readRoutes(deps, ctx.target, name)) return;
  const left = await changeRoutes(
    deps,
    ctx.target,
    name,
    ctx.stage.proxy,
    (all) => all.filter((r) => r.project !== ctx.project),
  );
  if (left.length === 0) await removeProxy(deps, ctx.target, name);
}
