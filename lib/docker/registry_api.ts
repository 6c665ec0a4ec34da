/**
 * Copying one image manifest between repositories through the registry's own HTTP API
 * (distribution spec v2), byte for byte: the copy has the source's digest, whatever buildx the
 * machine has. Blobs are mounted across repositories of one registry (nothing is downloaded),
 * or copied when the registries differ. Credentials are Docker's: the config.json `auths` of
 * DOCKER_CONFIG (where `fleet promote` logged in), or the credential helper it names.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { userDockerConfig } from "./docker_config.ts";
import { parseImageRef } from "./image_ref.ts";

/** A registry and a repository in it, as the API names them. */
export interface ApiRepo {
  /** `http://127.0.0.1:5000`, `https://ghcr.io` */
  readonly base: string;
  /** The repository's path in the API: `org/app-web-dev` (Docker Hub: `library/x`). */
  readonly path: string;
  /** The host as Docker's config names it (credentials). */
  readonly host: string;
}

type Fetch = typeof fetch;
type Creds = { readonly user: string; readonly password: string } | undefined;

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/**
 * Where the API of a reference's repository is: plain http for a registry on this machine
 * (localhost, 127.0.0.0/8, ::1: Docker's own rule), https otherwise.
 * @example apiRepo("127.0.0.1:5000/app-web-dev:1") // { base: "http://127.0.0.1:5000", path: "app-web-dev", host: "127.0.0.1:5000" }
 */
export function apiRepo(ref: string): ApiRepo {
  const r = parseImageRef(ref);
  const host = r.registry ?? "docker.io";
  let path = r.registry ? r.repository.slice(r.registry.length + 1) : r.repository;
  if (!r.registry && !path.includes("/")) path = `library/${path}`;
  const name = host.replace(/:\d+$/, "");
  const local = name === "localhost" || /^127\./.test(name) || name === "[::1]";
  const api = host === "docker.io" ? "registry-1.docker.io" : host;
  return { base: `${local ? "http" : "https"}://${api}`, path, host };
}

/** The blobs a single-platform manifest refers to: its config and its layers. */
export function blobsOf(manifest: string): string[] {
  const m = JSON.parse(manifest) as {
    config?: { digest?: string };
    layers?: { digest?: string }[];
  };
  const all = [m.config?.digest, ...(m.layers ?? []).map((l) => l.digest)];
  return all.filter((d): d is string => typeof d === "string");
}

