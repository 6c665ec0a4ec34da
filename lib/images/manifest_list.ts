/**
 * Multi-platform builds (SPEC §10), the pure parts: which platforms a build targets, how the
 * engine can make their manifest list, the names and commands of the join route, and reading
 * a pushed list back (its digest and each platform's).
 *
 * Two routes. `one-call`: an engine with the containerd image store builds, loads or pushes
 * every platform in one `docker buildx build --platform a,b`. `join`: an engine with the
 * classic store (Docker 20.10) builds each platform alone, pushes it under a per-platform tag
 * (`<tag>-fleet-tmp-<os>-<arch>`), and `docker buildx imagetools create` joins them into one
 * list under the real tag. Docker's own builder cannot push by digest alone ("push-by-digest
 * is currently not implemented for docker driver"), and a plain registry cannot delete a tag
 * without deleting the manifest the list points at: the per-platform tags stay, and the next
 * build of the same tag overwrites them.
 */
import { UsageError } from "../core/errors.ts";
import { normalizePlatform, parsePlatforms, platformSlug } from "../config/platforms.ts";
import type { ImageStore } from "../docker/image_store.ts";
import { inspectArgv } from "../docker/imagetools.ts";
import type { Stage } from "../config/stage.ts";

/** How a list is built: in one buildx call, or one build per platform joined afterwards. */
export type ListRoute = "one-call" | "join";

/** A platform of a pushed list and its manifest's digest. */
export interface PlatformDigest {
  readonly platform: string;
  readonly digest?: string;
}

/** A pushed manifest list: its own digest and each platform's. */
export interface PushedList {
  readonly digest: string;
  readonly platforms: readonly PlatformDigest[];
}

/**
 * The platforms a build targets ([] = the native one): --platform, else the stage's.
 * Several need buildx; throws a UsageError before any docker command.
 * @example buildPlatforms(dev, { platform: "linux/amd64,linux/arm64" }) // ["linux/amd64", "linux/arm64"]
 */
export function buildPlatforms(stage: Stage, opts: { platform?: string }): string[] {
  const text = opts.platform ?? stage.platform;
  if (text === undefined) return [];
  const platforms = parsePlatforms(text, opts.platform !== undefined ? "--platform" : stage.file);
  if (platforms.length > 1 && !stage.buildx) {
    throw new UsageError(
      `several platforms (${platforms.join(", ")}) need buildx, and stage "${stage.name}" ` +
        "builds with docker build",
      { hint: `set buildx: true in ${stage.file}, or build one platform (--platform)` },
    );
  }
  return platforms;
}

/**
 * The route of a multi-platform build on an engine with this image store. Without --push a
 * list must be loaded into the engine, which only the containerd image store can hold.
 * @example listRoute({ push: true }, "classic") // "join"
 */
export function listRoute(opts: { push?: boolean }, store: ImageStore): ListRoute {
  if (store === "containerd") return "one-call";
  if (opts.push) return "join";
  throw new UsageError(
    "several platforms without --push: this engine's image store holds one platform per image, " +
      "so it cannot load a multi-platform list",
    {
      hint: "add --push to push one manifest list to the registry, build one platform " +
        "(--platform linux/amd64), or turn on the containerd image store (Docker Engine 24+)",
    },
  );
}

/**
 * The per-platform tag of the join route (a tag is at most 128 characters).
 * @example tempRef("reg/app:v1", "linux/arm64") // "reg/app:v1-fleet-tmp-linux-arm64"
 */
export function tempRef(ref: string, platform: string): string {
  const colon = ref.lastIndexOf(":");
  const [repo, tag] = colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [
    ref,
    "latest",
  ];
  const suffix = `-fleet-tmp-${platformSlug(platform)}`;
  return `${repo}:${tag.slice(0, 128 - suffix.length)}${suffix}`;
}

/**
 * Join pushed images into one list under `ref` (or under each of several tags).
 * @example joinArgv("reg/app:v1", ["reg/app:v1-fleet-tmp-linux-amd64"]) // ["docker", "buildx", "imagetools", "create", "-t", "reg/app:v1", …]
 */
export function joinArgv(ref: string | readonly string[], sources: readonly string[]): string[] {
  const tags = [ref].flat().flatMap((r) => ["-t", r]);
  return ["docker", "buildx", "imagetools", "create", ...tags, ...sources];
}

/**
 * Read a pushed list back: the index with its digest and each manifest's platform.
 * @example inspectListArgv("reg/app:v1") // ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", "reg/app:v1"]
 */
export function inspectListArgv(ref: string): string[] {
  return inspectArgv(ref);
}

interface IndexJson {
  digest?: string;
  manifests?: {
    digest?: string;
    platform?: { os?: string; architecture?: string; variant?: string };
    annotations?: Record<string, string>;
  }[];
}

/**
 * The list digest and each platform's digest from `inspectListArgv`'s output, in the order
 * asked for; attestation manifests (`unknown/unknown`) are left out.
 * @example parsePushedList(out, ["linux/amd64"]) // { digest: "sha256:…", platforms: [{ platform: "linux/amd64", digest: "sha256:…" }] }
 */
export function parsePushedList(stdout: string, platforms: readonly string[]): PushedList {
  const j = JSON.parse(stdout.trim()) as IndexJson;
  const found = new Map<string, string>();
  for (const m of j.manifests ?? []) {
    const p = m.platform;
    if (!p?.os || !p.architecture || p.os === "unknown") continue;
    if (m.annotations?.["vnd.docker.reference.type"] === "attestation-manifest") continue;
    const name = normalizePlatform([p.os, p.architecture, p.variant].filter(Boolean).join("/"));
    if (m.digest && !found.has(name)) found.set(name, m.digest);
  }
  return {
    digest: j.digest ?? "",
    platforms: platforms.map((platform) => ({ platform, digest: found.get(platform) })),
  };
}
