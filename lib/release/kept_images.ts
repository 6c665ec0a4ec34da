/**
 * The images fleet keeps on a host: what ran before a release (so a rollback finds it even
 * after the pull moved its tag, the rm, and a prune), and each release's images
 * (`<repo>:fleet-<release>`, for `fleet rollback`), the newest KEEP_RELEASES per repository.
 */
import { repositoryOf } from "../docker/image_ref.ts";
import { dockerStep } from "../docker/target.ts";
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
  await Promise.all(
    changed(a, Object.keys(a.before)).map((s) => [s, a.before[s]] as const).map(([s, img]) =>
      a.deps.runner.run(
        dockerStep(
          a.ctx.target,
          `keep previous ${s}`,
          ["tag", img.id, prevTag(a.ctx, s, img)],
          "tag",
        ),
      )
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
    s,
    id: a.fresh[s].id,
    tag: keepTag(a.fresh[s].ref, a.meta.id),
  }));
  await Promise.all(
    tags.map(({ s, id, tag }) =>
      a.deps.runner.run(dockerStep(a.ctx.target, `keep ${s}`, ["tag", id, tag], "tag"), {
        check: false,
      })
    ),
  );
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
  const r = await a.deps.runner.run(
    dockerStep(a.ctx.target, `list kept images of ${repo}`, [
      "image",
      "ls",
      "--format",
      "{{.Tag}}",
      repo,
    ]),
    { check: false },
  );
  const stale = staleTags(r.stdout.split("\n").map((t) => t.trim()));
  if (stale.length === 0) return;
  const refs = stale.map((t) => `${repo}:${t}`);
  await a.deps.runner.run(
    dockerStep(a.ctx.target, "drop old kept images", ["rmi", ...refs], "tag"),
    {
      check: false,
    },
  );
}
