/**
 * The host proxy's configuration as Caddy's JSON (pure): fleet's routes, each with its own `@id`
 * (`fleet/<project>/<service>`), so the configuration Caddy runs is the one record of which
 * container serves each route; reading it back gives the routes. Every project's routes live in
 * one configuration, and a change to one route leaves the others as they were.
 */
import type { ProxySettings } from "../config/proxy_settings.ts";

/** One route through the proxy: a service of a project, and the container that serves it now. */
export interface ProxyRoute {
  /** The Compose project (`{project}-{stage}`). */
  readonly project: string;
  readonly service: string;
  /** Host header to match; none: any host. */
  readonly host?: string;
  /** Path prefix to match; none: every path. */
  readonly path?: string;
  /** `container:port` the proxy sends to. */
  readonly upstream: string;
  /** On a stage with several hosts (SPEC §15): the name of the host whose proxy has the route. */
  readonly on?: string;
}

const ID = "fleet/";

/** The `@id` of a route in Caddy's configuration. */
export const routeId = (project: string, service: string) => `${ID}${project}/${service}`;

/** Same host and path: the same route (only one project may hold it). */
export const sameMatch = (a: ProxyRoute, b: ProxyRoute) =>
  (a.host ?? "") === (b.host ?? "") && (a.path ?? "/") === (b.path ?? "/");

/** More specific first: a host before any host, a longer path before a shorter one. */
function order(a: ProxyRoute, b: ProxyRoute): number {
  if (!!a.host !== !!b.host) return a.host ? -1 : 1;
  const len = (r: ProxyRoute) => (r.path ?? "/").length;
  return len(b) - len(a) || routeId(a.project, a.service).localeCompare(
    routeId(b.project, b.service),
  );
}

/** How long Caddy tries again to connect to a route's container before it answers 502. */
const UPSTREAM_RETRY = { try_duration: "2s", try_interval: "100ms" };

function caddyRoute(r: ProxyRoute): Record<string, unknown> {
  const match: Record<string, string[]> = {};
  if (r.host) match.host = [r.host];
  const prefix = (r.path ?? "/").replace(/\/+$/, "");
  if (prefix) match.path = [prefix, `${prefix}/*`];
  return {
    "@id": routeId(r.project, r.service),
    ...(Object.keys(match).length ? { match: [match] } : {}),
    handle: [{
      handler: "reverse_proxy",
      upstreams: [{ dial: r.upstream }],
      // a connection the upstream does not take (its name not yet or briefly not resolved by
      // Docker's DNS while containers come and go on the network) is tried again, not a 502
      load_balancing: UPSTREAM_RETRY,
    }],
    terminal: true,
  };
}

/**
 * Caddy's JSON configuration for these routes. `tls: off`: one plain HTTP server on :80.
 * `tls: auto`: routes with a host on :443 with certificates from ACME (Caddy's automatic HTTPS,
 * which also redirects their plain HTTP), routes for any host on :80.
 * @example caddyConfig(settings, [{ project: "a-dev", service: "web", upstream: "a-dev-web-2:8080" }])
 * // { apps: { http: { servers: { fleet: { listen: [":80"], routes: [{ "@id": "fleet/a-dev/web", … }] } } } } }
 */
export function caddyConfig(
  settings: Pick<ProxySettings, "tls">,
  routes: readonly ProxyRoute[],
): Record<string, unknown> {
  const sorted = [...routes].sort(order);
  if (settings.tls === "off") {
    const fleet = {
      listen: [":80"],
      routes: sorted.map(caddyRoute),
      automatic_https: { disable: true },
    };
    return { apps: { http: { servers: { fleet } } } };
  }
  const named = sorted.filter((r) => r.host);
  const any = sorted.filter((r) => !r.host);
  return {
    apps: {
      http: {
        http_port: 80,
        https_port: 443,
        servers: {
          fleet: { listen: [":80"], routes: any.map(caddyRoute) },
          fleet_tls: { listen: [":443"], routes: named.map(caddyRoute) },
        },
      },
    },
  };
}

type CaddyRoute = {
  "@id"?: string;
  match?: { host?: string[]; path?: string[] }[];
  handle?: { upstreams?: { dial?: string }[] }[];
};

/**
 * fleet's routes in a configuration Caddy reports (`GET /config/`); routes fleet did not make
 * are not its own and are left out.
 * @example parseRoutes('{"apps":{"http":{"servers":{"fleet":{"routes":[{"@id":"fleet/a-dev/web",…}]}}}}}')
 * // [{ project: "a-dev", service: "web", upstream: "a-dev-web-2:8080" }]
 */
export function parseRoutes(json: string): ProxyRoute[] {
  const text = json.trim();
  if (!text || text === "null") return [];
  const cfg = JSON.parse(text) as {
    apps?: { http?: { servers?: Record<string, { routes?: CaddyRoute[] }> } };
  };
  const out: ProxyRoute[] = [];
  for (const server of Object.values(cfg.apps?.http?.servers ?? {})) {
    for (const r of server.routes ?? []) {
      const id = r["@id"] ?? "";
      if (!id.startsWith(ID)) continue;
      const [project, service] = id.slice(ID.length).split("/");
      const m = r.match?.[0];
      const path = m?.path?.[0];
      out.push({
        project,
        service,
        ...(m?.host?.[0] ? { host: m.host[0] } : {}),
        ...(path ? { path } : {}),
        upstream: r.handle?.[0]?.upstreams?.[0]?.dial ?? "",
      });
    }
  }
  return out;
}
