/** Tier 1: the Swarm engine's stack model, its deploy step (exact argv), context and plan text. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadStage } from "../../lib/config/stage.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { stackSteps, swarmContext, swarmStrategy } from "../../lib/engine/swarm.ts";
import { defaultMonitor, onlyServices, renderStack } from "../../lib/engine/swarm_model.ts";
import { errorOf, tempProject } from "../helpers.ts";

const root = tempProject({
  "stages/live.yaml": `project: app
orchestrator: swarm
registry: reg.test
host: unix:///run/mgr.sock
services:
  web:
    build: {}
    replicas: 2
    endpoint: dnsrr
    placement: ["node.role == worker"]
    restart: unless-stopped
    ports: [{ target: 8080, published: 80, mode: host }]
    environment: { DB_URL: "\${DB_URL}", LIT: "a$$b" }
    volumes: ["data:/data"]
    healthcheck: { test: ["CMD", "true"], interval: 5s, timeout: 2s, retries: 4 }
    compose: { init: true, deploy: { resources: { limits: { memory: 64M } } } }
  worker:
    image: reg.test/worker:1
    update: { order: stop-first, parallelism: 2, delay: 10s, monitor: 30 }
`,
  "stages/bare.yaml":
    "project: app\norchestrator: swarm\nservices:\n  web: { build: {} }\n  db: { image: pg }\n",
});
const live = loadStage(root, "live");
const env = { DB_URL: "postgres://u:pw@db/app" };

Deno.test("stack model: deploy with replicas, a rolling update Swarm rolls back, placement, endpoint", () => {
  const m = renderStack(live);
  assert.equal(m.version, "3.8");
  assert.deepEqual(m.networks, { default: { driver: "overlay", attachable: true } });
  assert.deepEqual(m.volumes, { data: {} });
  const web = m.services.web;
  assert.equal(web.image, "reg.test/app-web-live:latest");
  assert.equal(web.restart, undefined, "restart is translated, not passed");
  assert.equal(web.init, true);
  assert.deepEqual(web.ports, [{ target: 8080, published: 80, mode: "host" }]);
  assert.deepEqual(web.environment, { DB_URL: "${DB_URL}", LIT: "a$$b" });
  assert.deepEqual(web.deploy, {
    resources: { limits: { memory: "64M" } },
    replicas: 2,
    update_config: {
      parallelism: 1,
      order: "start-first",
      monitor: "22s",
      delay: "0s",
      failure_action: "rollback",
    },
    rollback_config: {
      parallelism: 1,
      order: "start-first",
      monitor: "22s",
      failure_action: "pause",
    },
    labels: { "dev.fleet.stage": "live", "dev.fleet.service": "web" },
    endpoint_mode: "dnsrr",
    restart_policy: { condition: "any" },
    placement: { constraints: ["node.role == worker"] },
  });
  const worker = m.services.worker.deploy as Record<string, Record<string, unknown>>;
  assert.equal(worker.replicas, 1);
  assert.deepEqual(worker.update_config, {
    parallelism: 2,
    order: "stop-first",
    monitor: "30s",
    delay: "10s",
    failure_action: "rollback",
  });
});

Deno.test("stack model: --no-rollback pauses a failed update instead", () => {
  const u = renderStack(live, { rollback: false }).services.web.deploy as Record<
    string,
    Record<string, unknown>
  >;
  assert.equal(u.update_config.failure_action, "pause");
});

Deno.test("default monitor: long enough for the healthcheck to decide, at least 5s", () => {
  assert.equal(defaultMonitor({}), 5);
  assert.equal(defaultMonitor({ healthcheck: { test: ["CMD", "true"] } }), 120, "3 × 30s + 30s");
  assert.equal(defaultMonitor({ healthcheck: { test: "x", interval: "1s", timeout: "1s" } }), 5);
  assert.equal(defaultMonitor({ healthcheck: { test: "x", interval: 10, retries: 2 } }), 50);
  assert.equal(defaultMonitor({ healthcheck: { test: "x", disable: true } }), 5);
});

Deno.test("the deploy step: stack deploy with the model on stdin, secrets only in env", () => {
  const ctx = swarmContext(live, env);
  const [step] = stackSteps(ctx, ["web", "worker"], [], { pull: true, only: false });
  assert.deepEqual(step.argv, [
    "docker",
    "stack",
    "deploy",
    "--compose-file",
    "-",
    "--with-registry-auth",
    "--resolve-image",
    "always",
    "app-live",
  ]);
  assert.equal(step.kind, "deploy");
  assert.deepEqual(step.env, { DOCKER_HOST: "unix:///run/mgr.sock" });
  assert.deepEqual(step.secretEnv, { DB_URL: "postgres://u:pw@db/app" });
  assert.equal(step.input, ctx.model);
  assert.ok(!step.argv.join(" ").includes("pw@"), "no secret on argv");
  const never = stackSteps(ctx, ["web"], [], { pull: false, only: true, prune: true })[0];
  assert.deepEqual(never.argv.slice(6), ["--resolve-image", "never", "--prune", "app-live"]);
});

Deno.test("-n: the stack file holds only those services, so the others stay as they are", () => {
  const ctx = swarmContext(live, env);
  const [step] = stackSteps(ctx, ["worker"], [], { pull: true, only: true });
  const m = parse(step.input!) as { services: Record<string, unknown>; networks: unknown };
  assert.deepEqual(Object.keys(m.services), ["worker"]);
  assert.ok(m.networks, "the network stays declared");
  assert.equal(onlyServices(ctx.model, ["web", "worker"]), ctx.model);
});

Deno.test("a built service with no registry: a ConfigError (every node pulls)", () => {
  const bare = loadStage(root, "bare");
  const e = errorOf(() => swarmContext(bare, {}));
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    "stages/bare.yaml:4:8: services.web: a Swarm stage's images come from a registry (every node " +
      "pulls), and this built service has none",
  );
  assert.ok(swarmContext(bare, {}, { requireVars: false }).model, "read-only commands go on");
  assert.ok(swarmContext(bare, {}, { registry: "reg.test" }).model, "--registry gives one");
});

Deno.test("the plan says what each service gets", () => {
  const ctx = swarmContext(live, env);
  assert.equal(swarmStrategy(ctx, "web"), "2 replicas, rolling, start-first: no outage");
  assert.equal(swarmStrategy(ctx, "worker"), "1 replica, rolling, stop-first: each task restarts");
  const bare = swarmContext(loadStage(root, "bare"), {}, { requireVars: false });
  assert.match(
    swarmStrategy(bare, "db"),
    /start-first \(no healthcheck: a new task counts as ready/,
  );
});
