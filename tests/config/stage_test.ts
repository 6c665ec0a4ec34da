import assert from "node:assert/strict";
import { join } from "node:path";
import {
  deepMerge,
  findDockerfile,
  findRoot,
  listStages,
  loadStage,
} from "../../lib/config/stage.ts";
import { ConfigError, UsageError } from "../../lib/core/errors.ts";
import { errorOf, tempProject } from "../helpers.ts";

const base = `project: myapp\nregistry: ghcr.io/myorg\n`;

Deno.test("loads a stage with _base merged and cloud defaults", () => {
  const root = tempProject({
    "stages/_base.yaml": base + "services:\n  myapp:\n    build: {}\n    ports: ['1:1']\n",
    "stages/live.yaml":
      "host: ssh://deploy@203.0.113.10\nservices:\n  myapp:\n    ports: ['8080:8080']\n",
  });
  const s = loadStage(root, "live");
  assert.equal(s.project, "myapp");
  assert.equal(s.platform, "linux/amd64");
  assert.equal(s.buildx, true);
  assert.equal(s.confirm, true);
  assert.equal(s.tag, "latest");
  assert.deepEqual(s.services[0].ports, ["8080:8080"], "lists are replaced, not merged");
  assert.equal(s.services[0].build?.context, root);
});

Deno.test("local gets native platform, no buildx, no confirm; each can be overridden", () => {
  const root = tempProject({
    "stages/local.yaml": base + "services: {}\n",
    "stages/dev.yaml": base + "platform: linux/arm64\nbuildx: false\nconfirm: false\n",
  });
  const l = loadStage(root, "local");
  assert.deepEqual([l.platform, l.buildx, l.confirm], [undefined, false, false]);
  const d = loadStage(root, "dev");
  assert.deepEqual([d.platform, d.buildx, d.confirm], ["linux/arm64", false, false]);
});

Deno.test("deepMerge merges maps and replaces lists and scalars", () => {
  assert.deepEqual(
    deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: 2 }),
    { a: { b: 1, c: [3], e: 2 }, d: 2 },
  );
});

Deno.test("unknown key: file, key path, did you mean", () => {
  const root = tempProject({
    "stages/live.yaml": base + "services:\n  api:\n    image: x\n    prots: ['1:1']\n",
  });
  const e = errorOf(() => loadStage(root, "live"));
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    `stages/live.yaml:6:5: services.api.prots: unknown key (did you mean "ports"?)`,
  );
});

Deno.test("unknown key in _base is reported against _base", () => {
  const root = tempProject({
    "stages/_base.yaml": base + "regsitry: x\n",
    "stages/dev.yaml": "tag: v1\n",
  });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.equal(
    e.message,
    `stages/_base.yaml:3:1: regsitry: unknown key (did you mean "registry"?)`,
  );
});

Deno.test("unknown key with nothing close lists the valid keys", () => {
  const root = tempProject({ "stages/dev.yaml": base + "zzzzzzzz: 1\n" });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.match(
    e.message,
    /^stages\/dev\.yaml:3:1: zzzzzzzz: unknown key \(valid keys: project, registry, /,
  );
});

Deno.test("a list where a map belongs says so (not 'unknown key 0' with the very keys given)", () => {
  const root = tempProject({
    "stages/dev.yaml": base + "services:\n  web: { image: x }\n" +
      "tasks:\n  pre_deploy:\n    - service: web\n      command: [migrate]\n",
  });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.equal(
    e.message,
    "stages/dev.yaml:7:5: tasks.pre_deploy: a map (keys: service, command), not a list",
  );
});

Deno.test("keys under compose: pass through", () => {
  const root = tempProject({
    "stages/dev.yaml": base +
      "services:\n  api:\n    image: x\n    compose: { cap_add: [NET_ADMIN], anything: 1 }\n",
  });
  assert.deepEqual(loadStage(root, "dev").services[0].compose, {
    cap_add: ["NET_ADMIN"],
    anything: 1,
  });
});

Deno.test("YAML syntax error carries the line", () => {
  const root = tempProject({
    "stages/dev.yaml": "project: myapp\nservices:\n  api:\n   image: x\n  - bad\n",
  });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.ok(e instanceof ConfigError);
  assert.match(e.message, /^stages\/dev\.yaml:5:\d+: YAML syntax error: /);
});

Deno.test("unknown stage lists the stages", () => {
  const root = tempProject({
    "stages/_base.yaml": base,
    "stages/local.yaml": "",
    "stages/dev.yml": "",
    "stages/live.yaml": "",
  });
  const e = errorOf(() => loadStage(root, "prod"));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, `unknown stage "prod" (stages: local, dev, live)`);
});

