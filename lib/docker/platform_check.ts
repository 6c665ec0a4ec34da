/**
 * Does each image a release deploys run on the host's platform? An image built for arm64 alone
 * pulls onto an amd64 host without complaint (Docker 20.10) and then fails to start, or runs
 * slowly under emulation where QEMU is registered. The release flow asks after the pull and
 * before anything stops, so a mismatch changes nothing on the host.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import { normalizePlatform } from "../config/platforms.ts";
import { engineOf } from "./engine_of.ts";
import type { Target } from "./target.ts";

/** Ask the host for its platform (`os/arch`): start it early, it needs no image. */
export function hostPlatform(deps: Deps, target: Target): Promise<string | undefined> {
  return engineOf(deps, target).hostPlatform();
}

/** One image on the host and the platform `docker image inspect` reports for it. */
export interface ImagePlatform {
  readonly service: string;
  readonly ref: string;
  /** os/arch[/variant] */
  readonly platform: string;
}

/**
 * The images whose os/arch differ from the engine's (the variant is not compared: an engine
 * reports none); [] when all match.
 * @example platformMismatch([{ service: "web", ref: "r/web:1", platform: "linux/arm64" }], "linux/amd64") // that one
 */
export function platformMismatch(
  images: readonly ImagePlatform[],
  engine: string,
): ImagePlatform[] {
  const osArch = (p: string) => normalizePlatform(p).split("/").slice(0, 2).join("/");
  return images.filter((i) => osArch(i.platform) !== osArch(engine));
}

/**
 * Ask the host for its platform and each image's (by service: its reference, and its image ID
 * when known); throws (exit 1) naming every image that does not match. Two read-only questions,
 * asked at once; an answer it cannot read checks nothing.
 */
export async function checkImagePlatforms(
  deps: Deps,
  target: Target,
  images: Readonly<Record<string, { readonly ref: string; readonly id?: string }>>,
  asked?: Promise<string | undefined>,
): Promise<void> {
  const list = Object.entries(images).map(([service, i]) => ({ service, ref: i.ref, id: i.id }));
  if (list.length === 0) return;
  const [host, platforms] = await Promise.all([
    asked ?? hostPlatform(deps, target),
    engineOf(deps, target).imagePlatforms(list.map((i) => i.id ?? i.ref)), // by ID: the image pulled
  ]);
  if (!host || !platforms) return;
  const found = list.map((i, n) => ({ service: i.service, ref: i.ref, platform: platforms[n] }));
  const wrong = platformMismatch(found, host);
  if (wrong.length === 0) return;
  const lines = wrong.map((i) => `${i.service}: ${i.ref} is ${normalizePlatform(i.platform)}`);
  const both = [...new Set([host, ...wrong.map((i) => normalizePlatform(i.platform))])];
  throw new FleetError(
    `${wrong.length === 1 ? "an image does" : "images do"} not match the platform of ` +
      `${target.label} (${host}); nothing was changed:\n  ${lines.join("\n  ")}`,
    {
      hint: `build for ${host} (fleet build <stage> --push --platform ${host}), or push a ` +
        `multi-platform list that includes it (--platform ${both.join(",")})`,
    },
  );
}