/** An HTTP client for one registry host: Docker's credentials, Basic or Bearer as it asks. */
function client(creds: Creds, f: Fetch) {
  const tokens = new Map<string, string>(); // scope → Authorization
  const basic = creds ? `Basic ${btoa(`${creds.user}:${creds.password}`)}` : undefined;
  return async (method: string, url: string, init: RequestInit = {}): Promise<Response> => {
    const scope = url.match(/\/v2\/(.+?)\/(?:manifests|blobs)\//)?.[1] ?? "";
    const send = (auth?: string) =>
      f(url, {
        ...init,
        method,
        redirect: "follow",
        headers: {
          ...(init.headers as Record<string, string>),
          ...(auth ? { Authorization: auth } : {}),
        },
      });
    let res = await send(tokens.get(scope));
    if (res.status !== 401) return res;
    await res.body?.cancel();
    const challenge = res.headers.get("www-authenticate") ?? "";
    const auth = /^bearer/i.test(challenge) ? await bearer(challenge, basic, f) : basic;
    if (!auth) return res;
    tokens.set(scope, auth);
    res = await send(auth);
    return res;
  };
}

/** A Bearer token from the registry's token service, for the scope its challenge names. */
async function bearer(challenge: string, basic: string | undefined, f: Fetch) {
  const p = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  if (!p.realm) return undefined;
  const q = new URLSearchParams();
  if (p.service) q.set("service", p.service);
  if (p.scope) q.set("scope", p.scope);
  const r = await f(`${p.realm}?${q}`, { headers: basic ? { Authorization: basic } : {} });
  if (!r.ok) return (await r.body?.cancel(), undefined);
  const j = await r.json() as { token?: string; access_token?: string };
  const t = j.token ?? j.access_token;
  return t ? `Bearer ${t}` : undefined;
}

/**
 * Docker's credentials for a registry host: `auths[host].auth` of the config.json in
 * DOCKER_CONFIG (or ~/.docker), else its credential helper (`docker-credential-<name> get`).
 */
export async function dockerCredentials(deps: Deps, host: string): Promise<Creds> {
  const config = userDockerConfig(deps.env) as {
    auths?: Record<string, { auth?: string }>;
    credHelpers?: Record<string, string>;
    credsStore?: string;
  };
  const keys = host === "docker.io" ? ["https://index.docker.io/v1/", "docker.io"] : [host];
  for (const k of keys) {
    const auth = config.auths?.[k]?.auth;
    if (!auth) continue;
    const plain = atob(auth);
    const i = plain.indexOf(":");
    return { user: plain.slice(0, i), password: plain.slice(i + 1) };
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (!helper) return undefined;
  const r = await deps.runner.run({
    kind: "login",
    title: `read the credentials for ${host}`,
    argv: [`docker-credential-${helper}`, "get"],
    input: keys[0],
  }, { check: false }).catch(() => undefined);
  if (!r || r.code !== 0) return undefined;
  try {
    const j = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    return j.Username && j.Secret ? { user: j.Username, password: j.Secret } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Copy the manifest `digest` of `from`'s repository to `to` (its tag), byte for byte: its blobs
 * first (mounted, or copied between registries), then the manifest itself. Returns the digest
 * the registry gives the copy (the source's). `creds` gives each host's credentials.
 */
export async function copyManifest(
  from: string,
  digest: string,
  to: string,
  creds: (host: string) => Promise<Creds>,
  f: Fetch = fetch,
): Promise<string> {
  const src = apiRepo(from);
  const dst = apiRepo(to);
  const tag = parseImageRef(to).tag ?? "latest";
  const get = client(await creds(src.host), f);
  const put = src.host === dst.host ? get : client(await creds(dst.host), f);
  const fail = async (what: string, res: Response) => {
    const body = (await res.text()).slice(0, 300);
    return new CommandError(`${what}: HTTP ${res.status}`, [], body);
  };
  const m = await get("GET", `${src.base}/v2/${src.path}/manifests/${digest}`, {
    headers: { Accept: MANIFEST_TYPES },
  });
  if (!m.ok) throw await fail(`cannot read ${src.path}@${digest}`, m);
  const type = m.headers.get("content-type") ?? "";
  const bytes = new Uint8Array(await m.arrayBuffer());
  for (const blob of blobsOf(new TextDecoder().decode(bytes))) {
    await copyBlob(src, dst, blob, get, put, fail);
  }
  const done = await put("PUT", `${dst.base}/v2/${dst.path}/manifests/${tag}`, {
    headers: { "Content-Type": type },
    body: bytes,
  });
  if (!done.ok) throw await fail(`cannot write ${dst.path}:${tag}`, done);
  await done.body?.cancel();
  return done.headers.get("docker-content-digest") ?? digest;
}

type Call = ReturnType<typeof client>;

/** One blob into `dst`: there already, mounted from `src` (one registry), or copied. */
async function copyBlob(
  src: ApiRepo,
  dst: ApiRepo,
  blob: string,
  get: Call,
  put: Call,
  fail: (what: string, res: Response) => Promise<CommandError>,
): Promise<void> {
  const have = await put("HEAD", `${dst.base}/v2/${dst.path}/blobs/${blob}`);
  await have.body?.cancel();
  if (have.ok) return;
  const mount = src.host === dst.host ? `?mount=${blob}&from=${encodeURIComponent(src.path)}` : "";
  const start = await put("POST", `${dst.base}/v2/${dst.path}/blobs/uploads/${mount}`);
  await start.body?.cancel();
  if (start.status === 201) return; // mounted
  if (start.status !== 202) throw await fail(`cannot upload to ${dst.path}`, start);
  const data = await get("GET", `${src.base}/v2/${src.path}/blobs/${blob}`);
  if (!data.ok) throw await fail(`cannot read blob ${blob} of ${src.path}`, data);
  const loc = new URL(start.headers.get("location") ?? "", `${dst.base}/`);
  loc.searchParams.set("digest", blob);
  const up = await put("PUT", loc.toString(), {
    headers: { "Content-Type": "application/octet-stream" },
    body: new Uint8Array(await data.arrayBuffer()),
  });
  if (!up.ok) throw await fail(`cannot upload blob ${blob} to ${dst.path}`, up);
  await up.body?.cancel();
}
