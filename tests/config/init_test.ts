/** The files `fleet init` writes: valid stages for fleet and for the editor's schema. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { INIT_FILES, initFiles } from "../../lib/config/init.ts";
import { SCHEMA_FILE, stageJsonSchema } from "../../lib/config/json_schema.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { UsageError } from "../../lib/core/errors.ts";
import { errorOf, tempProject } from "../helpers.ts";

const COMPOSE = `name: shop
services:
  web:
    build: ./web
    container_name: shop-web
    ports: ["8080:80"]
    environment:
      DB_PASSWORD: hunter2
      LOG_LEVEL: info
    depends_on:
      db: { condition: service_healthy }
    entrypoint: ["/bin/sh", "-c"]
    command: ["httpd -f"]
  db:
    image: postgres:16
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD", "pg_isready"], interval: 5s, retries: 5 }
`;

const ajv = new Ajv({ allErrors: true }).compile(stageJsonSchema());
const write = (files: { path: string; text: string }[]) =>
  tempProject(Object.fromEntries(files.map((f) => [f.path, f.text])));

for (
  const [name, input] of [
    ["from a Compose file", {
      dirName: "x",
      compose: { text: COMPOSE, file: "compose.yaml", base: "" },
    }],
    ["as a skeleton", { dirName: "My Shop" }],
  ] as const
) {
  Deno.test(`init ${name}: every stage loads, and the editor's schema accepts every file`, () => {
    const { files } = initFiles(input);
    assert.deepEqual(files.map((f) => f.path), [...INIT_FILES]);
    const root = write(files);
    for (const stage of ["local", "dev", "live"]) {
      const s = loadStage(root, stage);
      assert.ok(s.services.length > 0, stage);
    }
    for (const f of files.filter((f) => f.path.endsWith(".yaml"))) {
      assert.equal(
        f.text.split("\n")[0],
        `# yaml-language-server: $schema=${SCHEMA_FILE}`,
        `${f.path} starts with the schema line`,
      );
      assert.equal(ajv(parse(f.text) ?? {}), true, `${f.path}: ${JSON.stringify(ajv.errors)}`);
    }
    assert.deepEqual(JSON.parse(files[4].text), stageJsonSchema());
  });
}

Deno.test("init from Compose: the project, services and comments of _base.yaml", () => {
  const { files, imported } = initFiles({
    dirName: "x",
    compose: { text: COMPOSE, file: "compose.yaml", base: "" },
  });
  const base = files[0].text;
  assert.deepEqual(imported?.secrets, ["DB_PASSWORD"]);
  assert.match(base, /^project: shop$/m, "the Compose name is the project");
  assert.match(
    base,
    /# a secret, literal in compose\.yaml: now \$\{DB_PASSWORD\}, set where fleet runs\n\s+DB_PASSWORD: \$\{DB_PASSWORD\}\n/,
  );
  assert.match(base, /# Set before deploying \(secrets that were literal in compose\.yaml/);
  assert.match(base, /\n {4}# container_name: shop-web\n {2}db:/, "a dropped key, at the end");
  assert.match(base, /\n {4}compose:\n {6}entrypoint: \["\/bin\/sh", "-c"\]\n/);
  assert.match(base, /\n {4}ports: \["8080:80"\]\n/, "short lists in flow style, quoted");
  assert.ok(!base.includes("hunter2"));
  const root = write(files);
  const web = loadStage(root, "live").services.find((s) => s.name === "web")!;
  assert.equal(web.build?.dockerfile, join(root, "web/Dockerfile"));
});

Deno.test("init: cloud stages have example hosts marked CHANGE ME; local deploys locally", () => {
  const { files } = initFiles({ dirName: "x" });
  for (const f of files.slice(2, 4)) {
    assert.match(f.text, /^host: ssh:\/\/deploy@203\.0\.113\.\d+ # CHANGE ME$/m, f.path);
    assert.match(f.text, /documentation address \(RFC 5737\)/);
  }
  const root = write(files);
  assert.equal(loadStage(root, "local").host, undefined);
  assert.equal(loadStage(root, "dev").host, "ssh://deploy@203.0.113.10");
});

Deno.test("init: the project name from --project, else Compose's, else the directory's", () => {
  const project = (input: Parameters<typeof initFiles>[0]) =>
    parse(initFiles(input).files[0].text).project;
  assert.equal(project({ dirName: "My Shop!" }), "my-shop");
  assert.equal(project({ dirName: "x", project: "api" }), "api");
  assert.equal(project({ dirName: "__" }), "app");
  const e = errorOf(() => initFiles({ dirName: "x", project: "Bad Name" }));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /^--project "Bad Name": must match/);
});
