/** Tier 1: exact argv of the deploy plan. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { composeContext, releaseSteps } from "../../lib/engine/compose.ts";
import { pickServices } from "../../lib/config/services.ts";
import { pullable } from "../../lib/docker/images.ts";
import { targetOf } from "../../lib/docker/target.ts";
import { composeYaml, renderCompose } from "../../lib/engine/compose_model.ts";
import { tempProject } from "../helpers.ts";

const root = tempProject({
  "stages/_base.yaml": "project: myapp\n",
  "stages/live.yaml": `registry: ghcr.io/myorg
host: ssh://deploy@\${LIVE_HOST:-203.0.113.10}
services:
  myapp:
    build: {}
    ports: ["8080:8080"]
    environment: { DATABASE_URL: "\${DATABASE_URL}", LITERAL: "a$$b", PORT: "$PORT" }
    volumes: ["data:/data", "./conf:/conf:ro", "~/cache:/cache", "~:/home/me"]
    env_file: .env.live
    depends_on: [db]
    healthcheck: { test: ["CMD", "true"], interval: 5, retries: 3 }
    compose: { stop_grace_period: 3s }
  db:
    image: postgres:16
`,
  "stages/local.yaml": "services:\n  web: { build: {} }\n",
  "stages/ctx.yaml": "context: prod-box\nservices:\n  web: { image: nginx }\n",
});
const live = loadStage(root, "live");
const env = { DATABASE_URL: "postgres://u:pw@db/app", PORT: "8080", HOME: "/home/me" };
const P = ["docker", "compose", "-p", "myapp-live", "--project-directory", root, "-f", "-"];

Deno.test("steps are pull → stop → rm → up with exact argv; secrets only in env", () => {
  const ctx = composeContext(live, env);
  const steps = releaseSteps(ctx, ["myapp", "db"], ["myapp", "db"], { pull: true, only: false });
  assert.deepEqual(steps.map((s) => s.argv), [
    [...P, "pull", "--quiet", "myapp", "db"],
    [...P, "stop", "myapp", "db"],
    [...P, "rm", "--force", "--stop", "myapp", "db"],
    [...P, "up", "--detach", "--no-build", "--pull", "never", "myapp", "db"],
  ]);
  for (const s of steps) {
    assert.deepEqual(s.env, {
      DOCKER_HOST: "ssh://deploy@203.0.113.10",
      COMPOSE_PROGRESS: "plain",
    });
    assert.deepEqual(s.secretEnv, { DATABASE_URL: "postgres://u:pw@db/app", PORT: "8080" });
    assert.ok(!s.argv.join(" ").includes("pw@db"));
    assert.ok(!s.input!.includes("pw@db"), "the model keeps ${VAR}, Compose resolves it");
  }
});

Deno.test("--no-pull drops the pull; -n adds --no-deps", () => {
  const ctx = composeContext(live, env);
  const steps = releaseSteps(ctx, ["myapp"], ["myapp"], { pull: false, only: true });
  assert.deepEqual(steps.map((s) => s.argv.slice(P.length)), [
    ["stop", "myapp"],
    ["rm", "--force", "--stop", "myapp"],
    ["up", "--detach", "--no-build", "--pull", "never", "--no-deps", "myapp"],
  ]);
});

Deno.test("with a wait, up waits through Compose (--wait, whole seconds)", () => {
  const ctx = composeContext(live, env);
  const up = releaseSteps(ctx, ["db"], [], { pull: false, only: true, wait: 7.5 }).at(-1)!;
  assert.deepEqual(up.argv.slice(P.length), [
    "up",
    "--detach",
    "--wait",
    "--wait-timeout",
    "8",
    "--no-build",
    "--pull",
    "never",
    "--no-deps",
    "db",
  ]);
});

Deno.test("context: goes to --context, host: to DOCKER_HOST", () => {
  assert.deepEqual(targetOf(loadStage(root, "ctx"), {}).dockerArgv, [
    "docker",
    "--context",
    "prod-box",
  ]);
  assert.deepEqual(targetOf(live, { LIVE_HOST: "10.0.0.9" }).env, {
    DOCKER_HOST: "ssh://deploy@10.0.0.9",
  });
  assert.deepEqual(targetOf(loadStage(root, "local"), {}).env, {});
});

Deno.test("built images without a registry are not pulled", () => {
  const local = loadStage(root, "local");
  assert.equal(pullable(local, local.services[0]), false);
  assert.equal(pullable(live, live.services[0]), true);
  assert.equal(pullable(live, live.services[1]), true);
});

Deno.test("unknown -n service lists the services", () => {
  assert.throws(() => pickServices(live, ["nope"]), {
    message: `unknown service "nope" (services: myapp, db)`,
  });
  assert.throws(() => pickServices(live, ["dv"]), {
    message: `unknown service "dv" (did you mean "db"?) (services: myapp, db)`,
  });
});

Deno.test("a stage without services is a config error, not a crash", () => {
  const r = tempProject({ "stages/dev.yaml": "project: a\n" });
  assert.throws(() => pickServices(loadStage(r, "dev"), []), {
    message: "stages/dev.yaml:1:1: services: the stage has no services",
  });
});

Deno.test("unset ${VAR} without default is a config error naming it", () => {
  assert.throws(() => composeContext(live, {}), {
    message:
      "stages/live.yaml:7:18: services.myapp.environment: ${DATABASE_URL} is not set (and has no default)\n" +
      "stages/live.yaml:7:18: services.myapp.environment: ${PORT} is not set (and has no default)",
  });
});

Deno.test("${VAR:?message} unset is a config error with the message; its value is masked", () => {
  const r = tempProject({
    "stages/dev.yaml": "project: a\nservices:\n  web:\n    image: x\n" +
      "    environment: { A: '${TOKEN:?set TOKEN to the API token}', B: '${Q?}', C: '$${NOPE}' }\n",
  });
  const dev = loadStage(r, "dev");
  assert.throws(() => composeContext(dev, { Q: "" }), {
    message:
      "stages/dev.yaml:5:18: services.web.environment: ${TOKEN} is not set: set TOKEN to the API token",
  });
  const ctx = composeContext(dev, { TOKEN: "tok-secret", Q: "" });
  assert.deepEqual(ctx.secretEnv, { TOKEN: "tok-secret", Q: "" });
  assert.match(ctx.model, /A: \$\{TOKEN:\?set TOKEN to the API token\}/);
  assert.match(ctx.model, /C: \$\$\{NOPE\}/, "$$ stays literal for Compose");
});

Deno.test("readOnly (ps, logs, down…): no secret needed, a model of names only", () => {
  const ctx = composeContext(live, {}, { readOnly: true });
  assert.deepEqual(ctx.secretEnv, {});
  assert.equal(
    ctx.model,
    "name: myapp-live\nservices:\n  myapp:\n    image: ghcr.io/myorg/myapp-live:latest\n" +
      "  db:\n    image: postgres:16\n",
  );
  const r = tempProject({ "stages/dev.yaml": "project: a\nhost: ssh://${H}\nservices: {}\n" });
  assert.throws(() => composeContext(loadStage(r, "dev"), {}, { readOnly: true }), {
    message: "stages/dev.yaml:2:7: host: ${H} is not set (and has no default)",
  }, "the host is always needed: without it, the command would go to another engine");
});

Deno.test("~ in a bind mount without HOME is a config error", () => {
  assert.throws(() => composeContext(live, { ...env, HOME: undefined }), {
    message:
      `stages/live.yaml:8:14: services.myapp.volumes: "~/cache:/cache": ~ needs HOME, which is not set`,
  });
});

Deno.test("Compose model: images, labels, absolute paths, named volumes, escapes", () => {
  const m = renderCompose(live, { home: "/home/$me" });
  assert.equal(m.name, "myapp-live");
  const app = m.services.myapp;
  assert.equal(app.image, "ghcr.io/myorg/myapp-live:latest");
  assert.deepEqual(app.volumes, [
    "data:/data",
    `${root}/conf:/conf:ro`,
    "/home/$$me/cache:/cache",
    "/home/$$me:/home/me",
  ]);
  assert.deepEqual(app.env_file, [`${root}/.env.live`]);
  assert.deepEqual(app.environment, {
    DATABASE_URL: "${DATABASE_URL}",
    LITERAL: "a$$b",
    PORT: "$PORT",
  });
  assert.deepEqual(app.healthcheck, { test: ["CMD", "true"], interval: "5s", retries: 3 });
  assert.equal(app.stop_grace_period, "3s");
  assert.deepEqual(app.labels, { "dev.fleet.stage": "live", "dev.fleet.service": "myapp" });
  assert.deepEqual(m.volumes, { data: {} });
  assert.equal(m.services.db.image, "postgres:16");
  assert.match(
    composeYaml(live, { images: { db: "postgres:fleet-x" }, home: "/h" }),
    /image: postgres:fleet-x/,
  );
});
