/** A Swarm stage's ps, logs, down, one-off containers (task, run) and exec. */
import assert from "node:assert/strict";
import { CommandError, UsageError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { parseDownNodes, parseServices, parseTasks } from "../../lib/docker/swarm_state.ts";
import { swarm, swarmContext } from "../../lib/engine/swarm.ts";
import { psView, stackDown, stackLogsSteps } from "../../lib/engine/swarm_ops.ts";
import { psJson } from "../../lib/report/json.ts";
import { psText } from "../../lib/report/text.ts";
import { envArgs, oneOffStep } from "../../lib/engine/swarm_run.ts";
import { errorOf, recordingRunner, tempProject, testDeps } from "../helpers.ts";

const root = tempProject({
  "stages/live.yaml": `project: app
orchestrator: swarm
host: unix:///run/mgr.sock
services:
  web:
    image: reg.test/web:1
    environment: { DB_URL: "\${DB_URL}", MODE: prod, FROM_SHELL: null }
    env_file: .env.live
  db: { image: pg }
  bad: { image: x, environment: { PATH: "\${MY_PATH}" } }
`,
});
const stage = loadStage(root, "live");
const ctx = swarmContext(stage, { DB_URL: "postgres://u:pw@db/app", MY_PATH: "/x" });
const H = { DOCKER_HOST: "unix:///run/mgr.sock" };

Deno.test("ps: services with running/desired replicas, image (digest short) and update state; tasks by node", () => {
  const services = parseServices(JSON.stringify({
    Spec: {
      Name: "app-live_web",
      TaskTemplate: { ContainerSpec: { Image: "reg.test/web:1@sha256:0123456789abcdef" } },
      Mode: { Replicated: { Replicas: 2 } },
    },
    UpdateStatus: { State: "completed" },
  }));
  const task = (slot: number, node: string, state: string, desired = "Running") =>
    JSON.stringify({
      ID: `t${slot}${state}`,
      Name: `app-live_web.${slot}`,
      Image: "i",
      Node: node,
      DesiredState: desired,
      CurrentState: `${state} 1 minute ago`,
      Error: "",
    });
  const tasks = parseTasks(
    [task(2, "n2", "Running"), task(1, "n1", "Running"), task(1, "n3", "Shutdown", "Shutdown")]
      .join("\n"),
  );
  const view = psView("app-live", services, tasks);
  assert.deepEqual(view.services, [{
    name: "web",
    running: 2,
    replicas: 2,
    image: "reg.test/web:1@sha256:0123456789abcdef",
    update: "completed",
  }]);
  assert.deepEqual(view.tasks?.map((t) => `${t.name}@${t.node}`), ["web.1@n1", "web.2@n2"]);
  assert.equal(
    psText({ stage: "live", project: "app-live", ...view }),
    [
      "SERVICE  REPLICAS  IMAGE                        UPDATE",
      "web      2/2       reg.test/web:1@0123456789ab  completed",
      "",
      "TASK   NODE  STATE    ERROR",
      "web.1  n1    running",
      "web.2  n2    running",
    ].join("\n"),
  );
});

Deno.test("ps with a node down: its stale task is not counted as running (2/2, not 3/2)", () => {
  const services = parseServices(JSON.stringify({
    Spec: {
      Name: "app-live_web",
      TaskTemplate: { ContainerSpec: { Image: "reg.test/web:1" } },
      Mode: { Replicated: { Replicas: 2 } },
    },
    UpdateStatus: { State: "completed" },
  }));
  const task = (slot: number, node: string, id: string) =>
    JSON.stringify({
      ID: id,
      Name: `app-live_web.${slot}`,
      Image: "i",
      Node: node,
      DesiredState: "Running",
      CurrentState: "Running 1 minute ago",
      Error: "",
    });
  // n3 went down: Swarm started web.1 again on n1, and still remembers the old one as running
  const tasks = parseTasks(
    [task(1, "n3", "old"), task(1, "n1", "new"), task(2, "n2", "b")].join("\n"),
  );
  const down = parseDownNodes("n1 Ready\nn2 Ready\nn3 Down\n");
  assert.deepEqual(down, ["n3"]);
  const view = psView("app-live", services, tasks, down);
  assert.equal(view.services?.[0].running, 2);
  assert.deepEqual(view.tasks?.map((t) => `${t.name}@${t.node} ${t.state}`), [
    "web.1@n1 running",
    "web.2@n2 running",
    "web.1@n3 running (node down)",
  ]);
  assert.match(psText({ stage: "live", project: "app-live", ...view }), /web {6}2\/2 /);
});

Deno.test("ps --json of a Swarm stage: services and tasks, no containers", () => {
  const j = psJson({
    stage: "live",
    project: "app-live",
    host: "m",
    containers: [],
    services: [{ name: "web", running: 1, replicas: 2, image: "r/w:1@sha256:ab", update: "" }],
    tasks: [{ name: "web.1", service: "web", node: "n1", state: "running", error: "" }],
  }) as Record<string, unknown>;
  assert.deepEqual(j.containers, []);
  assert.deepEqual(j.services, [{
    name: "web",
    running: 1,
    replicas: 2,
    image: "r/w:1@sha256:ab",
    update: "",
  }]);
  assert.deepEqual(j.tasks, [{
    name: "web.1",
    service: "web",
    node: "n1",
    state: "running",
    error: null,
  }]);
});

Deno.test("logs: docker service logs, one step per service (all of them when none is named)", () => {
  const steps = stackLogsSteps(ctx, [], { tail: "50", follow: true });
  assert.deepEqual(
    steps.map((s) => s.argv),
    ["web", "db", "bad"].map((s) => [
      "docker",
      "service",
      "logs",
      "--no-trunc",
      "--tail",
      "50",
      "--follow",
      `app-live_${s}`,
    ]),
  );
  assert.deepEqual(steps[0].env, H);
});

Deno.test("down: stack rm, then wait until its services and networks are gone (volumes stay)", async () => {
  let polls = 0;
  const runner = recordingRunner((s: Step) => {
    const a = s.argv.slice(1).join(" ");
    if (a.startsWith("service ls")) return { stdout: polls++ < 1 ? "app-live_web\n" : "" };
    if (a.startsWith("network ls")) return { stdout: polls < 3 ? "app-live_default\n" : "" };
    return {};
  });
  await stackDown(testDeps(root, { runner }), ctx);
  const calls = runner.argvs();
  assert.equal(calls[0], "docker stack rm app-live");
  assert.ok(calls.includes("docker network rm app-live_default"), "a lingering network is removed");
  assert.ok(!calls.some((c) => c.includes("volume")), "volumes are kept");
  const stuck = recordingRunner((s: Step) =>
    s.argv.includes("ls") ? { stdout: "app-live_web\n" } : {}
  );
  const e = await stackDown(testDeps(root, { runner: stuck }), ctx, 5).catch((x) => x);
  assert.ok(e instanceof CommandError);
  assert.match(e.message, /^stack app-live is not gone after 5s: app-live_web/);
});

Deno.test("one-off container: literal values on argv, ${VAR} values only in the environment", () => {
  const env = envArgs(ctx, "web");
  assert.deepEqual(env.argv, [
    "-e",
    "DB_URL",
    "-e",
    "MODE=prod",
    "-e",
    "FROM_SHELL",
    "--env-file",
    `${root}/.env.live`,
  ]);
  assert.deepEqual(env.secretEnv, { DB_URL: "postgres://u:pw@db/app" });
  const e = errorOf(() => envArgs(ctx, "bad"));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /services\.bad\.environment\.PATH: a \$\{VAR\} value under this name/);
});

