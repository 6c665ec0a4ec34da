/** Tier 2: Swarm stages in stage files — the keys, and the keys that do not fit, with reasons. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { seconds } from "../../lib/config/swarm_settings.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { engineFor } from "../../lib/engine/engines.ts";
import { errorOf, tempProject } from "../helpers.ts";

const base = "project: app\nregistry: reg.test\n";
const swarm = base + "orchestrator: swarm\n";

function load(text: string) {
  return loadStage(tempProject({ "stages/live.yaml": text }), "live");
}

Deno.test("a Swarm stage: its keys, long-syntax ports, and the Swarm engine", () => {
  const s = load(
    swarm + `services:
  web:
    build: {}
    replicas: 3
    update: { order: stop-first, parallelism: 2, delay: 1m30s, monitor: 20 }
    placement: ["node.role == worker"]
    endpoint: dnsrr
    restart: on-failure
    ports: ["8080:8080", { target: 9090, published: 9090, mode: host }]
`,
  );
  assert.equal(s.orchestrator, "swarm");
  assert.equal(engineFor(s).name, "swarm");
  const web = s.services[0];
  assert.equal(web.replicas, 3);
  assert.deepEqual(web.update, {
    order: "stop-first",
    parallelism: 2,
    delay: "1m30s",
    monitor: 20,
  });
  assert.deepEqual(web.ports, ["8080:8080", { target: 9090, published: 9090, mode: "host" }]);
});

Deno.test("a stage without orchestrator: is a Compose stage; long-syntax ports are fine there", () => {
  const s = load(
    base + "services:\n  web:\n    image: x\n    ports: [{ target: 80, published: 8080 }]\n",
  );
  assert.equal(s.orchestrator, "compose");
  assert.equal(engineFor(s).name, "compose");
});

Deno.test("Swarm keys on a Compose stage are errors, each with the reason", () => {
  const e = errorOf(() =>
    load(base + "services:\n  web:\n    image: x\n    replicas: 2\n    endpoint: vip\n")
  );
  assert.ok(e instanceof ConfigError);
  const why = "a Swarm setting, and this stage deploys with Compose " +
    "(orchestrator: swarm makes it a Swarm stage)";
  assert.equal(
    e.message,
    `stages/live.yaml:6:15: services.web.replicas: ${why}\n` +
      `stages/live.yaml:7:15: services.web.endpoint: ${why}`,
  );
});

Deno.test("keys Swarm ignores are errors on a Swarm stage, with what to do instead", () => {
  const e = errorOf(() =>
    load(
      swarm + `services:
  db: { image: postgres:16 }
  web:
    image: x
    depends_on: [db]
    compose: { container_name: web1, restart: always, deploy: { replicas: 2, resources: {} } }
`,
    )
  );
  assert.ok(e instanceof ConfigError);
  const lines = e.message.split("\n");
  assert.equal(lines.length, 4, e.message + "\n(deploy.resources is the user's)");
  for (
    const re of [
      /services\.web\.depends_on: Swarm ignores it \(docker stack deploy starts/,
      /services\.web\.compose\.container_name: Swarm ignores it: it names each task/,
      /services\.web\.compose\.restart: fleet sets restart itself: use services\.web\.restart/,
      /services\.web\.compose\.deploy\.replicas: fleet sets it .*services\.web\.replicas/,
    ]
  ) assert.ok(lines.some((l) => re.test(l)), `${re} in:\n${e.message}`);
});

Deno.test("update settings are checked: a bad order, duration or count", () => {
  const e = errorOf(() =>
    load(
      swarm +
        "services:\n  web:\n    image: x\n    replicas: -1\n    update: { order: rolling, delay: 10x }\n",
    )
  );
  assert.match(e.message, /services\.web\.replicas: expected >=0, got -1/);
  assert.match(
    e.message,
    /services\.web\.update\.order: expected one of \("start-first" \| "stop-first"\), got "rolling"/,
  );
  assert.match(e.message, /services\.web\.update\.delay: "10x": not a duration/);
  const typo = errorOf(() =>
    load(swarm + "services:\n  web:\n    image: x\n    update: { oder: x }\n")
  );
  assert.match(typo.message, /services\.web\.update\.oder: unknown key \(did you mean "order"\?\)/);
});

Deno.test("seconds: Go-style durations and plain numbers", () => {
  assert.equal(seconds("1m30s"), 90);
  assert.equal(seconds("500ms"), 0.5);
  assert.equal(seconds(7), 7);
  assert.equal(seconds("1h"), 3600);
  assert.equal(seconds("soon"), undefined);
});
