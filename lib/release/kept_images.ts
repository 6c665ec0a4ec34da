/**
 * The images fleet keeps on a host: what ran before a release (so a rollback finds it even
 * after the pull moved its tag, the rm, and a prune), and each release's images
 * (`<repo>:fleet-<release>`, for `fleet rollback`), the newest KEEP_RELEASES per repository.
 */
import { repositoryOf } from "../docker/image_ref.ts";
import { engineOf } from "../docker/engine_of.ts";
import type { EngineContext } from "../engine/engine.ts";
import { keepTag, type ReleaseImage } from "./history.ts";
import type { Attempt } from "./types.ts";

/** The tag that keeps what a service ran before a release. */
export function prevTag(ctx: EngineContext, service: string, img: ReleaseImage): string {
  const ref = img.ref.startsWith("sha256:") ? `fleet-kept/${ctx.project}-${service}` : img.ref;
  return keepTag(ref, `prev-${ctx.project}-${service}`);
}

/**
 * Tag what runs now, so the previous release survives the pull, the rm and a prune. Not where
 * the running image is the one being deployed: the new container keeps that one alive.
 */
export async function protect(a: Attempt) {
  const engine = engineOf(a.deps, a.ctx.target);
  await Promise.all(
    changed(a, Object.keys(a.before)).map((s) =>
      engine.tag(a.before[s].id, prevTag(a.ctx, s, a.before[s]))
    ),
  );
}

/** The services whose image differs from what ran before (or that ran nothing). */
export function changed(
  a: Pick<Attempt, "before" | "fresh">,
  services: readonly string[],
): string[] {
  return services.filter((s) => a.before[s]?.id !== a.fresh[s]?.id);
}

/**
 * Tag the release's new images so `fleet rollback` can find them later, and drop the oldest
 * tags. An unchanged image is kept already, by the tag of the release that brought it.
 */
export async function keep(a: Attempt) {
  const tags = changed(a, a.services).map((s) => ({
    id: a.fresh[s].id,
    tag: keepTag(a.fresh[s].ref, a.meta.id),
  }));
  const engine = engineOf(a.deps, a.ctx.target);
  // a tag that fails loses only `fleet rollback` to that release
  await Promise.all(tags.map(({ id, tag }) => engine.tag(id, tag).catch(() => {})));
  const repos = new Set(tags.map(({ tag }) => repositoryOf(tag)));
  await Promise.all([...repos].map((repo) => retain(a, repo)));
}

/** Releases whose images stay on the host for `fleet rollback` (per repository). */
export const KEEP_RELEASES = 5;

/**
 * The kept tags to drop from a repository's tag list: release tags (`fleet-r…`) beyond the
 * newest `keep`. An image loses only that name; Docker removes it once nothing else uses it.
 * @example staleTags(["latest", "fleet-r2", "fleet-r1", "fleet-r3"], 2) // ["fleet-r1"]
 */
export function staleTags(tags: readonly string[], keep = KEEP_RELEASES): string[] {
  return tags.filter((t) => /^fleet-r\d{8}T\d{6}Z-[0-9a-z]+$/.test(t)).sort().reverse().slice(keep);
}

async function retain(a: Attempt, repo: string) {
  const engine = engineOf(a.deps, a.ctx.target);
  const stale = staleTags(await engine.tags(repo));
  if (stale.length) await engine.untag(stale.map((t) => `${repo}:${t}`));
}