Deno.test("files starting with _ are never stages", () => {
  const root = tempProject({
    "stages/_base.yaml": base,
    "stages/_x.yml": "",
    "stages/pre.yaml": "",
  });
  assert.deepEqual(listStages(root), ["pre"]);
  assert.match(errorOf(() => loadStage(root, "_base")).message, /unknown stage "_base"/);
});

Deno.test("bad service name is rejected with the rule", () => {
  const root = tempProject({ "stages/dev.yaml": base + "services:\n  My Api:\n    image: x\n" });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.equal(
    e.message,
    `stages/dev.yaml:4:3: services.My Api: invalid service name "My Api" (names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
  );
  // Compose's names: capitals and dots (wazuh.master)
  const ok = tempProject({
    "stages/dev.yaml": base + "services:\n  wazuh.Master:\n    image: x\n",
  });
  assert.equal(loadStage(ok, "dev").services[0].name, "wazuh.Master");
});

Deno.test("bad project name, wrong types, and several problems at once", () => {
  const root = tempProject({ "stages/dev.yaml": "project: My App\nbuildx: yes please\ntag: 3\n" });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.equal(
    e.message,
    [
      `stages/dev.yaml:1:10: project: invalid project name "My App" (must match [a-z0-9][a-z0-9_-]*)`,
      `stages/dev.yaml:2:9: buildx: expected boolean, got "yes please"`,
      `stages/dev.yaml:3:6: tag: expected string, got 3`,
    ].join("\n"),
  );
});

Deno.test("project is required; host and context exclude each other; depends_on must exist", () => {
  const r1 = tempProject({ "stages/dev.yaml": "services: {}\n" });
  assert.match(
    errorOf(() => loadStage(r1, "dev")).message,
    /^stages\/dev\.yaml:1:1: project: required/,
  );
  const r2 = tempProject({ "stages/dev.yaml": base + "host: ssh://a\ncontext: b\n" });
  assert.match(
    errorOf(() => loadStage(r2, "dev")).message,
    /^stages\/dev\.yaml:4:10: context: set either host or context, not both$/,
  );
  const r3 = tempProject({
    "stages/dev.yaml": base + "services:\n  a:\n    image: x\n    depends_on: [b]\n",
  });
  assert.equal(
    errorOf(() => loadStage(r3, "dev")).message,
    `stages/dev.yaml:6:17: services.a.depends_on: unknown service "b" (services: a)`,
  );
  const r4 = tempProject({ "stages/dev.yaml": base + "host: http://x\n" });
  assert.match(
    errorOf(() => loadStage(r4, "dev")).message,
    /host: "http:\/\/x": must start with unix:\/\//,
  );
});

Deno.test("a service needs build: or image:", () => {
  const root = tempProject({ "stages/dev.yaml": base + "services:\n  a:\n    ports: ['1:1']\n" });
  assert.equal(
    errorOf(() => loadStage(root, "dev")).message,
    "stages/dev.yaml:5:5: services.a: needs build: or image:",
  );
});

Deno.test("findRoot walks up to the nearest stages/, and -C must have one", () => {
  const root = tempProject({ "stages/dev.yaml": base, "app/src/x.txt": "" });
  assert.equal(findRoot(join(root, "app/src")), root);
  assert.equal(findRoot("/", root), root);
  assert.ok(errorOf(() => findRoot(root, "app")) instanceof UsageError);
});

Deno.test("Dockerfile discovery order", () => {
  const root = tempProject({ "stages/dev.yaml": base + "services:\n  api:\n    build: {}\n" });
  const svc = loadStage(root, "dev").services[0];
  const seen: string[] = [];
  assert.equal(findDockerfile(svc, (p) => (seen.push(p.slice(root.length + 1)), false)), undefined);
  assert.deepEqual(seen, [
    "services/api/Dockerfile",
    "api/Dockerfile",
    "Dockerfile.api",
    "Dockerfile",
  ]);
  assert.equal(
    findDockerfile(svc, (p) => p.endsWith("Dockerfile.api")),
    join(root, "Dockerfile.api"),
  );
});
