/**
 * The proxy in a stage file (SPEC §14): the stage key `proxy:` (the host's Caddy: image,
 * published ports, TLS) and the service key `proxy:` (the route: host, port, path, health,
 * drain), and the checks across keys a schema cannot say — `ports:` on a proxied service, a
 * Swarm stage, a fixed container name, two catch-all routes — each refused with the reason. Pure.
 */
import * as v from "valibot";
import { imageProblem } from "./formats.ts";
import type { KeyProblem } from "./swarm_settings.ts";
import { seconds } from "./swarm_settings.ts";

const DURATION_RE = /^(\d+(\.\d+)?(h|m|s|ms))+$/;
const HOST_RE =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const PORT_RE = /^((\d{1,3}\.){3}\d{1,3}:)?\d{1,5}$/;

const PortNumber = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1, "not a port (1–65535)"),
  v.maxValue(65535, "not a port (1–65535)"),
);
/** A published port: `80`, or `127.0.0.1:8080` (an address of the host, then the port). */
const Published = v.union([
  PortNumber,
  v.pipe(v.string(), v.regex(PORT_RE, "not a published port (80, or 127.0.0.1:8080)")),
]);
const Duration = v.union([
  v.pipe(v.number(), v.minValue(0)),
  v.pipe(v.string(), v.regex(DURATION_RE, "not a duration (e.g. 5s, 500ms, 1m)")),
]);
const UrlPath = v.pipe(
  v.string(),
  v.regex(/^\/[^\s?#]*$/, "must start with / (no spaces, ? or #)"),
);

/** `proxy:` at the stage level: the host's proxy. */
export const ProxyStageSchema = v.strictObject({
  image: v.optional(v.pipe(
    v.string(),
    v.check((s) => imageProblem(s) === undefined, (i) => `${i.input}: not an image reference`),
  )),
  http: v.optional(Published),
  https: v.optional(Published),
  tls: v.optional(v.picklist(["auto", "off"])),
});

/** `proxy:` on a service: its route through the host's proxy. */
export const ProxyServiceSchema = v.strictObject({
  host: v.optional(v.pipe(v.string(), v.regex(HOST_RE, "not a host name (e.g. app.example.com)"))),
  port: v.optional(PortNumber),
  path: v.optional(UrlPath),
  health: v.optional(UrlPath),
  drain: v.optional(Duration),
});

export type ProxyStageFile = v.InferOutput<typeof ProxyStageSchema>;

/** The host's proxy as a stage resolves it (defaults applied). */
export interface ProxySettings {
  readonly image: string;
  /** Published HTTP port: `80` or `127.0.0.1:8080`. */
  readonly http: string;
  /** Published HTTPS port (tls: auto only). */
  readonly https?: string;
  readonly tls: "auto" | "off";
}

/** The image of the proxy when the stage names none: the official Caddy 2 image. */
export const PROXY_IMAGE = "caddy:2";

/**
 * The stage's proxy with its defaults: caddy:2, HTTP on 80, and HTTPS on 443 when TLS is on.
 * @example proxySettings({ tls: "off", http: 8080 }) // { image: "caddy:2", http: "8080", tls: "off" }
 */
export function proxySettings(f: ProxyStageFile | undefined): ProxySettings {
  const tls = f?.tls ?? "auto";
  return {
    image: f?.image ?? PROXY_IMAGE,
    http: String(f?.http ?? 80),
    ...(tls === "auto" ? { https: String(f?.https ?? 443) } : {}),
    tls,
  };
}

/** Seconds the old container keeps serving after the switch (`drain`, default 5s). */
export function drainSeconds(d: string | number | undefined): number {
  return seconds(d) ?? 5;
}

const NO_PORTS = "the proxy publishes a proxied service (proxy.port names the container's " +
  "port): remove ports:, or the service's proxy:";
const NEEDS_PORT = "required: the container port the proxy sends requests to (e.g. port: 8080)";
const SWARM = "a Swarm stage replaces tasks start-first by itself (update.order: start-first); " +
  "the proxy is for Compose stages";
const ONE_NAME = "blue/green runs the new container beside the old one, so the name cannot be " +
  "fixed: remove container_name";

type Doc = {
  readonly orchestrator?: unknown;
  readonly proxy?: unknown;
  readonly services?: unknown;
};

/**
 * Keys that do not fit a proxied service or the stage's proxy, each with the reason.
 * @example proxyProblems({ services: { web: { proxy: {}, ports: ["80:80"] } } }).map((p) => p.path.join("."))
 * // ["services.web.proxy.port", "services.web.ports"]
 */
export function proxyProblems(doc: Doc): KeyProblem[] {
  const out: KeyProblem[] = [];
  const services = isMap(doc.services) ? doc.services : {};
  const swarm = doc.orchestrator === "swarm";
  if (swarm && doc.proxy !== undefined) out.push({ path: ["proxy"], message: SWARM });
  const routes = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc) || svc.proxy === undefined) continue;
    const at = (...p: string[]) => ["services", name, ...p];
    if (swarm) {
      out.push({ path: at("proxy"), message: SWARM });
      continue;
    }
    const p = isMap(svc.proxy) ? svc.proxy : {};
    if (p.port === undefined) out.push({ path: at("proxy", "port"), message: NEEDS_PORT });
    if (svc.ports !== undefined) out.push({ path: at("ports"), message: NO_PORTS });
    for (const k of ["container_name", "scale"]) {
      if (svc[k] !== undefined) out.push({ path: at(k), message: ONE_NAME });
      if (isMap(svc.compose) && svc.compose[k] !== undefined) {
        out.push({ path: at("compose", k), message: ONE_NAME });
      }
    }
    const route = `${p.host ?? "*"}${p.path ?? "/"}`;
    const other = routes.get(route);
    if (other) {
      out.push({
        path: at("proxy"),
        message: `the same route as services.${other}.proxy (${route}): give one a host or a path`,
      });
    } else routes.set(route, name);
  }
  return out;
}

function isMap(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The JSON Schema's descriptions of the proxy's keys (lib/config/json_schema.ts). */
export const PROXY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  proxy:
    "The host's proxy (Caddy), one per host and shared by projects: services with proxy: are replaced blue/green behind it, with no outage.",
  "proxy.image": "The proxy's image: any image with Caddy 2 and its admin API. Default caddy:2.",
  "proxy.http": "The published HTTP port: 80 (default), or an address and port: 127.0.0.1:8080.",
  "proxy.https": "The published HTTPS port with tls: auto. Default 443.",
  "proxy.tls":
    "auto (default): certificates from ACME for routes with a public host name; off: plain HTTP.",
  "services.*.proxy":
    "A route through the host's proxy: the service is replaced blue/green (start beside, healthy, switch, drain, remove the old); no ports: then.",
  "services.*.proxy.host":
    "The Host header to route by; none: any host (one such route per proxy).",
  "services.*.proxy.port": "The container port the proxy sends requests to (required).",
  "services.*.proxy.path": "A path prefix to route by (default /).",
  "services.*.proxy.health":
    "An HTTP path the new container must answer (2xx/3xx) before the switch, besides its healthcheck.",
  "services.*.proxy.drain":
    "How long the old container keeps serving in-flight requests after the switch. Default 5s.",
};
