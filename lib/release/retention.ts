/**
 * Bounded history (SPEC §11): after a release is recorded, records beyond the stage's
 * `history: { keep }` go, with their kept image tags and any model kept aside.
 */
import type { Deps } from "../core/deps.ts";
import { engineOf } from "../docker/engine_of.ts";
import type { EngineContext } from "../engine/engine.ts";
import { isUnreadable, keepTag, readHistory, type Release } from "./history.ts";

/**
 * The records beyond the newest `keep` (releases are listed newest first).
 * @example excess([r3, r2, r1], 2) // [r1]
 */
export function excess<R extends { readonly id: string }>(
  releases: readonly R[],
  keep: number,
): R[] {
  return releases.slice(Math.max(0, keep));
}

/**
 * Drop the records beyond `keep` on the host, their kept tags and aside models (best effort).
 * `writing` is a record being written at the same time: it counts as one of the kept.
 */
export async function pruneHistory(
  deps: Deps,
  ctx: EngineContext,
  writing?: string,
): Promise<number> {
  const h = await readHistory(deps, ctx.target, ctx.project, { models: false });
  // an unreadable record counts, and goes in its turn (it has no kept tags to find)
  const listed = [...h.releases, ...h.unreadable].filter((r) => r.id !== writing)
    .sort((a, b) => b.id.localeCompare(a.id));
  const gone = excess(listed, writing ? ctx.stage.keep - 1 : ctx.stage.keep);
  const old = gone.filter((r): r is Release => !isUnreadable(r));
  if (gone.length === 0) return 0;
  const tags = [
    ...new Set(old.flatMap((r) => Object.values(r.services).map((i) => keepTag(i.ref, r.id)))),
  ];
  const aside = old.flatMap((r) => (r.modelIn ? [r.modelIn] : []));
  const engine = engineOf(deps, ctx.target);
  await Promise.all([
    engine.removeVolumes(gone.map((r) => `fleet-release-${r.project}-${r.id}`)),
    engine.remove(aside),
  ]);
  // a tag is only a name: the image goes when nothing else (a container, a tag) uses it
  await engine.untag(tags);
  return gone.length;
}
