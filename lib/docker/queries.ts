/**
 * Questions fleet asks a stage's Docker host (through the runner): which images it has,
 * which containers a Compose project runs, and their states. Parsing is pure and exported.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { type RunResult, tail } from "../core/run.ts";
import { repositoryOf } from "./image_ref.ts";
import { dockerStep, type Target } from "./target.ts";

/** An image a service runs or will run: the reference, its image ID and its repo digest. */
export interface ImageId {
  readonly ref: string;
  readonly id: string;
  /** The manifest digest the image has in the reference's repository (pulled or pushed). */
  readonly digest?: string;
}

/** What `docker image inspect` says of an image: its ID and its `repo@sha256:…` digests. */
export interface ImageInfo {
  readonly id: string;
  readonly repoDigests: readonly string[];
}

/** Images by service name. */
export type Images = Record<string, ImageId>;

/** A container of a Compose project, as `docker ps` reports it. */
export interface Container {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly imageRef: string;
  readonly imageId: string;
  readonly state: string;
}

/** Parse `docker ps --format '{{json .}}'` lines (Compose labels carry service and image ID). */
export function parseContainers(stdout: string): Container[] {
  return stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => {
    const j = JSON.parse(l) as Record<string, string>;
    const labels = Object.fromEntries(
      String(j.Labels ?? "").split(",").map((
        kv,
      ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    return {
      id: j.ID,
      name: j.Names,
      service: labels["com.docker.compose.service"] ?? "",
      imageRef: j.Image,
      imageId: labels["com.docker.compose.image"] ?? "",
      state: j.State,
    };
  });
}

/** The containers of a Compose project on the target (all states). */
export async function listContainers(
  deps: Deps,
  target: Target,
  project: string,
): Promise<Container[]> {
  const r = await deps.runner.run(
    dockerStep(target, "list containers", [
      "ps",
      "--all",
      "--no-trunc",
      "--filter",
      `label=com.docker.compose.project=${project}`,
      "--format",
      "{{json .}}",
    ]),
    { uninterruptible: true },
  );
  return parseContainers(r.stdout);
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

/** Parse `docker image inspect --format '{{.Id}} {{json .RepoDigests}}'` lines. */
export function parseImageInfos(stdout: string): ImageInfo[] {
  return stdout.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const sp = l.indexOf(" ");
    if (sp < 0) return { id: l, repoDigests: [] };
    let digests: unknown = [];
    try {
      digests = JSON.parse(l.slice(sp + 1));
    } catch { /* no digests */ }
    return { id: l.slice(0, sp), repoDigests: Array.isArray(digests) ? digests.map(String) : [] };
  });
}

/** ID and repo digests of each reference present on the target; missing ones map to undefined. */
export async function inspectImages(
  deps: Deps,
  target: Target,
  refs: readonly string[],
): Promise<Map<string, ImageInfo | undefined>> {
  const unique = [...new Set(refs)];
  const inspect = (some: string[]) =>
    deps.runner.run(
      dockerStep(target, `inspect image ${some.join(" ")}`, [
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoDigests}}",
        ...some,
      ]),
      { check: false },
    );
  // one call for all; only when one is missing does it take one call each
  const all = await inspect(unique);
  const infos = parseImageInfos(all.stdout);
  if (all.code === 0 && infos.length === unique.length) {
    return new Map(unique.map((r, i) => [r, infos[i]]));
  }
  unreachable(all, target, "image inspect");
  const out = new Map<string, ImageInfo | undefined>();
  for (const ref of unique) {
    const r = await inspect([ref]);
    out.set(ref, r.code === 0 ? parseImageInfos(r.stdout)[0] : undefined);
  }
  return out;
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

/**
 * A failed query whose stderr says something other than "no such …" (the engine cannot be
 * reached, permission denied): a CommandError with that cause, not a "missing" answer.
 */
export function unreachable(r: RunResult, target: Target, what: string): void {
  if (r.code === 0) return;
  const other = r.stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l && !/no such (image|object|container)/i.test(l)
  );
  if (other.length === 0) return;
  throw new CommandError(
    `${what} on ${target.label} failed`,
    [...target.dockerArgv, ...what.split(" ")],
    tail(other.join("\n")),
    { hint: "is the stage's Docker host reachable? try: fleet doctor" },
  );
}
