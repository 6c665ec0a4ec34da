/** Tier 2: what Docker or Compose would reject later is a config error when the stage loads. */
import assert from "node:assert/strict";
import { invalidStageFiles, listStages, loadStage } from "../../lib/config/stage.ts";
import { ConfigError, UsageError } from "../../lib/core/errors.ts";
import { renderCompose } from "../../lib/engine/compose_model.ts";
import { errorOf, tempProject } from "../helpers.ts";

const load = (service: string, top = "") =>
  loadStage(
    tempProject({ "stages/dev.yaml": `project: a\n${top}services:\n  web:\n${service}` }),
    "dev",
  );
const problem = (service: string, top = "") => errorOf(() => load(service, top)).message;

Deno.test("compose: may not set what fleet owns, and says which key to use", () => {
  const e = errorOf(() =>
    load(
      "    image: x\n    compose:\n      image: evil\n      labels: { a: b }\n" +
        "      container_name: web\n      ports: ['1:1']\n      deploy: { replicas: 2 }\n" +
        "      profiles: [debug]\n      privileged: true\n      network_mode: host\n",
    )
  );
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    [
      "stages/dev.yaml:6:14: services.web.compose.image: fleet sets image itself: use services.web.image",
      "stages/dev.yaml:7:15: services.web.compose.labels: fleet sets labels itself: use services.web.labels",
      "stages/dev.yaml:9:14: services.web.compose.ports: fleet sets ports itself: use services.web.ports",
      "stages/dev.yaml:10:27: services.web.compose.deploy.replicas: fleet runs one container per service",
    ].join("\n"),
  );
  const ok = load(
    "    image: x\n    compose: { privileged: true, network_mode: host, deploy: { resources: {} } }\n",
  );
  assert.deepEqual(ok.services[0].compose, {
    privileged: true,
    network_mode: "host",
    deploy: { resources: {} },
  });
});

Deno.test("labels: the user's, next to fleet's own (which cannot be set)", () => {
  const s = load("    image: x\n    labels: { team: core, tier: 1 }\n");
  assert.deepEqual(renderCompose(s).services.web.labels, {
    team: "core",
    tier: "1",
    "dev.fleet.stage": "dev",
    "dev.fleet.service": "web",
  });
  const l = load("    image: x\n    labels: [team=core, a=b=c]\n");
  assert.deepEqual(renderCompose(l).services.web.labels, {
    team: "core",
    a: "b=c",
    "dev.fleet.stage": "dev",
    "dev.fleet.service": "web",
  });
  assert.equal(
    problem("    image: x\n    labels: { dev.fleet.stage: live }\n"),
    "stages/dev.yaml:5:13: services.web.labels: dev.fleet.* labels are fleet's own",
  );
});

Deno.test("values docker would reject: image, registry, platform, context, build args", () => {
  assert.equal(
    problem("    image: '--help'\n"),
    `stages/dev.yaml:4:12: services.web.image: "--help": not an image reference ` +
      "([registry/]name[:tag][@digest], lowercase name)",
  );
  assert.match(
    problem("    image: x\n", "registry: -r\n"),
    /^stages\/dev\.yaml:2:11: registry: "-r": not a registry/,
  );
  assert.match(
    problem("    image: x\n", "platform: amd64\n"),
    /^stages\/dev\.yaml:2:11: platform: "amd64" is not os\/arch\[\/variant\]/,
  );
  assert.equal(
    load("    image: x\n", "platform: linux/amd64,linux/arm64\n").platform,
    "linux/amd64,linux/arm64",
  );
  assert.match(
    problem("    image: x\n", "context: -x\n"),
    /context: "-x": not a Docker context name/,
  );
  assert.match(
    problem("    build: { args: { 'A=B': 1 } }\n"),
    /services\.web\.build\.args\.A=B: "A=B": not a variable name/,
  );
  assert.deepEqual(load("    image: x\n", "registry: ''\n").registry, undefined, "'' means none");
});

Deno.test("ports Compose or the engine would reject: short and long syntax", () => {
  assert.equal(
    problem("    image: x\n    ports: ['8080:80', abc, 70000, { target: 80, published: 0 }]\n"),
    [
      `stages/dev.yaml:5:24: services.web.ports.1: "abc": the container port is not a port or range (1–65535)`,
      "stages/dev.yaml:5:29: services.web.ports.2: 70000: not a port (1–65535)",
      "stages/dev.yaml:5:36: services.web.ports.3: published: not a port or range (1–65535)",
    ].join("\n"),
  );
  const s = load(
    "    image: x\n    ports: ['127.0.0.1:8080:80/udp', 9000, { target: 80, published: '8081', mode: host }]\n",
  );
  assert.deepEqual(renderCompose(s).services.web.ports, [
    "127.0.0.1:8080:80/udp",
    "9000",
    { target: 80, published: "8081", mode: "host" },
  ]);
});

Deno.test("a variable Compose cannot read is a config error at its key", () => {
  assert.equal(
    problem("    image: x\n    environment: { A: 'x${5}' }\n"),
    `stages/dev.yaml:5:23: services.web.environment.A: invalid variable "\${5}" (write $$ for a literal $)`,
  );
  assert.match(
    problem("    image: x\n    command: ['${A']\n"),
    /command\.0: invalid variable "\$\{A" \(write \$\$ for a literal \$\)$/,
  );
});

Deno.test("~user in a bind mount is refused; ~/ is the home of the user running fleet", () => {
  assert.equal(
    problem("    image: x\n    volumes: ['~bob/x:/x']\n"),
    `stages/dev.yaml:5:15: services.web.volumes.0: "~bob/x:/x": ~user is not supported: ~ is the home ` +
      "of the user running fleet",
  );
  const s = load("    image: x\n    volumes: ['~/x:/x']\n");
  assert.deepEqual(renderCompose(s, { home: "/home/me" }).services.web.volumes, ["/home/me/x:/x"]);
});

Deno.test("a file whose name is not a stage name: one message, from stages and from load", () => {
  const root = tempProject({
    "stages/my.stage.yaml": "project: a\n",
    "stages/dev.yaml": "project: a\n",
  });
  assert.deepEqual(listStages(root), ["dev"]);
  assert.deepEqual(invalidStageFiles(root), ["my.stage"]);
  const e = errorOf(() => loadStage(root, "my.stage"));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, `stages/my.stage.yaml: "my.stage" is not a valid stage name`);
  assert.equal(
    e.hint,
    "a stage's name is its file's name and must match [a-z0-9][a-z0-9_-]*: rename the file",
  );
});

Deno.test("a nested environment value is named where it is, not as the union that did not match", () => {
  assert.equal(
    problem("    image: x\n    environment:\n      A:\n        nested: 1\n"),
    "stages/dev.yaml:7:9: services.web.environment.A: expected (string | number | boolean), got Object",
  );
  assert.equal(
    problem("    image: x\n    environment: [ok, { a: 2 }]\n"),
    "stages/dev.yaml:5:23: services.web.environment.1: expected string, got Object",
  );
  // a value of the wrong kind altogether still says what the key takes
  assert.equal(
    problem("    image: x\n    environment: 5\n"),
    "stages/dev.yaml:5:18: services.web.environment: expected (Array | Object), got 5",
  );
});
