/**
 * The one parser of image references (`[registry/]path[:tag][@digest]`), as Docker reads them:
 * the first component is a registry host when it has a `.` or `:` or is `localhost`.
 */

/** A parsed image reference. */
export interface ImageRef {
  /** Registry host ("ghcr.io", "127.0.0.1:5000"), undefined for Docker Hub. */
  readonly registry?: string;
  /** The repository with its registry: everything before the tag and digest. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Parse an image reference.
 * @example parseImageRef("127.0.0.1:5000/a/b:1@sha256:ab") // { registry: "127.0.0.1:5000", repository: "127.0.0.1:5000/a/b", tag: "1", digest: "sha256:ab" }
 */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  const repository = colon > slash ? name.slice(0, colon) : name;
  const first = repository.split("/")[0];
  const isHost = repository.includes("/") &&
    (first.includes(".") || first.includes(":") || first === "localhost");
  return {
    ...(isHost ? { registry: first } : {}),
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * The repository of a reference, without tag and digest.
 * @example repositoryOf("reg:5000/app:1") // "reg:5000/app"
 */
export function repositoryOf(ref: string): string {
  return parseImageRef(ref).repository;
}

/**
 * The same repository with another tag (any digest dropped).
 * @example withTag("reg/app:1@sha256:ab", "fleet-r1") // "reg/app:fleet-r1"
 */
export function withTag(ref: string, tag: string): string {
  return `${repositoryOf(ref)}:${tag}`;
}

/**
 * A short image ID or digest for people (12 hex digits), "none" for none; a reference pinned
 * by digest (Swarm) is shown by its digest.
 * @example shortId("sha256:0123456789abcdef") // "0123456789ab"
 * @example shortId("reg/app:1@sha256:0123456789abcdef") // "0123456789ab"
 */
export function shortId(id: string | undefined): string {
  return id ? id.replace(/^.*@/, "").replace(/^sha256:/, "").slice(0, 12) : "none";
}

/**
 * A short manifest digest for people: the algorithm and 12 hex digits.
 * @example shortDigest("sha256:0123456789abcdef") // "sha256:0123456789ab"
 */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(":");
  return `${digest.slice(0, i + 1)}${digest.slice(i + 1, i + 13)}`;
}
