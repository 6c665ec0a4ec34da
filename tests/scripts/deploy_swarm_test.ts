/** Tier 3: a Swarm stage's deploy and rollback against a fake manager behind a recording runner. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { deploy, rollback } from "../../scripts/deploy.ts";
import type { Step } from "../../lib/core/run.ts";
import { CommandError, UsageError } from "../../lib/core/errors.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { volumeLabels } from "../fake_host.ts";

type Svc = { image: string; prev?: string; update?: string; message?: string };

/** Just enough of a Swarm manager and a registry: services, tasks, a lock, release volumes. */
class FakeManager {
  digests = new Map<string, string>(); // ref → digest in the registry
  services = new Map<string, Svc>(); // Swarm name → spec
  failing = new Set<string>(); // images whose tasks never get healthy: Swarm rolls back
  pending = new Set<string>(); // images whose tasks never get placed
  deploys: string[] = []; // the stack files deployed
  networks = new Set<string>();
  lock?: string;
  lockImage?: string;
  volumes: string[][] = [];
  constructor(readonly stack: string) {}

  reply = (s: Step): { code?: number; stdout?: string; stderr?: string } => {
    const a = s.argv.slice(1);
    const cmd = a.slice(0, 2).join(" ");
    if (s.argv[0] === "git") return { code: 1 };
    if (cmd === "node ls") return { stdout: "n1\n" };
    if (cmd === "node inspect") return { stdout: "linux/x86_64 ready active\n" };
    if (cmd === "buildx imagetools") {
      const d = this.digests.get(a.at(-1)!);
      return d
        ? {
          stdout: JSON.stringify({
            manifest: { digest: d },
            image: { os: "linux", architecture: "amd64" },
          }),
        }
        : { code: 1, stderr: "not found" };
    }
    if (cmd === "network inspect") return this.networks.has(a.at(-1)!) ? {} : { code: 1 };
    if (cmd === "network create") return (this.networks.add(a.at(-1)!), {});
    if (cmd === "stack deploy") return this.deploy(s.input!);
    if (cmd === "service inspect") {
      return {
        stdout: a.slice(4).filter((n) => this.services.has(n)).map((n) => this.json(n)).join("\n"),
      };
    }
    if (cmd === "service ps") return { stdout: this.tasks(a.slice(4)) };
    if (a[0] === "create" && a[2]?.startsWith("fleet-lock")) {
      if (this.lock) return { code: 1, stderr: "Conflict" };
      this.lock = a[a.indexOf("--label") + 3].split("=")[1];
      this.lockImage = a.at(-1);
      return {};
    }
    if (a[0] === "inspect" && a.at(-1)!.startsWith("fleet-lock")) {
      return this.lock
        ? { stdout: JSON.stringify({ "dev.fleet.lock.holder": this.lock }) }
        : { code: 1, stderr: "Error: No such object" };
    }
    if (a[0] === "rm" && a.at(-1)!.startsWith("fleet-lock")) return (this.lock = undefined, {});
    if (cmd === "volume create") return (this.volumes.push(a), {});
    if (cmd === "volume ls") return { stdout: this.volumes.map((v) => v.at(-1)).join("\n") };
    if (cmd === "volume inspect") {
      return { stdout: volumeLabels(this.volumes, a) };
    }
    return {};
  };

  deploy(input: string) {
    this.deploys.push(input);
    const m = parse(input) as { services: Record<string, { image: string }> };
    for (const [name, svc] of Object.entries(m.services)) {
      const key = `${this.stack}_${name}`;
      const was = this.services.get(key);
      if (this.failing.has(svc.image) && was) {
        const message =
          "update rolled back due to failure or early termination of task taskfailing000000000000";
        this.services.set(key, {
          image: was.image,
          prev: svc.image,
          update: "rollback_completed",
          message,
        });
      } else {
        this.services.set(key, {
          image: svc.image,
          prev: was?.image,
          update: was ? "completed" : undefined,
        });
      }
    }
    return {};
  }

