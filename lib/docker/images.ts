/** Image naming (SPEC §3), pure. */
import { UsageError } from "../core/errors.ts";
import type { Service, Stage } from "../config/stage.ts";
import { parseImageRef, repositoryOf } from "./image_ref.ts";

/** Overrides from the command line. */
export interface ImageOptions {
  readonly registry?: string;
  readonly tag?: string;
}

/**
 * The registry of a service: --registry > service.registry > stage (which includes _base).
 * @example registryOf(stage, svc, {}) // "ghcr.io/myorg" or undefined
 */
export function registryOf(
  stage: Stage,
  svc: Service,
  opts: ImageOptions = {},
): string | undefined {
  const r = opts.registry ?? svc.registry ?? stage.registry;
  return r ? r.replace(/\/+$/, "") : undefined;
}

/**
 * The repository of a built service: `{project}-{stage}` for the service named like the
 * project, `{project}-{service}-{stage}` otherwise; `image:` overrides it.
 * @example repoOf(stage, web) // "myapp-web-live"
 */
export function repoOf(stage: Stage, svc: Service): string {
  if (svc.image) return repositoryOf(svc.image);
  // Compose's names allow capitals (and dots): a repository is lower case
  const name = svc.name.toLowerCase();
  return name === stage.project
    ? `${stage.project}-${stage.name}`
    : `${stage.project}-${name}-${stage.name}`;
}

/**
 * The full image reference of a service. Built: `{registry}/{repo}:{tag}`; not built: `image:`.
 * @example imageRef(live, app, {}) // "ghcr.io/myorg/myapp-live:latest"
 */
export function imageRef(stage: Stage, svc: Service, opts: ImageOptions = {}): string {
  if (!svc.build) return svc.image ?? "";
  const reg = registryOf(stage, svc, opts);
  const own = svc.image ? parseImageRef(svc.image).tag : undefined;
  const tag = opts.tag ?? own ?? stage.tag;
  return `${reg ? `${reg}/` : ""}${repoOf(stage, svc)}:${tag}`;
}

/** The Compose project name of a stage: `{project}-{stage}`. */
export function composeProject(stage: Stage): string {
  return `${stage.project}-${stage.name}`;
}

/** The image reference of each service (after --registry/--tag), by service name. */
export function imagesOf(stage: Stage, opts: ImageOptions = {}): Record<string, string> {
  return Object.fromEntries(stage.services.map((s) => [s.name, imageRef(stage, s, opts)]));
}

/** A service's image can be pulled unless fleet builds it and there is no registry to pull from. */
export function pullable(stage: Stage, svc: Service, opts: ImageOptions = {}): boolean {
  return !svc.build || registryOf(stage, svc, opts) !== undefined;
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Check the tags given with --tag: a UsageError (exit 2) for one that is not a valid image tag.
 * @example checkTags(["latest", "sha-1a2b"]) // ok
 */
export function checkTags(tags: readonly string[]): void {
  for (const tag of tags) {
    if (TAG_RE.test(tag)) continue;
    throw new UsageError(`--tag "${tag}" is not a valid image tag`, {
      hint: "a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -",
    });
  }
}
