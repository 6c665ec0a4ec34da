/** fleet's own wait on a Swarm stack: parsing, the verdict, and the polling (a fake clock). */
import assert from "node:assert/strict";
import { CommandError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { parseServices, parseTasks, type SwarmService } from "../../lib/docker/swarm_state.ts";
import { RolledBackByEngine } from "../../lib/engine/engine.ts";
import { swarmContext } from "../../lib/engine/swarm.ts";
import { judgeStack, stackStates } from "../../lib/engine/swarm_verdict.ts";
import { waitForStack } from "../../lib/engine/swarm_wait.ts";
import { recordingRunner, recordingUi, tempProject, testDeps } from "../helpers.ts";

const IMG1 = "reg.test/web:1@sha256:aaa";
const IMG2 = "reg.test/web:2@sha256:bbb";
const TASK = "rsbydfsrmdz1zmo0sfar31m2p";

/** One line of `docker service inspect --format '{{json .}}'`. */
function serviceJson(o: { image: string; prev?: string; state?: string; message?: string }) {
  const spec = (image: string) => ({
    Name: "app-live_web",
    TaskTemplate: { ContainerSpec: { Image: image, Env: ["SECRET=s3cret"] } },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Mode: "dnsrr" },
  });
  return JSON.stringify({
    ID: "svc1",
    Spec: spec(o.image),
    ...(o.prev ? { PreviousSpec: spec(o.prev) } : {}),
    ...(o.state ? { UpdateStatus: { State: o.state, Message: o.message ?? "" } } : {}),
  });
}

/** One line of `docker service ps --no-trunc --format '{{json .}}'`. */
function taskJson(
  slot: number,
  image: string,
  state: string,
  o: { id?: string; err?: string } = {},
) {
  return JSON.stringify({
    CurrentState: `${state} 3 seconds ago`,
    DesiredState: /^(Running|Starting)$/.test(state) ? "Running" : "Shutdown",
    Error: o.err ? `"${o.err}"` : "",
    ID: o.id ?? `t${slot}${state}`,
    Image: image,
    Name: `app-live_web.${slot}`,
    Node: `node${slot}`,
    Ports: "",
  });
}

const svc = (o: Parameters<typeof serviceJson>[0]): SwarmService[] => parseServices(serviceJson(o));
const tasks = (...lines: string[]) => parseTasks(lines.join("\n"));
const W = ["app-live_web"];

Deno.test("parse: a service's image, replicas, update state and whether its tasks change", () => {
  const [s] = svc({ image: IMG2, prev: IMG1, state: "updating", message: "update in progress" });
  assert.deepEqual(s, {
    name: "app-live_web",
    image: IMG2,
    replicas: 2,
    update: "updating",
    updateMessage: "update in progress",
    created: false,
    changed: true,
  });
  assert.equal(svc({ image: IMG1, prev: IMG1 })[0].changed, false);
  assert.equal(svc({ image: IMG1 })[0].created, true);
  assert.ok(!JSON.stringify(s).includes("s3cret"), "the spec's Env is not kept");
});

Deno.test("parse: tasks with service, state and error", () => {
  const [t] = tasks(taskJson(2, IMG2, "Failed", { id: TASK, err: "task: non-zero exit (143)" }));
  assert.deepEqual(t, {
    id: TASK,
    name: "app-live_web.2",
    service: "app-live_web",
    image: IMG2,
    node: "node2",
    desired: "shutdown",
    state: "failed",
    error: "task: non-zero exit (143)",
  });
});

Deno.test("verdict: ready once the update completed and every replica of the new image runs", () => {
  const done = svc({ image: IMG2, prev: IMG1, state: "completed" });
  const both = tasks(taskJson(1, IMG2, "Running"), taskJson(2, IMG2, "Running"));
  assert.deepEqual(judgeStack(done, both, W, 20), { kind: "ready" });
  const one = tasks(taskJson(1, IMG2, "Running"), taskJson(2, IMG1, "Running"));
  assert.deepEqual(judgeStack(done, one, W, 20), {
    kind: "waiting",
    service: "app-live_web",
    why: "app-live_web: 1/2 running",
    each: [{ service: "app-live_web", why: "1/2 running" }],
  });
});

