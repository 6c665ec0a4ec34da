/**
 * The registry checks of `fleet doctor`: does the registry answer (`GET /v2/`: 200, or 401 when
 * it wants a login), and does this machine have credentials for it (fleet's environment
 * variables, or Docker's config.json: an auth entry or a credential helper)? Basic-auth
 * registries are asked whether they accept the credentials at hand. Secrets are sent only to
 * the registry they belong to and never printed.
 */
import type { Stage } from "../config/stage.ts";
import { FleetError } from "../core/errors.ts";
import { registryOf } from "../docker/images.ts";
import { credentialsFor, DOCKER_HUB, registryHost } from "../docker/registry_login.ts";
import { type Check, notChecked } from "./probes.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Fetch = typeof fetch;

/** The registry hosts a stage pushes its built images to (and pulls them from). */
export function registryHosts(stage: Stage): string[] {
  const regs = stage.services.filter((s) => s.build).map((s) => registryOf(stage, s));
  return [...new Set(regs.filter((r) => r !== undefined).map((r) => registryHost(`${r}/x`)))];
}

/** True for 127.0.0.0/8, localhost and [::1] (Docker talks plain http to these). */
export function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}

/**
 * The registry API root of a host: http for loopback, https otherwise.
 * @example registryUrl("127.0.0.1:5000") // "http://127.0.0.1:5000/v2/"
 */
export function registryUrl(host: string): string {
  if (host === DOCKER_HUB) return "https://registry-1.docker.io/v2/";
  return `${isLoopback(host) ? "http" : "https"}://${host}/v2/`;
}

/** What `GET /v2/` said: a status and its auth challenge, or why there was no answer. */
export type Answer =
  | { readonly url: string; readonly status: number; readonly challenge: string }
  | { readonly url: string; readonly error: string };

/** Ask a registry's API root (10 s at most). `auth` is a Basic credential (base64 user:pass). */
export async function askRegistry(host: string, fetchFn: Fetch, auth?: string): Promise<Answer> {
  const url = registryUrl(host);
  try {
    const r = await fetchFn(url, {
      headers: auth ? { Authorization: `Basic ${auth}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    await r.body?.cancel();
    return { url, status: r.status, challenge: r.headers.get("www-authenticate") ?? "" };
  } catch (e) {
    return { url, error: fetchError(e as Error) };
  }
}

/** Why a request got no answer, in a few words. */
function fetchError(e: Error): string {
  const text = `${e.message} ${(e.cause as Error | undefined)?.message ?? ""}`;
  if (e.name === "TimeoutError") return "no answer within 10 s";
  if (/dns error|failed to lookup|Name or service not known/i.test(text)) return "unknown host";
  if (/Connection refused/i.test(text)) return "connection refused";
  if (/certificate|tls|ssl/i.test(text)) return `TLS error: ${text.split("\n")[0].trim()}`;
  return text.replace(/error sending request for url \([^)]*\): /, "").split("\n")[0].trim();
}

/** The `registry` line: the registry answers as a registry. */
export function reachCheck(name: string, host: string, a: Answer): Check {
  if ("error" in a) {
    return {
      name,
      ok: false,
      detail: `${host} does not answer (${a.url}: ${a.error})`,
      fix: isLoopback(host)
        ? `start the registry on ${host}, or fix registry: in the stage file`
        : `check the name in registry: and this machine's network (proxy, firewall) to ${host}`,
    };
  }
  if (a.status === 200 || a.status === 401) {
    const login = a.status === 401 ? ", wants a login" : "";
    return { name, ok: true, detail: `${host} answers (HTTP ${a.status}${login})` };
  }
  return {
    name,
    ok: false,
    detail: `${host} is not a registry: ${a.url} says HTTP ${a.status}`,
    fix: "check registry: in the stage file",
  };
}

/** Credentials for a host on this machine, and where they come from (`basic` when at hand). */
export interface Found {
  readonly from: string;
  readonly basic?: string;
}

/**
 * Where the credentials for `host` come from: FLEET_REGISTRY_USER/PASSWORD (or GITHUB_ACTOR/
 * TOKEN for ghcr.io), else config.json's auths entry or credential helper; else undefined.
 * @example findCredentials("ghcr.io", {}, { auths: { "ghcr.io": {} } })?.from // "docker login (config.json)"
 */
export function findCredentials(
  host: string,
  env: Env,
  config: Readonly<Record<string, unknown>>,
): Found | undefined {
  const c = credentialsFor(host, env);
  if (c) return { from: c.from, basic: btoa(`${c.user}:${c.password}`) };
  const auths = (config.auths ?? {}) as Record<string, { auth?: string }>;
  const keys = host === DOCKER_HUB ? [DOCKER_HUB, "index.docker.io", "docker.io"] : [host];
  const key = keys.find((k) => auths[k] || auths[`https://${k}`]);
  if (key) {
    return {
      from: "docker login (config.json)",
      basic: (auths[key] ?? auths[`https://${key}`]).auth,
    };
  }
  const helper = (config.credHelpers as Record<string, string> | undefined)?.[host];
  if (helper) return { from: `credential helper docker-credential-${helper}` };
  return undefined;
}

/**
 * The `login` line of a pushing stage: no login needed, credentials present (and accepted,
 * where the registry uses Basic auth and they are at hand), or missing.
 */
export async function loginCheck(
  name: string,
  reachName: string,
  host: string,
  a: Answer,
  env: Env,
  config: Readonly<Record<string, unknown>>,
  fetchFn: Fetch,
): Promise<Check> {
  if ("error" in a) return notChecked(name, reachName);
  if (a.status === 200) return { name, ok: true, detail: "no login needed" };
  let found: Found | undefined;
  try {
    found = findCredentials(host, env, config);
  } catch (e) {
    if (e instanceof FleetError) return { name, ok: false, detail: e.message, fix: e.hint };
    throw e;
  }
  const where = host === DOCKER_HUB ? "" : ` ${host}`;
  if (!found) {
    return {
      name,
      ok: false,
      detail: `no credentials for ${host} on this machine`,
      fix: `docker login${where}, or set FLEET_REGISTRY_USER and FLEET_REGISTRY_PASSWORD${
        host === "ghcr.io" ? " (in GitHub Actions: GITHUB_ACTOR and GITHUB_TOKEN)" : ""
      }`,
    };
  }
  if (!found.basic || !/^basic/i.test(a.challenge)) {
    return { name, ok: true, detail: `credentials from ${found.from}` };
  }
  const again = await askRegistry(host, fetchFn, found.basic);
  if ("status" in again && again.status === 200) {
    return { name, ok: true, detail: `${host} accepts the credentials from ${found.from}` };
  }
  return {
    name,
    ok: false,
    detail: `${host} refuses the credentials from ${found.from}`,
    fix: `docker login${where} again (or fix FLEET_REGISTRY_USER/PASSWORD)`,
  };
}
