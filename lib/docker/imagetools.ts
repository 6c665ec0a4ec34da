/**
 * `docker buildx imagetools`: what a reference points at in its registry, and a new reference
 * to the very same manifest (or manifest list) by digest, without pulling or building (pure
 * argv builders and parsers; `fleet promote` runs them).
 */
import { repositoryOf } from "./image_ref.ts";

/** What a reference points at: a manifest, or a manifest list / index (multi-platform). */
export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
}

/**
 * The descriptor of what `ref` points at (a list: with its manifests), as JSON on stdout.
 * @example inspectArgv("reg/app:1") // ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", "reg/app:1"]
 */
export function inspectArgv(ref: string): string[] {
  return ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", ref];
}

/** Parse the output of {@link inspectArgv}; throws when it holds no digest. */
export function parseManifest(stdout: string): Manifest {
  const j = JSON.parse(stdout.trim() || "{}") as Record<string, unknown>;
  if (typeof j.digest !== "string" || !j.digest.startsWith("sha256:")) {
    throw new Error(`no digest in: ${stdout.trim().slice(0, 200)}`);
  }
  return { digest: j.digest, mediaType: String(j.mediaType ?? "") };
}

/** A reference resolved in its registry: its digest and the platforms (os/arch) it offers. */
export interface Resolved {
  readonly digest: string;
  readonly platforms: readonly string[];
}

/**
 * What `ref` points at, with its image config (one image) or configs by platform (a list).
 * @example resolveArgv("reg/app:1") // ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .}}", "reg/app:1"]
 */
export function resolveArgv(ref: string): string[] {
  return ["docker", "buildx", "imagetools", "inspect", "--format", "{{json .}}", ref];
}

/**
 * Parse the output of {@link resolveArgv}: the manifest's digest, and the platforms of its image
 * config (one image) or of each entry (a list: `"linux/amd64": {…}`); undefined without a digest.
 */
export function parseResolved(stdout: string): Resolved | undefined {
  try {
    const j = JSON.parse(stdout);
    const digest = j.manifest?.digest;
    if (typeof digest !== "string") return undefined;
    const img = j.image ?? {};
    const platforms = typeof img.os === "string"
      ? [`${img.os}/${img.architecture}`]
      : Object.keys(img).filter((k) => k.includes("/"));
    return { digest, platforms };
  } catch {
    return undefined;
  }
}

/** True for a manifest list or OCI index (which `imagetools create` copies whole). */
export function isIndex(mediaType: string): boolean {
  return /manifest\.list|image\.index/.test(mediaType);
}

/**
 * Point `to` at the manifest `digest` of `from`'s repository. `exact`: pass
 * `--prefer-index=false` (buildx ≥ 0.15), so a single manifest is copied as it is rather than
 * wrapped in a new index; a list is always copied whole.
 * @example createArgv("reg/app-live:1", "reg/app-dev:1", "sha256:ab", true)
 * // ["docker", "buildx", "imagetools", "create", "--prefer-index=false", "-t", "reg/app-live:1", "reg/app-dev@sha256:ab"]
 */
export function createArgv(to: string, from: string, digest: string, exact: boolean): string[] {
  return [
    ...["docker", "buildx", "imagetools", "create"],
    ...(exact ? ["--prefer-index=false"] : []),
    ...["-t", to, `${repositoryOf(from)}@${digest}`],
  ];
}

/** `imagetools create --help`: its text tells whether this buildx knows `--prefer-index`. */
export const CREATE_HELP_ARGV: readonly string[] = [
  "docker",
  "buildx",
  "imagetools",
  "create",
  "--help",
];

/** True when `imagetools create --help` lists `--prefer-index`. */
export function supportsPreferIndex(help: string): boolean {
  return help.includes("--prefer-index");
}
