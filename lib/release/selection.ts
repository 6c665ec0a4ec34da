/**
 * What `fleet deploy` and `fleet rollback` hand the release flow: its options from the command's
 * (checked: --prune only where it means something) and the selection (services, images, pulls).
 */
import { DEFAULTS } from "../core/defaults.ts";
import { UsageError } from "../core/errors.ts";
import type { Service, Stage } from "../config/stage.ts";
import { type ImageOptions, imagesOf, pullable } from "../docker/images.ts";
import type { Engine } from "../engine/engine.ts";
import type { FlowOptions, Selection } from "./types.ts";

/** The options of `fleet deploy` (and, with `to`, of `fleet rollback`). */
export interface DeployOptions {
  readonly dir?: string;
  readonly service?: string[];
  readonly pull?: boolean;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly timeout?: number;
  readonly rollback?: boolean;
  readonly changedOnly?: boolean;
  readonly lockWait?: number;
  /** Deploy this tag of the built services instead of the stage's `tag:` (deploy only). */
  readonly tag?: string;
  /** Swarm: remove the stack's services the stage no longer has. */
  readonly prune?: boolean;
  /** Compose profiles to activate besides the stage's own (`--profile`). */
  readonly profile?: string[];
}

/** A warning for each service with a fixed `container_name:` (one container at a time). */
export function fixedNames(services: readonly Service[]): string[] {
  return services.flatMap((s) => {
    const fixed = (s as { container_name?: unknown }).container_name;
    return fixed === undefined ? [] : [
      `services.${s.name}.container_name: ${fixed}: one container at a time (fleet removes it ` +
      "before the new one starts)",
    ];
  });
}

/** The release flow's options from a command's, defaults filled; a UsageError for a bad mix. */
export function flowOptions(engine: Engine, o: DeployOptions & { to?: string }): FlowOptions {
  const only = (o.service ?? []).length > 0;
  if (o.prune && engine.name !== "swarm") {
    throw new UsageError("--prune is for Swarm stages (orchestrator: swarm)", {
      hint: "a Compose stage's services that the stage no longer has go with fleet down",
    });
  }
  if (o.prune && only) {
    throw new UsageError("--prune with -n would remove every service not named", {
      hint: "deploy the whole stage with --prune, or leave --prune out",
    });
  }
  return {
    yes: o.yes ?? false,
    dryRun: o.dryRun ?? false,
    timeout: o.timeout ?? engine.timeout,
    rollback: o.rollback ?? true,
    changedOnly: o.changedOnly ?? false,
    lockWait: o.lockWait ?? DEFAULTS.lockWait,
    only,
    pull: o.pull ?? true,
    ...(o.prune ? { prune: true } : {}),
  };
}

/**
 * A deploy's selection: the services, every service's image, which to pull.
 * @example deploySelection(stage, stage.services, {}, true).toPull // ["web"] (built or pulled)
 */
export function deploySelection(
  stage: Stage,
  services: readonly Service[],
  img: ImageOptions,
  pull: boolean,
): Selection {
  return {
    kind: "deploy",
    services: services.map((s) => s.name),
    images: imagesOf(stage, img),
    toPull: pull ? services.filter((s) => pullable(stage, s, img)).map((s) => s.name) : [],
    unpullable: services.filter((s) => !pullable(stage, s, img)).map((s) => s.name),
  };
}

/** A rollback's selection: the services it restores, with the images of the release it picked. */
export function rollbackSelection(
  stage: Stage,
  images: Readonly<Record<string, string>>,
  release: string,
): Selection {
  return {
    kind: "rollback",
    services: Object.keys(images),
    images: { ...imagesOf(stage), ...images },
    toPull: [],
    unpullable: [],
    note: `rollback to ${release}`,
  };
}
