/**
 * Going back: the automatic rollback of a failed release, and the choice of the release that
 * `fleet rollback` returns to. A rollback restores the recorded model of that release (so a
 * changed healthcheck or environment goes back too) with its kept images.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError, InterruptedError, UsageError } from "../core/errors.ts";
import { runStep } from "../core/steps.ts";
import { inspectImages } from "../docker/queries.ts";
import type { Engine, EngineContext } from "../engine/engine.ts";
import { keepTag, listReleases, type Release } from "./history.ts";
import { prevTag } from "./kept_images.ts";
import { recordOrWarn } from "./record.ts";
import type { Attempt } from "./types.ts";

/** What an automatic rollback can go back to: services with a good recorded release, its model. */
export interface RollbackTarget {
  /** Services whose previous image was part of a successful release. */
  readonly services: readonly string[];
  /** The recorded model of the newest good release that ran all of them, if any. */
  readonly model?: string;
  /** No release of the stage ever succeeded. */
  readonly first?: boolean;
}

/**
 * The services of a failed attempt that can go back to a release that succeeded. A release that
 * never succeeded (a failed first deploy left its containers) is no rollback target.
 */
export async function rollbackTarget(a: Attempt): Promise<RollbackTarget> {
  let releases: Release[];
  try {
    releases = await listReleases(a.deps, a.ctx.target, a.ctx.project);
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    // bookkeeping never stops a rollback: what ran before is put back, with the stage file's model
    a.deps.ui.warn(
      `cannot read the history (${(e as Error).message}): rolling back to what ran before`,
    );
    return { services: a.services.filter((s) => a.before[s]) };
  }
  const good = releases.filter((r) => r.result === "ok");
  const services = a.services.filter((s) =>
    a.before[s] && good.some((r) => r.services[s]?.id === a.before[s].id)
  );
  const match = good.find((r) =>
    r.model && services.every((s) => r.services[s]?.id === a.before[s].id)
  );
  return { services, first: good.length === 0, ...(match?.model ? { model: match.model } : {}) };
}

/**
 * Put back what ran before a failed attempt (the services of `to`), wait for it, and record the
 * rollback as `id`. Services new in the attempt are taken away.
 */
export async function autoRollback(a: Attempt, to: RollbackTarget, id: string): Promise<void> {
  const { deps, ctx, engine } = a;
  const prev = [...to.services];
  const gone = a.services.filter((s) => !a.before[s]);
  deps.ui.warn(`release failed: rolling back ${prev.join(", ")} to the previous release`);
  // an unchanged image was not tagged (lib/release/kept_images.ts): its ID names it, and it is
  // alive; where the engine pins images by digest, the recorded id is the reference itself
  const images = Object.fromEntries(prev.map((s) => {
    const same = a.before[s].id === a.fresh[s]?.id || !engine.keepsImages;
    return [s, same ? a.before[s].id : prevTag(ctx, s, a.before[s])];
  }));
  const rb = previousContext(a, to, images);
  const rec = (result: Release["result"], note: string) =>
    recordOrWarn(a, { kind: "auto-rollback", result, images: a.before, note, model: rb.model, id });
  try {
    if (gone.length) {
      for (const step of engine.removeSteps(rb, gone)) await runStep(deps, step);
    }
    const steps = engine.releaseSteps(rb, prev, [], { pull: false, only: true, wait: a.o.timeout });
    await engine.apply(deps, rb, steps, prev, a.o.timeout);
  } catch (e) {
    if (e instanceof InterruptedError) {
      await rec("interrupted", "interrupted during the automatic rollback");
      throw e;
    }
    await rec("failed", (e as Error).message);
    throw new CommandError(
      `the release failed, and so did the rollback: ${(e as Error).message}`,
      [],
      "",
      { hint: `look at fleet ps ${ctx.stage.name} and fleet logs ${ctx.stage.name}` },
    );
  }
  await rec("ok", "previous release restored");
}

/** The recorded model of the release that ran before, else the stage file's, with old images. */
function previousContext(
  a: Attempt,
  to: RollbackTarget,
  images: Record<string, string>,
): EngineContext {
  if (to.model) return a.engine.fromModel(a.ctx, to.model, images, a.deps.env);
  a.deps.ui.warn(
    "no recorded configuration of the previous release: using the stage file's, with the previous images",
  );
  const fromFile = a.engine.context(a.ctx.stage, a.deps.env, {
    images: { ...a.sel.images, ...images },
  });
  return { ...fromFile, target: a.ctx.target };
}

/**
 * The release `fleet rollback` returns to: `--to <id>`, else the newest good release that
 * differs from what runs now; with the image reference of each service (its kept tag).
 */
export async function pickRollback(
  deps: Deps,
  engine: Engine,
  ctx: EngineContext,
  names: readonly string[],
  to?: string,
): Promise<{ release: Release; images: Record<string, string>; ctx: EngineContext }> {
  const releases = await listReleases(deps, ctx.target, ctx.project);
  const rel = to ? named(releases, to) : await previousGood(deps, engine, ctx, releases, names);
  const images: Record<string, string> = {};
  for (const n of names.filter((n) => rel.services[n])) {
    // pinned by digest (Swarm): the registry keeps it, and the recorded id names it
    images[n] = engine.keepsImages ? await keptImage(deps, ctx, rel, n) : rel.services[n].id;
  }
  if (Object.keys(images).length === 0) {
    throw new FleetError(`release ${rel.id} has none of: ${names.join(", ")}`);
  }
  const next = rel.model
    ? engine.fromModel(ctx, rel.model, images, deps.env)
    : engine.context(ctx.stage, deps.env, { images });
  return { release: rel, images, ctx: { ...next, target: ctx.target } };
}

function named(releases: readonly Release[], id: string): Release {
  const rel = releases.find((r) => r.id === id);
  if (rel) return rel;
  const known = releases.slice(0, 8).map((r) => r.id).join(", ") || "none";
  throw new UsageError(`unknown release "${id}" (releases: ${known})`, {
    hint: "see fleet history <stage>",
  });
}

async function previousGood(
  deps: Deps,
  engine: Engine,
  ctx: EngineContext,
  releases: readonly Release[],
  names: readonly string[],
) {
  const now = await engine.running(deps, ctx, names);
  const rel = releases.find((r) =>
    r.result === "ok" && names.some((n) => r.services[n] && r.services[n].id !== now[n]?.id)
  );
  if (rel) return rel;
  throw new FleetError(
    `no earlier successful release of ${ctx.stage.name} differs from what runs now`,
    { hint: `fleet history ${ctx.stage.name}` },
  );
}

async function keptImage(
  deps: Deps,
  ctx: EngineContext,
  rel: Release,
  service: string,
): Promise<string> {
  const img = rel.services[service];
  const tagged = keepTag(img.ref, rel.id);
  const have = await inspectImages(deps, ctx.target, [tagged, img.id]);
  if (have.get(tagged)) return tagged;
  if (have.get(img.id)) return img.id;
  throw new FleetError(
    `the image of ${service} in release ${rel.id} is no longer on ${ctx.target.label}`,
  );
}
