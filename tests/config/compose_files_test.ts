/** Tier 2: a stage that carries the user's Compose files (SPEC §13), and Compose keys in stage files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { loadStage } from "../../lib/config/stage.ts";
import { activeServices, withProfiles } from "../../lib/config/services.ts";
import { parseDotenv } from "../../lib/config/dotenv.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { imageRef } from "../../lib/docker/images.ts";
import { composeYaml, renderCompose } from "../../lib/engine/compose_model.ts";
import { composeContext } from "../../lib/engine/compose.ts";
import { mergeModel, mergeStep } from "../../lib/engine/compose_check.ts";
import { errorOf, recordingRunner, tempProject, testDeps } from "../helpers.ts";

const APP = `x-restart: &restart
  restart: unless-stopped
services:
  migrate:
    image: busybox:\${BB_TAG:-1.36}
    command: ["bin/migrate"]
    restart: "no"
  web:
    <<: *restart
    build: ./web
    image: ghcr.io/someone/web:\${WEB_VERSION:-release}
    ports: ["\${PORT:-8080}:80"]
    healthcheck:
      test: ["CMD", "true"]
      retries: \${RETRIES:-3}
    depends_on:
      migrate: { condition: service_completed_successfully }
    networks:
      back: { aliases: [api] }
      front: {}
  debug:
    image: busybox
    profiles: [debug]
networks:
  back: { internal: true }
  front: {}
`;

function project(extra: Record<string, string> = {}) {
  return tempProject({
    "deploy/compose.yaml": APP,
    "deploy/web/Dockerfile": "FROM busybox\n",
    "stages/_base.yaml": "project: shop\ncompose_file: deploy/compose.yaml\n",
    "stages/live.yaml":
      "registry: 127.0.0.1:5000\nservices:\n  web:\n    environment: { A: '1' }\n",
    ...extra,
  });
}

Deno.test("compose_file: the files' services are the stage's, a build named by fleet", () => {
  const root = project();
  const s = loadStage(root, "live", {});
  assert.deepEqual(s.services.map((x) => x.name), ["migrate", "web", "debug"]);
  const web = s.services[1];
  assert.equal(web.build?.context, join(root, "deploy/web"), "relative to the first file's dir");
  assert.equal(imageRef(s, web), "127.0.0.1:5000/shop-web-live:latest", "the file's image: is not");
  assert.equal(s.services[0].image, "busybox:1.36", "a variable's default, resolved");
  assert.deepEqual(s.compose?.files, [join(root, "deploy/compose.yaml")]);
  assert.equal(s.compose?.projectDir, join(root, "deploy"));
  assert.deepEqual(web.own, { environment: { A: "1" } });
  assert.deepEqual(web.environment, { A: "1" });
});

Deno.test("compose_file: the model is an overlay (fleet's images, labels, the stage's own keys)", () => {
  const s = loadStage(project(), "live", {});
  const m = renderCompose(s);
  assert.deepEqual(m.services.web, {
    image: "127.0.0.1:5000/shop-web-live:latest",
    environment: { A: "1" },
    labels: { "dev.fleet.stage": "live", "dev.fleet.service": "web" },
  });
  assert.deepEqual(m.services.migrate, {
    image: "busybox:1.36",
    labels: { "dev.fleet.stage": "live", "dev.fleet.service": "migrate" },
  });
  const ctx = composeContext(s, { BB_TAG: "x" });
  assert.deepEqual(mergeStep(ctx).argv, [
    "docker",
    "compose",
    "-p",
    "shop-live",
    "--project-directory",
    join(s.root, "deploy"),
    "-f",
    join(s.root, "deploy/compose.yaml"),
    "config",
    "--no-interpolate",
    "--format",
    "json",
  ]);
});

Deno.test("mergeModel: Compose's merge of the files, fleet's overlay on top, no build:, no files", async () => {
  const s = loadStage(project(), "live", {});
  const merged = {
    name: "deploy",
    services: {
      web: {
        image: "ghcr.io/someone/web:${WEB_VERSION:-release}",
        build: { context: "/x" },
        environment: ["B=2"],
        labels: { team: "a" },
        ports: [{ target: 80, published: "8080" }],
      },
      migrate: { image: "busybox:${BB_TAG:-1.36}" },
    },
    networks: { back: { internal: true } },
  };
  const runner = recordingRunner(() => ({ stdout: JSON.stringify(merged) }));
  const ctx = await mergeModel(testDeps(s.root, { runner }), composeContext(s, {}));
  assert.deepEqual(ctx.files, []);
  const m = parse(ctx.model);
  assert.equal(m.name, "shop-live");
  assert.deepEqual(m.networks, { back: { internal: true } });
  assert.deepEqual(m.services.web, {
    image: "127.0.0.1:5000/shop-web-live:latest",
    environment: { B: "2", A: "1" },
    labels: { team: "a", "dev.fleet.stage": "live", "dev.fleet.service": "web" },
    ports: [{ target: 80, published: "8080" }],
  });
  assert.equal(m.services.migrate.image, "busybox:1.36", "resolved, as fleet pulls and records it");
  assert.equal(runner.steps[0].input, undefined, "the files alone: Compose merges them");
});

Deno.test("mergeModel: files Compose cannot merge unresolved stay, and the overlay names them", async () => {
  const s = loadStage(project({ "deploy/more.yaml": "services: {}\n" }), "live", {});
  const two = { ...s, compose: { ...s.compose!, files: [...s.compose!.files, "/more.yaml"] } };
  const runner = recordingRunner(() => ({
    code: 15,
    stderr: "validating -: services.a.depends_on Additional property ${X} is not allowed",
  }));
  const ctx = await mergeModel(testDeps(s.root, { runner }), composeContext(two, {}));
  assert.equal(ctx.files?.length, 2);
  assert.deepEqual(parse(ctx.model)["x-fleet-files"], ctx.files);
});

Deno.test("variables in image: resolve from the environment over .env; unset ones stay", () => {
  const root = project({ "deploy/.env": "BB_TAG=from-dotenv\n# c\nexport OTHER='a b'\n" });
  assert.equal(loadStage(root, "live", {}).services[0].image, "busybox:from-dotenv");
  assert.equal(loadStage(root, "live", { BB_TAG: "env" }).services[0].image, "busybox:env");
  const bare = tempProject({
    "stages/dev.yaml": "project: a\nservices:\n  db:\n    image: postgres:${PG}\n",
  });
  assert.equal(loadStage(bare, "dev", {}).services[0].image, "postgres:${PG}");
  assert.match(
    errorOf(() => composeContext(loadStage(bare, "dev", {}), {})).message,
    /services\.db\.image: \$\{PG\} is not set/,
  );
});

Deno.test("compose_file: a missing file, and a bad key in the file, name where", () => {
  const root = tempProject({ "stages/dev.yaml": "project: a\ncompose_file: nope.yaml\n" });
  const e = errorOf(() => loadStage(root, "dev", {}));
  assert.ok(e instanceof ConfigError);
  assert.match(
    e.message,
    /^stages\/dev\.yaml:2:15: compose_file: nope\.yaml: no such Compose file/,
  );
  const bad = tempProject({
    "compose.yaml": "services:\n  web:\n    image: x\n    prots: [1]\n",
    "stages/dev.yaml": "project: a\ncompose_file: compose.yaml\n",
  });
  assert.equal(
    errorOf(() => loadStage(bad, "dev", {})).message,
    'compose.yaml:4:5: services.web.prots: unknown key (did you mean "ports"?)',
  );
});

Deno.test("compose_file: several files merge in order (Compose's rules for what fleet reads)", () => {
  const root = tempProject({
    "compose.yaml": "services:\n  web:\n    image: a:1\n    ports: ['80:80']\n",
    "compose.prod.yaml": "services:\n  web:\n    image: a:2\n    ports: ['443:443']\n",
    "stages/dev.yaml": "project: a\ncompose_file: [compose.yaml, compose.prod.yaml]\n",
  });
  const web = loadStage(root, "dev", {}).services[0];
  assert.equal(web.image, "a:2");
  assert.deepEqual(web.ports, ["80:80", "443:443"]);
});

Deno.test("Compose keys in a stage file pass through: networks, profiles, container_name, x-", () => {
  const root = tempProject({
    "stages/dev.yaml": `project: a
x-env: &env { A: "1" }
networks:
  back: { internal: true }
services:
  web:
    image: x
    environment: *env
    networks: { back: { aliases: [api], ipv4_address: 10.5.0.5 } }
    container_name: web
    depends_on: { db: { condition: service_healthy, restart: true } }
    user: "1000"
    deploy: { resources: { limits: { memory: 64M } } }
  db:
    image: postgres
    profiles: [db]
    healthcheck:
      test: ["CMD", "true"]
      retries: \${R:-3}
      start_interval: 1
    restart: \${POLICY:-unless-stopped}
`,
  });
  const m = parse(composeYaml(loadStage(root, "dev", {})));
  assert.deepEqual(m.networks, { back: { internal: true } });
  assert.deepEqual(m.services.web.networks, {
    back: { aliases: ["api"], ipv4_address: "10.5.0.5" },
  });
  assert.equal(m.services.web.container_name, "web");
  assert.equal(m.services.web.user, "1000");
  assert.deepEqual(m.services.web.deploy, { resources: { limits: { memory: "64M" } } });
  assert.deepEqual(m.services.web.depends_on, {
    db: { condition: "service_healthy", restart: true },
  });
  assert.deepEqual(m.services.db.profiles, ["db"]);
  assert.equal(m.services.db.healthcheck.retries, "${R:-3}");
  assert.equal(m.services.db.healthcheck.start_interval, "1s");
  assert.equal(m.services.db.restart, "${POLICY:-unless-stopped}");
  assert.equal(m["x-env"], undefined, "extensions stay in the stage file");
});

Deno.test("profiles: a profiled service runs only when one of its profiles is active", () => {
  const root = tempProject({
    "stages/dev.yaml": "project: a\nprofiles: [jobs]\nservices:\n  web: { image: x }\n" +
      "  dbg: { image: x, profiles: [debug] }\n  cron: { image: x, profiles: [jobs] }\n",
  });
  const s = loadStage(root, "dev", {});
  assert.deepEqual(activeServices(s).map((x) => x.name), ["web", "cron"]);
  assert.deepEqual(
    activeServices(withProfiles(s, ["debug"])).map((x) => x.name),
    ["web", "dbg", "cron"],
  );
});

Deno.test("service names as Compose allows them; the image repository made valid", () => {
  const root = tempProject({
    "stages/dev.yaml": "project: a\nservices:\n  Wazuh.Master:\n    build: {}\n",
  });
  const s = loadStage(root, "dev", {});
  assert.equal(imageRef(s, s.services[0]), "a-wazuh.master-dev:latest");
});

Deno.test(".env is read as Compose reads it", () => {
  assert.deepEqual(
    parseDotenv(
      "# c\nA=1\nexport B=two words # note\nC='lit $X # x'\nD=\"a\\nb\"\nE=\n bad line\nF: 6\n",
    ),
    { A: "1", B: "two words", C: "lit $X # x", D: "a\nb", E: "", F: "6" },
  );
});
