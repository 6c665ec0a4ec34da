/**
 * Questions fleet asks a stage's Docker host: which images it has (engine_client.ts), which
 * containers a Compose project runs, and their states. Parsing is pure and exported.
 */
import type { Deps } from "../core/deps.ts";
import type { Container, ImageInfo } from "./engine_client.ts";
import { engineOf } from "./engine_of.ts";
import { repositoryOf } from "./image_ref.ts";
import { dockerStep, type Target } from "./target.ts";

export type { Container, ImageInfo } from "./engine_client.ts";

/** An image a service runs or will run: the reference, its image ID and its repo digest. */
export interface ImageId {
  readonly ref: string;
  readonly id: string;
  /** The manifest digest the image has in the reference's repository (pulled or pushed). */
  readonly digest?: string;
}

/** Images by service name. */
export type Images = Record<string, ImageId>;

/** The containers of a Compose project on the target (all states). */
export function listContainers(deps: Deps, target: Target, project: string): Promise<Container[]> {
  return engineOf(deps, target).containers(`com.docker.compose.project=${project}`);
}

/**
 * The digest of a reference's repository among an image's repo digests (none for an image that
 * was never pushed or pulled by digest).
 * @example repoDigest(["reg/app@sha256:ab"], "reg/app:1") // "sha256:ab"
 */
export function repoDigest(repoDigests: readonly string[], ref: string): string | undefined {
  const repo = repositoryOf(ref);
  const hit = repoDigests.find((d) => d.slice(0, d.lastIndexOf("@")) === repo);
  return hit?.slice(hit.lastIndexOf("@") + 1);
}

/** ID and repo digests of each reference present on the target; missing ones map to undefined. */
export function inspectImages(
  deps: Deps,
  target: Target,
  refs: readonly string[],
): Promise<Map<string, ImageInfo | undefined>> {
  return engineOf(deps, target).images(refs);
}

/**
 * The images with their repo digests added (one inspect), each looked up in the repository of
 * `repoOf(service)` (what ran before a release: its ID, the repository it was deployed from).
 */
export async function withDigests(
  deps: Deps,
  target: Target,
  images: Images,
  repoOf: (service: string) => string,
): Promise<Images> {
  const services = Object.keys(images);
  if (services.length === 0) return images;
  const infos = await inspectImages(deps, target, services.map((s) => images[s].id));
  return Object.fromEntries(services.map((s) => {
    const digest = repoDigest(infos.get(images[s].id)?.repoDigests ?? [], repoOf(s));
    return [s, digest ? { ...images[s], digest } : images[s]];
  }));
}

/** The state of a container, as the health wait needs it. */
export interface ContainerState {
  readonly id: string;
  readonly service: string;
  readonly status: string; // created, running, restarting, exited, dead
  readonly health: string; // "" (no healthcheck), starting, healthy, unhealthy
  readonly exitCode: number;
  readonly restarts: number;
}

/** Parse `docker inspect --format '{{json .}}'` output lines into states. */
export function parseStates(stdout: string): ContainerState[] {
  return stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => {
    const j = JSON.parse(l);
    return {
      id: j.Id,
      service: j.Config?.Labels?.["com.docker.compose.service"] ?? j.Name,
      status: j.State?.Status ?? "",
      health: j.State?.Health?.Status ?? "",
      exitCode: j.State?.ExitCode ?? 0,
      restarts: j.RestartCount ?? 0,
    };
  });
}

/** States of the given containers (one `docker inspect`). */
export async function containerStates(
  deps: Deps,
  target: Target,
  ids: readonly string[],
): Promise<ContainerState[]> {
  if (ids.length === 0) return [];
  const r = await deps.runner.run(
    dockerStep(target, "inspect containers", [
      "inspect",
      "--type",
      "container",
      "--format",
      "{{json .}}",
      ...ids,
    ]),
    { check: false },
  );
  return parseStates(r.stdout);
}