Deno.test("the release task: docker run --rm of the pinned image on the stack's network", () => {
  const pinned = { ...ctx, model: ctx.model.replace("reg.test/web:1", "reg.test/web:1@sha256:ab") };
  const step = swarm.taskStep(pinned, "web", ["bin/migrate"]);
  assert.equal(step.kind, "task");
  assert.deepEqual(step.argv, [
    "docker",
    "run",
    "--rm",
    "--network",
    "app-live_default",
    "--label",
    "dev.fleet.stage=live",
    "--label",
    "dev.fleet.service=web",
    "-e",
    "DB_URL",
    "-e",
    "MODE=prod",
    "-e",
    "FROM_SHELL",
    "--env-file",
    `${root}/.env.live`,
    "reg.test/web:1@sha256:ab",
    "bin/migrate",
  ]);
  assert.deepEqual(step.secretEnv, { DB_URL: "postgres://u:pw@db/app" });
  assert.deepEqual(step.env, H);
});

Deno.test("the release task's network exists before the first stack deploy", async () => {
  const runner = recordingRunner((s) => s.argv.includes("inspect") ? { code: 1 } : {});
  await swarm.beforeTask(testDeps(root, { runner }), ctx);
  assert.deepEqual(runner.argvs(), [
    "docker network inspect --format {{.Id}} app-live_default",
    "docker network create --driver overlay --attachable --label " +
    "com.docker.stack.namespace=app-live app-live_default",
  ]);
  const there = recordingRunner();
  await swarm.beforeTask(testDeps(root, { runner: there }), ctx);
  assert.equal(there.steps.length, 1, "an existing network is left as it is");
});

Deno.test("run and exec: the service's current image interactively; exec into a container on the manager", () => {
  const run = oneOffStep(ctx, "db", ["psql"], {
    kind: "exec",
    image: "pg@sha256:cd",
    tty: true,
    stdin: true,
  });
  assert.deepEqual(run.argv.slice(-5), [
    "dev.fleet.service=db",
    "-i",
    "-t",
    "pg@sha256:cd",
    "psql",
  ]);
  const exec = swarm.interactiveStep(ctx, {
    mode: "exec",
    service: "web",
    command: ["sh"],
    tty: false,
    modelFile: "/dev/null",
    container: "app-live_web.1.abc",
  });
  assert.deepEqual(exec.argv, ["docker", "exec", "-i", "app-live_web.1.abc", "sh"]);
});
