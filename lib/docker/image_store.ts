/**
 * Which image store the build engine uses: the containerd image store holds a manifest list
 * (so buildx builds, loads and pushes several platforms in one call); the classic graph-driver
 * store of Docker Engine 20.10–26 holds one platform per image. One cheap probe, asked only
 * when a build wants several platforms.
 */
import type { Step } from "../core/run.ts";

/** The two kinds of image store. */
export type ImageStore = "containerd" | "classic";

/**
 * The probe: the storage driver's status, which names the containerd snapshotter when the
 * containerd image store is on (`[["driver-type","io.containerd.snapshotter.v1"]]`).
 * @example imageStoreStep().argv // ["docker", "info", "--format", "{{json .DriverStatus}}"]
 */
export function imageStoreStep(env?: Readonly<Record<string, string>>): Step {
  return {
    kind: "query",
    title: "ask the engine for its image store",
    argv: ["docker", "info", "--format", "{{json .DriverStatus}}"],
    ...(env ? { env } : {}),
  };
}

/**
 * The image store from the probe's output.
 * @example parseImageStore('[["driver-type","io.containerd.snapshotter.v1"]]') // "containerd"
 */
export function parseImageStore(stdout: string): ImageStore {
  return stdout.includes("io.containerd.snapshotter") ? "containerd" : "classic";
}
