/**
 * Issue 23 end to end: a project's own compose.yaml (a migration job, a web service that waits
 * for it on two networks, one internal with an alias, a profiled debug service, an image tag
 * from a variable with a default and a value from .env) deployed whole by fleet.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, fleet, freePort, uniqueName } from "./harness.ts";

const compose = (port: number, exit: number) => `
x-restart: &restart
  restart: unless-stopped
services:
  migrate:
    image: busybox:\${BB_TAG:-not-this-one}
    command: ["sh", "-c", "echo migrating; exit ${exit}"]
    restart: "no"
    networks: [back]
  web:
    <<: *restart
    build: ./web
    ports: ["127.0.0.1:\${WEB_PORT:-${port}}:8080"]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: \${RETRIES:-20}
    depends_on:
      migrate:
        condition: service_completed_successfully
    networks:
      front: {}
      back:
        aliases: [api]
  probe:
    image: busybox:\${BB_TAG:-not-this-one}
    command: ["sleep", "3600"]
    init: true
    networks: [back]
  debug:
    image: busybox:\${BB_TAG:-not-this-one}
    command: ["sleep", "3600"]
    init: true
    profiles: [debug]
networks:
  front: {}
  back:
    internal: true
`;

const dockerfile = (v: string) =>
  `FROM busybox:latest\nRUN mkdir /www && echo ${v} > /www/index.html\n` +
  `CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`;

e2e("a real compose.yaml deploys whole: job, networks, alias, profile, .env", async (tb) => {
  const project = uniqueName("ca");
  const port = freePort();
  const dir = Deno.makeTempDirSync({ prefix: "fleet-compose-app-" });
  const write = (rel: string, text: string) => {
    Deno.mkdirSync(join(dir, rel, ".."), { recursive: true });
    Deno.writeTextFileSync(join(dir, rel), text);
  };
  write("compose.yaml", compose(port, 0));
  write(".env", "BB_TAG=latest\n");
  write("web/Dockerfile", dockerfile("v1"));
  write("stages/_base.yaml", `project: ${project}\ncompose_file: compose.yaml\n`);
  write("stages/local.yaml", "services:\n  web:\n    environment: { FROM_STAGE: 'yes' }\n");
  const env = { DOCKER_HOST: tb.engine1, PATH: Deno.env.get("PATH")!, HOME: dir };
  const run = (args: string[]) => fleet(args, { cwd: dir, env });
  const names = async () =>
    (await docker(tb.engine1, [
      "ps",
      "-a",
      "--filter",
      `label=com.docker.compose.project=${project}-local`,
      "--format",
      '{{.Label "com.docker.compose.service"}} {{.State}}',
    ])).trim().split("\n").filter(Boolean).sort();
  const get = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    return (await r.text()).trim();
  };
  try {
    // the model fleet deploys: Compose's merge of the file, fleet's image and labels on top
    const cfg = await run(["config", "local", "--compose"]);
    assert.equal(cfg.code, 0, cfg.stderr);
    assert.match(cfg.stdout, /aliases:\n\s+- api/);
    assert.match(cfg.stdout, /internal: true/);
    assert.match(cfg.stdout, /condition: service_completed_successfully/);
    assert.match(cfg.stdout, new RegExp(`image: ${project}-web-local:latest`));
    assert.match(cfg.stdout, /FROM_STAGE(: "?|=)yes/, "the stage file's overlay");

    const b = await run(["build", "local"]);
    assert.equal(b.code, 0, b.stderr);
    const d = await run(["deploy", "local", "--yes", "--no-pull"]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await get(), "v1");
    assert.deepEqual(await names(), ["migrate exited", "probe running", "web running"]);
    assert.match(d.stdout, /migrate\s+busybox:latest/, "the tag from .env, shown resolved");
    // the alias resolves on the internal network, from another container
    const viaAlias = await docker(tb.engine1, [
      "exec",
      `${project}-local-probe-1`,
      "wget",
      "-qO-",
      "http://api:8080/",
    ]);
    assert.equal(viaAlias.trim(), "v1");

    // the debug service runs only with its profile
    const dbg = await run(["deploy", "local", "--yes", "--no-pull", "--profile", "debug"]);
    assert.equal(dbg.code, 0, dbg.stderr);
    assert.ok((await names()).includes("debug running"), (await names()).join(", "));

    // v2 whose job fails: the release fails before web is replaced... and v1 serves again
    write("compose.yaml", compose(port, 3));
    write("web/Dockerfile", dockerfile("v2"));
    const b2 = await run(["build", "local"]);
    assert.equal(b2.code, 0, b2.stderr);
    const bad = await run(["deploy", "local", "--yes", "--no-pull"]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /migrate.*one-shot job exited with code 3/);
    assert.match(bad.stderr, /migrating/, "its last log lines");
    assert.equal(await get(), "v1", "the previous release serves");
    const h = await run(["history", "local", "--json"]);
    const releases = JSON.parse(h.stdout).releases as { kind: string; result: string }[];
    assert.equal(releases.find((r) => r.kind === "deploy")?.result, "rolled-back", h.stdout);
  } finally {
    await run(["down", "local", "--yes"]);
    const left = await docker(tb.engine1, [
      "network",
      "ls",
      "--filter",
      `label=com.docker.compose.project=${project}-local`,
      "-q",
    ]);
    await docker(tb.engine1, ["image", "rm", "-f", `${project}-web-local:latest`]).catch(() => {});
    Deno.removeSync(dir, { recursive: true });
    assert.equal(left.trim(), "", "down takes the project's networks away");
  }
});