  json(name: string) {
    const s = this.services.get(name)!;
    const spec = (image: string) => ({
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: image } },
      Mode: { Replicated: { Replicas: 1 } },
    });
    return JSON.stringify({
      Spec: spec(s.image),
      ...(s.prev ? { PreviousSpec: spec(s.prev) } : {}),
      ...(s.update ? { UpdateStatus: { State: s.update, Message: s.message ?? "" } } : {}),
    });
  }

  tasks(names: string[]) {
    return names.filter((n) => this.services.has(n)).flatMap((n) => {
      const s = this.services.get(n)!;
      const failed = s.update === "rollback_completed"
        ? [{
          ID: "taskfailing000000000000",
          Name: `${n}.1`,
          Image: s.prev,
          Node: "n2",
          DesiredState: "Shutdown",
          CurrentState: "Failed 1 second ago",
          Error: "dockerexec: unhealthy container",
        }]
        : [];
      const state = this.pending.has(s.image) ? "Pending 1 second ago" : "Running 1 second ago";
      return [{
        ID: `t-${n}`,
        Name: `${n}.1`,
        Image: s.image,
        Node: "n1",
        DesiredState: "Running",
        CurrentState: state,
        Error: "",
      }, ...failed];
    }).map((t) => JSON.stringify(t)).join("\n");
  }

  results = () =>
    this.volumes.map((v) =>
      v.find((x) => x.startsWith("dev.fleet.release.result="))!.split("=")[1]
    );
}

const files = {
  "stages/live.yaml": `project: app
orchestrator: swarm
registry: reg.test
services:
  web: { build: {}, replicas: 1, healthcheck: { test: ["CMD", "true"] } }
`,
};
const REF = "reg.test/app-web-live:latest";
const opts = { yes: true };

function setup() {
  const root = tempProject(files);
  const mgr = new FakeManager("app-live");
  mgr.digests.set(REF, "sha256:v1");
  const deps = testDeps(root, { runner: recordingRunner(mgr.reply) });
  const calls = () => deps.runner.argvs().map((a) => a.split(" ").slice(1, 3).join(" "));
  return { root, mgr, deps, calls };
}

Deno.test("swarm deploy: resolve digests → lock → stack deploy (pinned) → wait → record → unlock", async () => {
  const { mgr, deps, calls } = setup();
  const r = await deploy("live", opts, deps);
  assert.equal(r.result, "ok");
  const order = calls().filter((c) =>
    ["node ls", "buildx imagetools", "create --name", "stack deploy", "volume create", "rm --force"]
      .includes(c)
  );
  assert.deepEqual(order, [
    "node ls",
    "buildx imagetools",
    "create --name",
    "stack deploy",
    "volume create",
    "rm --force",
  ]);
  const model = parse(mgr.deploys[0]) as { services: { web: { image: string } } };
  assert.equal(model.services.web.image, `${REF}@sha256:v1`, "nodes run exactly that digest");
  assert.equal(mgr.lockImage, `${REF}@sha256:v1`, "the lock's image is pullable by the manager");
  assert.ok(!calls().some((c) => c.startsWith("tag ")), "no image is kept on the manager by tags");
  assert.deepEqual(mgr.results(), ["ok"]);
  const rec = mgr.volumes[0].find((l) => l.startsWith("dev.fleet.release.services="))!;
  assert.match(rec, /"id":"reg\.test\/app-web-live:latest@sha256:v1"/);
  assert.equal(mgr.lock, undefined);
  assert.match(
    deps.ui.text(),
    /wait until web converged \(up to 300s\)/,
    "Swarm's default timeout",
  );
  assert.match(
    deps.ui.text(),
    /web {2}reg\.test\/app-web-live:latest \(sha256:v1\) {2}new v1 {2}\(1 replica, rolling, start-first: no outage\)/,
  );
});

