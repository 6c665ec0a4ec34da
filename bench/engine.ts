/**
 * Cleaning up after the bench: engines keep state, so each scenario removes the containers,
 * images and build cache it made, found by its unique name, and nothing else.
 */
import { exec } from "./lib.ts";

/** Best-effort cleanup: run each argv, ignore failures (the thing may already be gone). */
export async function cleanup(...argvs: readonly (readonly string[])[]): Promise<void> {
  for (const argv of argvs) await exec(argv, { check: false }).catch(() => {});
}

/**
 * Remove every image (all its tags, by ID) that matches a `docker images` filter, e.g.
 * `reference=repo*` or `label=fleet-bench=<name>` (which also finds superseded, untagged builds).
 */
export async function removeImages(filter: string): Promise<void> {
  const ids = (await exec(["docker", "images", "-a", "-q", "--filter", filter])).stdout
    .split("\n").filter(Boolean);
  if (ids.length) await cleanup(["docker", "image", "rm", "--force", ...new Set(ids)]);
}

/**
 * Remove the build cache records made by steps whose command contains `marker` (and only
 * those: other people's cache on the same engine stays).
 */
export async function pruneBuildCache(marker: string): Promise<void> {
  const du = await exec(["docker", "buildx", "du", "--verbose"], { check: false });
  const ids: string[] = [];
  let id = "";
  for (const line of du.stdout.split("\n")) {
    if (line.startsWith("ID:")) id = line.slice(3).trim();
    if (line.startsWith("Description:") && line.includes(marker) && id) ids.push(id);
  }
  for (const i of ids) {
    await cleanup(["docker", "buildx", "prune", "--force", "--filter", `id=${i}`]);
  }
}
