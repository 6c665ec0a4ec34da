/** Image naming (SPEC §3), pure. */
import type { Service, Stage } from "../config/stage.ts";

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
  if (svc.image) return svc.image.replace(/:[^/:]+$/, "");
  return svc.name === stage.project
    ? `${stage.project}-${stage.name}`
    : `${stage.project}-${svc.name}-${stage.name}`;
}

/**
 * The full image reference of a service. Built: `{registry}/{repo}:{tag}`; not built: `image:`.
 * @example imageRef(live, app, {}) // "ghcr.io/myorg/myapp-live:latest"
 */
export function imageRef(stage: Stage, svc: Service, opts: ImageOptions = {}): string {
  if (!svc.build) return svc.image ?? "";
  const reg = registryOf(stage, svc, opts);
  const own = svc.image?.match(/:([^/:]+)$/)?.[1];
  const tag = opts.tag ?? own ?? stage.tag;
  return `${reg ? `${reg}/` : ""}${repoOf(stage, svc)}:${tag}`;
}

/** The Compose project name of a stage: `{project}-{stage}`. */
export function composeProject(stage: Stage): string {
  return `${stage.project}-${stage.name}`;
}