Deno.test("verdict: waiting while updating, and while a changed service's update has not begun", () => {
  const both = tasks(taskJson(1, IMG1, "Running"), taskJson(2, IMG1, "Running"));
  const updating = judgeStack(svc({ image: IMG2, prev: IMG1, state: "updating" }), both, W, 1);
  assert.equal(updating.kind, "waiting");
  const notYet = judgeStack(svc({ image: IMG1, prev: IMG2 }), both, W, 1);
  assert.deepEqual(notYet.kind === "waiting" && notYet.why, "app-live_web: update not started yet");
  // nothing to do for Swarm (say, only placement changed): after the grace, the tasks decide
  assert.deepEqual(judgeStack(svc({ image: IMG1, prev: IMG2 }), both, W, 5), { kind: "ready" });
  assert.deepEqual(judgeStack(svc({ image: IMG1, prev: IMG1 }), both, W, 0), { kind: "ready" });
});

Deno.test("verdict: rolled back by Swarm, with the task the update failed on", () => {
  const msg = `update rolled back due to failure or early termination of task ${TASK}`;
  const back = svc({ image: IMG1, prev: IMG2, state: "rollback_completed", message: msg });
  const ts = tasks(
    taskJson(1, IMG1, "Running"),
    taskJson(2, IMG2, "Failed", { id: TASK, err: "dockerexec: unhealthy container" }),
  );
  const v = judgeStack(back, ts, W, 30);
  assert.equal(v.kind, "failed");
  assert.equal(v.kind === "failed" && v.rolledBack, true);
  assert.equal(v.kind === "failed" && v.task?.id, TASK);
  const started = judgeStack([{ ...back[0], update: "rollback_started" }], ts, W, 30);
  assert.equal(started.kind === "waiting" && started.rollingBack, "app-live_web");
});

Deno.test("verdict: paused (--no-rollback) fails without a rollback; a new service's tasks that keep failing", () => {
  const paused = judgeStack(
    svc({ image: IMG2, prev: IMG1, state: "paused", message: "m" }),
    [],
    W,
    9,
  );
  assert.deepEqual(paused.kind === "failed" && [paused.rolledBack, paused.why], [
    false,
    "the update was paused by Swarm: m",
  ]);
  const dead = tasks(
    taskJson(1, IMG1, "Failed", { err: "exit 1" }),
    taskJson(1, IMG1, "Failed", { id: "x2", err: "exit 1" }),
    taskJson(1, IMG1, "Rejected", { id: "x3", err: "no such image" }),
  );
  const v = judgeStack(svc({ image: IMG1 }), dead, W, 9);
  assert.equal(v.kind === "failed" && v.why, "its tasks keep failing (3 failed, 0/2 running)");
});

/** A manager that answers from a script of states, one per poll. */
function manager(states: { service: string; tasks: string[] }[]) {
  let poll = 0;
  return recordingRunner((s: Step) => {
    const a = s.argv.slice(1);
    const now = states[Math.min(poll, states.length - 1)];
    if (a[0] === "service" && a[1] === "inspect") return { stdout: now.service };
    if (a[0] === "service" && a[1] === "ps") {
      poll++;
      return { stdout: now.tasks.join("\n") };
    }
    if (a[0] === "service" && a[1] === "logs") return { stdout: "boom\n" };
    return {};
  });
}

const root = tempProject({
  "stages/live.yaml": "project: app\norchestrator: swarm\nservices:\n  web: { image: x }\n",
});
const ctx = swarmContext(loadStage(root, "live"), {});

Deno.test("the wait polls until ready, saying what it waits for (fake clock)", async () => {
  const runner = manager([
    { service: serviceJson({ image: IMG2, prev: IMG1, state: "updating" }), tasks: [] },
    {
      service: serviceJson({ image: IMG2, prev: IMG1, state: "completed" }),
      tasks: [taskJson(1, IMG2, "Running"), taskJson(2, IMG2, "Running")],
    },
  ]);
  const deps = testDeps(root, { runner });
  await waitForStack(deps, ctx, ["web"], 300);
  assert.match(deps.ui.text(), /wait \| web: updating, 0\/2 running/);
  assert.deepEqual(runner.argvs().slice(0, 2), [
    "docker service inspect --format {{json .}} app-live_web",
    "docker service ps --no-trunc --format {{json .}} app-live_web",
  ]);
});

Deno.test("the wait: rolled back by Swarm is RolledBackByEngine with the task's error and logs", async () => {
  const msg = `update rolled back due to failure or early termination of task ${TASK}`;
  const runner = manager([{
    service: serviceJson({ image: IMG1, prev: IMG2, state: "rollback_completed", message: msg }),
    tasks: [taskJson(2, IMG2, "Failed", { id: TASK, err: "dockerexec: unhealthy container" })],
  }]);
  const e = await waitForStack(testDeps(root, { runner }), ctx, ["web"], 300).catch((x) => x);
  assert.ok(e instanceof RolledBackByEngine);
  assert.equal(e.message, "rolled back by Swarm: web: dockerexec: unhealthy container");
  assert.match(e.stderrTail, /task app-live_web\.2 on node2: failed: dockerexec: unhealthy/);
  assert.match(e.stderrTail, /last log lines of web:\nboom/);
  assert.ok(runner.argvs().includes(`docker service logs --no-trunc --tail 20 ${TASK}`));
});

