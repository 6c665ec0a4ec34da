/**
 * The images of a Compose release, after the pull and before the lock: the image ID (and repo
 * digest) of each reference on the host, a missing one saying what to do, and their platform
 * checked against the host's (asked while the pull runs), so a mismatch changes nothing.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import { checkImagePlatforms, hostPlatform } from "../docker/platform_check.ts";
import { type Images, inspectImages, repoDigest } from "../docker/queries.ts";
import type { EngineContext, ImageSelection } from "./engine.ts";

/** Image IDs of the selection on the host, their platform checked; the context is unchanged. */
export async function resolveOnHost(
  deps: Deps,
  ctx: EngineContext,
  sel: ImageSelection,
  pulled: Promise<void> = Promise.resolve(),
): Promise<{ images: Images; ctx: EngineContext }> {
  const host = hostPlatform(deps, ctx.target); // asked while the pull runs
  host.catch(() => {});
  await pulled;
  const infos = await inspectImages(deps, ctx.target, sel.services.map((s) => sel.images[s]));
  const out: Images = {};
  for (const s of sel.services) {
    const ref = sel.images[s];
    const info = infos.get(ref);
    if (!info) {
      const only = sel.services.length > 1 ? ` -n ${s}` : "";
      throw new FleetError(`image ${ref} of service ${s} is not on ${ctx.target.label}`, {
        hint: sel.unpullable.includes(s)
          ? `build it first: fleet build ${ctx.stage.name}${only}`
          : "push it to the registry (fleet build --push), or deploy without --no-pull",
      });
    }
    const digest = repoDigest(info.repoDigests, ref);
    out[s] = { ref, id: info.id, ...(digest ? { digest } : {}) };
  }
  await checkImagePlatforms(deps, ctx.target, out, host);
  return { images: out, ctx };
}
