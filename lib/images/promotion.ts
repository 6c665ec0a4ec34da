/**
 * What `fleet promote <from> <to>` does (pure): for each built service, the reference of `<to>`
 * to point at the manifest that `<from>`'s reference points at (SPEC §9). Both sides need a
 * registry; `--tag` names the tag on both sides instead of each stage's `tag:`.
 */
import { UsageError } from "../core/errors.ts";
import type { Service, Stage } from "../config/stage.ts";
import { pickServices } from "../config/services.ts";
import { checkTags, imageRef, registryOf } from "../docker/images.ts";
import { registryHost } from "../docker/registry_login.ts";

/** The options of `fleet promote`. */
export interface PromoteOptions {
  readonly service?: readonly string[];
  readonly tag?: string;
}

/** One service to promote: its reference in `<from>` and the one it gets in `<to>`. */
export interface Promotion {
  readonly service: string;
  readonly from: string;
  readonly to: string;
}

/** One promoted service: the new reference and its digest, and the source's. */
export interface Promoted extends Promotion {
  /** The digest `to` now points at. */
  readonly digest: string;
  /** The digest `from` points at: the same, unless buildx had to wrap a manifest in a list. */
  readonly sourceDigest: string;
  /** True when `to` points at the very manifest (or list) `from` does. */
  readonly identical: boolean;
}

/** What `fleet promote` returns. */
export interface PromoteResult {
  readonly from: string;
  readonly to: string;
  readonly services: readonly Promoted[];
  /** Dry run: the commands that would run, as shell lines. */
  readonly commands?: readonly string[];
}

/**
 * The services to promote (`-n`, default every service that `<from>` builds), each with its
 * reference on both sides; a UsageError (exit 2) when a side has no registry or both are one.
 * @example planPromotion(dev, live, {}) // [{ service: "web", from: "reg/app-web-dev:latest", to: "reg/app-web-live:latest" }]
 */
export function planPromotion(from: Stage, to: Stage, opts: PromoteOptions): Promotion[] {
  if (opts.tag !== undefined) checkTags([opts.tag]);
  const built = from.services.filter((s) => s.build);
  if (built.length === 0) {
    throw new UsageError(`stage "${from.name}" builds no service: nothing to promote`, {
      hint:
        `promote copies the images that fleet build pushes (services with build: in ${from.file})`,
    });
  }
  const img = { tag: opts.tag };
  return pickServices(from, opts.service ?? [], built, "built services").map((svc) => {
    const target = to.services.find((s) => s.name === svc.name && s.build);
    if (!target) {
      throw new UsageError(`stage "${to.name}" has no built service "${svc.name}"`, {
        hint: `promote needs the service with build: in both ${from.file} and ${to.file}`,
      });
    }
    for (const [stage, s] of [[from, svc], [to, target]] as const) requireRegistry(stage, s);
    const p = { service: svc.name, from: imageRef(from, svc, img), to: imageRef(to, target, img) };
    if (p.from === p.to) {
      throw new UsageError(`${svc.name}: ${from.name} and ${to.name} name the same image ${p.to}`);
    }
    return p;
  });
}

function requireRegistry(stage: Stage, svc: Service): void {
  if (registryOf(stage, svc) !== undefined || svc.image?.includes("/")) return;
  throw new UsageError(`promote needs a registry, and ${stage.name} has none for ${svc.name}`, {
    hint: `set registry: in ${stage.file} or stages/_base.yaml (the images stay in registries)`,
  });
}

/** The registry hosts a promotion reads from and writes to (for the logins). */
export function promotionHosts(ps: readonly Promotion[]): string[] {
  return [...new Set(ps.flatMap((p) => [registryHost(p.from), registryHost(p.to)]))];
}
