/**
 * The bookkeeping questions fleet asks a stage's engine (image IDs and platforms, the
 * containers of a project, the deploy lock, release records, kept tags) as typed methods. Two
 * implementations answer them: the docker CLI through the runner (engine_cli.ts: every engine,
 * the formats and their parsing live there) and the engine's API over its unix socket where the
 * engine is the local one (engine_api.ts: no process, 1–3 ms a question). engine_of.ts picks one.
 * tests/e2e/engine_api_test.ts checks that both give the same answers on engines 20.10 and 26.
 */

/** Docker labels, key to value. */
export type Labels = Readonly<Record<string, string>>;

/** What the engine says of an image: its ID and its `repo@sha256:…` digests. */
export interface ImageInfo {
  readonly id: string;
  readonly repoDigests: readonly string[];
}

/** A container of a Compose project, as `docker ps` reports it. */
export interface Container {
  readonly id: string;
  readonly name: string;
  readonly service: string;
  readonly imageRef: string;
  readonly imageId: string;
  readonly state: string;
}

/** What the engine says of one container by name: its state, image and kernel settings. */
export interface ContainerInfo {
  /** `running`, `exited`, `created`, … */
  readonly state: string;
  /** The image as the container was made with it (`Config.Image`). */
  readonly image: string;
  /** The namespaced kernel settings it was started with (`--sysctl`); {} when none. */
  readonly sysctls: Readonly<Record<string, string>>;
}

/**
 * A container's inspect document (the API's `GET /containers/{name}/json`, the CLI's
 * `{{json .}}`: the same document) as a ContainerInfo.
 */
export function containerInfo(doc: unknown): ContainerInfo {
  const d = doc as {
    State?: { Status?: string };
    Config?: { Image?: string };
    HostConfig?: { Sysctls?: Record<string, string> | null };
  };
  return {
    state: String(d?.State?.Status ?? ""),
    image: String(d?.Config?.Image ?? ""),
    sysctls: { ...d?.HostConfig?.Sysctls },
  };
}

/** A never-started container made (its ID), or the engine's refusal (a name in use: "Conflict…"). */
export type Created = { readonly id: string } | { readonly refused: string };

/** One engine's answers to fleet's bookkeeping questions. */
export interface EngineClient {
  /** The engine's `os/arch`; undefined when it does not say. */
  hostPlatform(): Promise<string | undefined>;
  /**
   * ID and repo digests of each reference (undefined: no such image); throws a CommandError when
   * the engine fails otherwise (cannot be reached).
   */
  images(refs: readonly string[]): Promise<Map<string, ImageInfo | undefined>>;
  /** `os/arch[/variant]` of each image, in order; undefined when one is missing or not read. */
  imagePlatforms(refs: readonly string[]): Promise<string[] | undefined>;
  /** The containers (all states) that carry the label `key=value`. */
  containers(label: string): Promise<Container[]>;
  /** One container by name; undefined when there is none or the engine does not answer. */
  container(name: string): Promise<ContainerInfo | undefined>;
  /**
   * The labels of the named containers, by name (a missing one is left out); throws a
   * CommandError when the engine fails otherwise.
   */
  containerLabels(names: readonly string[]): Promise<Map<string, Labels>>;
  /**
   * Create a never-started container (no network, an entrypoint that is never run) that holds
   * labels of any size; `afterInterrupt`: it is made even after Ctrl-C (a record being written).
   */
  createHolder(
    name: string,
    labels: Labels,
    image: string,
    entrypoint: string,
    opts?: { readonly afterInterrupt?: boolean },
  ): Promise<Created>;
  /** Remove containers, running or not; one that is gone already is fine. Never throws. */
  remove(names: readonly string[]): Promise<void>;
  /** Create a volume with labels (a release record); throws a CommandError on failure. */
  createVolume(name: string, labels: Labels): Promise<void>;
  /** The names of the volumes that carry the label `key=value`, sorted. */
  volumes(label: string): Promise<string[]>;
  /** The labels of the named volumes (each must exist). */
  volumeLabels(names: readonly string[]): Promise<Labels[]>;
  /** Remove volumes; one that is gone already is fine. Never throws. */
  removeVolumes(names: readonly string[]): Promise<void>;
  /** Tag an image (`src`: ID or reference) as `to` (`repo:tag`); throws a CommandError on failure. */
  tag(src: string, to: string): Promise<void>;
  /** The tags a repository has on the engine, sorted ([] when none or not read). */
  tags(repo: string): Promise<string[]>;
  /** Remove image references (an image goes once nothing uses it). Never throws. */
  untag(refs: readonly string[]): Promise<void>;
}
