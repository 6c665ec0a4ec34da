/** A fake Docker host behind a recording runner, for the release flow's script tests. */
import { parse } from "yaml";
import type { Step } from "../lib/core/run.ts";

/** Just enough of a Docker host: images, containers per service, a lock, release volumes. */
/** `docker volume inspect --format {{json .Labels}}` of the volumes (create argvs) named. */
export function volumeLabels(volumes: readonly string[][], names: readonly string[]): string {
  return volumes.filter((v) => names.includes(v.at(-1)!)).map((v) =>
    JSON.stringify(Object.fromEntries(
      v.filter((_, i) => v[i - 1] === "--label").map((l) => [
        l.slice(0, l.indexOf("=")),
        l.slice(l.indexOf("=") + 1),
      ]),
    ))
  ).join("\n");
}

export class FakeHost {
  images = new Map<string, string>(); // ref → id
  digests = new Map<string, string[]>(); // id → repo digests
  running = new Map<string, string>(); // service → image id
  unhealthy = new Set<string>(); // image ids whose containers never get healthy
  failPull = false;
  lock?: string;
  lockLabels?: Record<string, string>; // of the lock container fleet created
  lockId?: string; // its container ID
  locks = 0;
  rollout = false; // the rollout lock of a stage with several hosts (its own container)
  volumes: string[][] = [];
  constructor(readonly project: string) {}

  reply = (s: Step): { code?: number; stdout?: string; stderr?: string } => {
    const a = s.argv.slice(s.argv.indexOf("compose") >= 0 ? s.argv.indexOf("-") + 1 : 1);
    const compose = s.argv.includes("compose");
    if (s.argv[0] === "git") return { code: 1 };
    if (compose && a[0] === "pull") {
      return this.failPull ? { code: 1, stderr: "manifest unknown" } : {};
    }
    if (compose && a[0] === "up") {
      const model = parse(s.input!) as { services: Record<string, { image: string }> };
      const started = a.filter((x) => model.services[x]);
      for (const svc of started) this.running.set(svc, this.images.get(model.services[svc].image)!);
      const sick = started.find((svc) => this.unhealthy.has(this.running.get(svc)!));
      if (a.includes("--wait") && sick) {
        return { code: 1, stderr: `container app-dev-${sick}-1 is unhealthy` };
      }
      return {};
    }
    if (compose && a[0] === "rm") {
      for (const svc of a.slice(3)) this.running.delete(svc);
      return {};
    }
    if (compose) return {};
    if (a[0] === "image" && a[1] === "inspect") {
      const ids = a.slice(4).map((r) =>
        this.images.get(r) ?? [...this.images.values()].find((i) => i === r)
      );
      const found = ids.filter(Boolean)
        .map((id) => `${id} ${JSON.stringify(this.digests.get(id!) ?? [])}`).join("\n");
      return ids.every(Boolean)
        ? { stdout: found + "\n" }
        : { code: 1, stdout: found, stderr: "No such image" };
    }
    if (a[0] === "tag") return (this.images.set(a[2], a[1]), {});
    if (a[0] === "ps") return { stdout: this.ps() };
    if (a[0] === "inspect" && a.at(-1)!.startsWith("fleet-lock")) {
      return this.lock
        ? {
          stdout: JSON.stringify(
            this.lockLabels ?? { "dev.fleet.lock.holder": this.lock, "dev.fleet.lock.since": "t0" },
          ),
        }
        : { code: 1, stderr: "Error: No such object: fleet-lock" };
    }
    if (a[0] === "inspect") return { stdout: this.states(a.slice(5)) };
    if (a[0] === "create" && a[2]?.endsWith(".rollout")) {
      if (this.rollout) return { code: 1, stderr: "Conflict" };
      return (this.rollout = true, { stdout: "rollout-lock\n" });
    }
    if (a[0] === "rm" && a.at(-1) === "rollout-lock") return (this.rollout = false, {});
    if (a[0] === "create") {
      if (this.lock) return { code: 1, stderr: "Conflict" };
      this.lock = a[a.indexOf("--label") + 3].split("=")[1];
      const labels = a.filter((_, i) => a[i - 1] === "--label");
      this.lockLabels = Object.fromEntries(
        labels.map((l) => [l.split("=", 1)[0], l.slice(l.indexOf("=") + 1)]),
      );
      this.lockId = `lock${++this.locks}`;
      return { stdout: `${this.lockId}\n` };
    }
    // by name (fleet unlock), or by the ID of the lock container that exists now
    if (a[0] === "rm" && (a.at(-1)!.startsWith("fleet-lock") || a.at(-1) === this.lockId)) {
      return (this.lock = this.lockLabels = this.lockId = undefined, {});
    }
    if (a[0] === "rm" && a.at(-1)!.startsWith("lock")) {
      return { stderr: `Error response from daemon: No such container: ${a.at(-1)}` };
    }
    if (a[0] === "volume" && a[1] === "create") return (this.volumes.push(a), {});
    if (a[0] === "volume" && a[1] === "ls") {
      return { stdout: this.volumes.map((v) => v.at(-1)).join("\n") };
    }
    if (a[0] === "volume" && a[1] === "inspect") {
      return { stdout: volumeLabels(this.volumes, a.slice(4)) };
    }
    return {};
  };

  ps(): string {
    return [...this.running].map(([svc, id]) =>
      JSON.stringify({
        ID: `c-${svc}`,
        Names: `${this.project}-${svc}-1`,
        Image: svc === "db" ? "postgres:16" : "reg.test/app-web-dev:latest",
        State: "running",
        Labels: `com.docker.compose.service=${svc},com.docker.compose.image=${id}`,
      })
    ).join("\n");
  }

  states(ids: string[]): string {
    return ids.map((cid) => {
      const svc = cid.slice(2);
      const health = this.unhealthy.has(this.running.get(svc)!) ? "unhealthy" : "healthy";
      return JSON.stringify({
        Id: cid,
        Config: { Labels: { "com.docker.compose.service": svc } },
        State: { Status: "running", Health: { Status: health } },
      });
    }).join("\n");
  }

  /** A successful earlier release of these images, as fleet records it. */
  seed(id: string, services: Record<string, string>) {
    const rec = Object.fromEntries(
      Object.entries(services).map(([s, i]) => [s, { ref: `${s}-ref`, id: i }]),
    );
    this.seedRecord(id, JSON.stringify(rec));
  }

  /** An earlier record whose `services` label is `services` as given (damaged, or not). */
  seedRecord(id: string, services: string) {
    const labels = { id, project: this.project, result: "ok", services };
    this.seeded.push([
      "volume",
      "create",
      ...Object.entries(labels).flatMap(([k, v]) => ["--label", `dev.fleet.release.${k}=${v}`]),
      `fleet-release-${this.project}-${id}`,
    ]);
    this.volumes.push(this.seeded.at(-1)!);
  }
  seeded: string[][] = [];

  results = () =>
    this.volumes.filter((v) => !this.seeded.includes(v)).map((v) =>
      v.find((x) => x.startsWith("dev.fleet.release.result="))!.split("=")[1]
    );
}