Deno.test("swarm: an update Swarm rolls back is exit 1 'rolled back by Swarm', recorded, no second deploy", async () => {
  const { mgr, deps } = setup();
  await deploy("live", opts, deps);
  mgr.digests.set(REF, "sha256:v2");
  mgr.failing.add(`${REF}@sha256:v2`);
  const e = await deploy("live", opts, deps).catch((x) => x);
  assert.ok(e instanceof CommandError);
  assert.equal(
    e.message,
    "deploy of live failed: rolled back by Swarm: web: dockerexec: unhealthy container",
  );
  assert.equal((e.result as { result: string }).result, "rolled-back");
  assert.equal(mgr.deploys.length, 2, "fleet does not roll back on top of Swarm's rollback");
  assert.deepEqual(mgr.results(), ["ok", "rolled-back"]);
  assert.equal(mgr.lock, undefined);
});

Deno.test("swarm: an update that never converges: fleet redeploys the previous release's pinned stack", async () => {
  const { mgr, deps } = setup();
  await deploy("live", opts, deps);
  mgr.digests.set(REF, "sha256:v2");
  mgr.pending.add(`${REF}@sha256:v2`);
  const e = await deploy("live", { ...opts, timeout: 10 }, deps).catch((x) => x);
  assert.match(
    e.message,
    /^deploy of live failed and was rolled back: service web did not become ready: not ready after 10s/,
  );
  assert.equal(mgr.deploys.length, 3);
  const back = parse(mgr.deploys[2]) as { services: { web: { image: string } } };
  assert.equal(back.services.web.image, `${REF}@sha256:v1`);
  assert.deepEqual(
    mgr.results(),
    ["ok", "ok", "rolled-back"],
    "deploy, fleet's rollback, the attempt",
  );
});

Deno.test("swarm: fleet rollback redeploys the previous good release's stack, pinned, with --resolve-image never", async () => {
  const { mgr, deps } = setup();
  await deploy("live", opts, deps);
  mgr.digests.set(REF, "sha256:v2");
  await deploy("live", opts, deps);
  const r = await rollback("live", opts, deps);
  assert.equal(r.result, "ok");
  const back = parse(mgr.deploys[2]) as { services: { web: { image: string } } };
  assert.equal(back.services.web.image, `${REF}@sha256:v1`);
  const step = deps.runner.steps.filter((s) => s.argv.includes("stack")).at(-1)!;
  assert.deepEqual(step.argv.slice(6, 8), ["--resolve-image", "never"]);
});

Deno.test("swarm: the release task runs on the stack's network before the stack deploy", async () => {
  const root = tempProject({
    "stages/live.yaml": files["stages/live.yaml"] +
      "tasks: { pre_deploy: { service: web, command: [bin/migrate] } }\n",
  });
  const mgr = new FakeManager("app-live");
  mgr.digests.set(REF, "sha256:v1");
  const deps = testDeps(root, { runner: recordingRunner(mgr.reply) });
  await deploy("live", opts, deps);
  const calls = deps.runner.argvs().filter((a) =>
    /network (inspect|create)|docker run|stack deploy/.test(a)
  );
  assert.deepEqual(calls.map((c) => c.split(" ").slice(1, 3).join(" ")), [
    "network inspect",
    "network create",
    "run --rm",
    "stack deploy",
  ]);
  assert.ok(
    calls[2].includes(`${REF}@sha256:v1 bin/migrate`),
    "the task runs the new, pinned image",
  );
});

Deno.test("--prune: only for a whole Swarm stage (exit 2 before any docker command)", async () => {
  const { deps } = setup();
  await assert.rejects(
    deploy("live", { ...opts, prune: true, service: ["web"] }, deps),
    UsageError,
  );
  const root = tempProject({ "stages/dev.yaml": "project: app\nservices:\n  web: { image: x }\n" });
  const d = testDeps(root);
  await assert.rejects(deploy("dev", { ...opts, prune: true }, d), UsageError);
  assert.equal(deps.runner.steps.length + d.runner.steps.length, 0);
});