Deno.test("the wait: the timeout is a failure that says what it waited for", async () => {
  const runner = manager([{
    service: serviceJson({ image: IMG2, prev: IMG1, state: "updating" }),
    tasks: [taskJson(1, IMG2, "Pending")],
  }]);
  const e = await waitForStack(testDeps(root, { runner }), ctx, ["web"], 30).catch((x) => x);
  assert.ok(e instanceof CommandError && !(e instanceof RolledBackByEngine));
  assert.equal(
    e.message,
    "service web did not become ready: not ready after 30s (web: updating, 0/2 running)",
  );
});

Deno.test("the wait: still rolling back at the timeout is rolled back by Swarm, not a failure to undo", async () => {
  const runner = manager([{
    service: serviceJson({ image: IMG1, prev: IMG2, state: "rollback_started", message: "m" }),
    tasks: [],
  }]);
  const e = await waitForStack(testDeps(root, { runner }), ctx, ["web"], 30).catch((x) => x);
  assert.ok(e instanceof RolledBackByEngine);
  assert.match(e.message, /rolled back by Swarm: web: Swarm is still rolling back after 30s/);
});

Deno.test("the wait: a rollback's task is named by the message seen while it ran", async () => {
  const named = `update rolled back due to failure or early termination of task ${TASK}`;
  const runner = manager([
    {
      service: serviceJson({ image: IMG1, prev: IMG2, state: "rollback_started", message: named }),
      tasks: [],
    },
    {
      service: serviceJson({
        image: IMG1,
        prev: IMG2,
        state: "rollback_completed",
        message: "rollback completed",
      }),
      tasks: [taskJson(1, IMG2, "Complete", { id: TASK })],
    },
  ]);
  const e = await waitForStack(testDeps(root, { runner }), ctx, ["web"], 300).catch((x) => x);
  assert.ok(e instanceof RolledBackByEngine);
  assert.equal(
    e.message,
    "rolled back by Swarm: web: task web.1 ended (complete) before it was healthy",
  );
  assert.match(e.stderrTail, /^task app-live_web\.1 on node1: complete\n/);
});

Deno.test("stackStates: what each service waits for, converged ones, a failure; none without detail", () => {
  const names = ["app-live_web", "app-live_api"];
  const waiting = judgeStack(
    svc({ image: IMG2, prev: IMG1, state: "updating" }),
    tasks(taskJson(1, IMG2, "Running")),
    names,
    9,
  );
  assert.deepEqual(stackStates(names, waiting, "app-live"), [
    { service: "web", text: "updating, 1/2 running…", phase: "working" },
    { service: "api", text: "no service yet…", phase: "working" },
  ]);
  assert.deepEqual(stackStates(["app-live_web"], { kind: "ready" }, "app-live"), [
    { service: "web", text: "converged", phase: "done" },
  ]);
  const failed = { kind: "failed", service: "app-live_web", why: "x", rolledBack: true } as const;
  assert.deepEqual(stackStates(names, failed, "app-live"), [
    { service: "web", text: "rolled back", phase: "failed" },
  ]);
  const mute = {
    kind: "waiting",
    service: "app-live_web",
    why: "the manager did not answer",
  } as const;
  assert.deepEqual(stackStates(names, mute, "app-live"), []);
});

Deno.test("the wait on a terminal: a live row per service instead of wait lines, ended converged", async () => {
  const runner = manager([
    { service: serviceJson({ image: IMG2, prev: IMG1, state: "updating" }), tasks: [] },
    {
      service: serviceJson({ image: IMG2, prev: IMG1, state: "completed" }),
      tasks: [taskJson(1, IMG2, "Running"), taskJson(2, IMG2, "Running")],
    },
  ]);
  const deps = testDeps(root, { runner, ui: recordingUi({ live: true }) });
  await waitForStack(deps, ctx, ["web"], 300);
  assert.deepEqual(deps.ui.text().split("\n").slice(1), [
    "[live] start web=waiting…",
    "[live] web: updating, 0/2 running… (working)",
    "[live] web: converged (done)",
    "[live] end",
  ]);
});
