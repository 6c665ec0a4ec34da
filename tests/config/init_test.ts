/** The files `fleet init` writes: valid stages for fleet and for the editor's schema. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { INIT_FILES, initFiles, type InitInput } from "../../lib/config/init.ts";
import { SCHEMA_FILE, stageJsonSchema } from "../../lib/config/json_schema.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { ConfigError, UsageError } from "../../lib/core/errors.ts";
import { errorOf, tempProject } from "../helpers.ts";

const COMPOSE = `name: shop
services:
  web:
    build:
      context: ./web
      args: { NPM_TOKEN: 1234567890 }
    container_name: shop-web
    ports: ["8080:80"]
    environment:
      DB_PASSWORD: 98765432109
      LOG_LEVEL: info
    labels: { team: core }
    networks: { back: { aliases: [api] }, front: }
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
    entrypoint: ["/bin/sh", "-c"]
    command: ["httpd -f"]
    configs: [app]
  migrate:
    image: shop/migrate:\${TAG:-1}
    restart: "no"
    networks: [back]
  db:
    image: postgres:16
    profiles: [db]
    networks: [back]
    volumes: ["pgdata:/var/lib/postgresql/data"]
    healthcheck: { test: ["CMD", "pg_isready"], interval: 5s, retries: 5 }
    deploy: { resources: { limits: { memory: 512M } } }
networks:
  back: { internal: true }
  front:
volumes:
  pgdata:
configs:
  app: { content: "password=hunter2" }
`;
const SECRETS = ["1234567890", "98765432109"];

const compose = { text: COMPOSE, file: "compose.yaml", base: "" };
/** The same file with one of fleet's own labels, as `fleet config --compose` prints them. */
const LABELLED = COMPOSE.replace(
  "labels: { team: core }",
  "labels: { dev.fleet.stage: live, team: core }",
);
const ajv = new Ajv({ allErrors: true }).compile(stageJsonSchema());
const write = (files: { path: string; text: string }[], more: Record<string, string> = {}) =>
  tempProject({ ...more, ...Object.fromEntries(files.map((f) => [f.path, f.text])) });

for (
  const [name, input] of [
    ["from a Compose file", { dirName: "x", compose }],
    ["from a Compose file, --copy", { dirName: "x", compose, copy: true }],
    [
      "from a Compose file with dev.fleet.* labels, --copy",
      { dirName: "x", compose: { ...compose, text: LABELLED }, copy: true },
    ],
    ["as a skeleton", { dirName: "My Shop" }],
  ] as Array<[string, InitInput]>
) {
  Deno.test(`init ${name}: every stage loads, and the editor's schema accepts every file`, () => {
    const { files } = initFiles(input);
    assert.deepEqual(files.map((f) => f.path), [...INIT_FILES]);
    const root = write(files, { "compose.yaml": COMPOSE, "web/Dockerfile": "FROM busybox\n" });
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

Deno.test("init --from: _base.yaml names the Compose file and copies nothing of it", () => {
  const { files, imported } = initFiles({ dirName: "x", compose });
  const base = files[0].text;
  assert.deepEqual(parse(base), { project: "shop", compose_file: "compose.yaml" });
  assert.deepEqual(imported?.secrets, ["NPM_TOKEN", "DB_PASSWORD"]);
  assert.match(
    base,
    /# compose\.yaml holds literal values under secret-looking keys \(NPM_TOKEN, DB_PASSWORD\)/,
  );
  for (const f of files) {
    for (const s of [...SECRETS, "hunter2", "shop-web", "pg_isready"]) {
      assert.ok(!f.text.includes(s), `${f.path} has no ${s}`);
    }
  }
  const sub = initFiles({ dirName: "x", compose: { ...compose, file: "deploy/compose.yaml" } });
  assert.equal(parse(sub.files[0].text).compose_file, "deploy/compose.yaml");
});

Deno.test("init --from a file with dev.fleet.* labels: a config error naming them, and --copy", () => {
  const e = errorOf(() => initFiles({ dirName: "x", compose: { ...compose, text: LABELLED } }));
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(
    e.message,
    "compose.yaml: services.web.labels.dev.fleet.stage: dev.fleet.* labels are fleet's own",
  );
  assert.match(
    e.hint ?? "",
    /remove them from compose\.yaml .* `fleet init --from compose\.yaml --copy`/,
  );
});

Deno.test("init --copy: every key of the services, secrets as ${VAR}, nothing secret anywhere", () => {
  const labelled = { ...compose, text: LABELLED };
  const { files, imported } = initFiles({ dirName: "x", compose: labelled, copy: true });
  const base = files[0].text;
  const data = parse(base);
  assert.equal(data.project, "shop");
  assert.deepEqual(Object.keys(data), ["project", "services", "networks", "volumes", "configs"]);
  assert.deepEqual(data.services.web.environment, {
    DB_PASSWORD: "${DB_PASSWORD}",
    LOG_LEVEL: "info",
  });
  assert.deepEqual(data.services.web.build.args, { NPM_TOKEN: "${NPM_TOKEN}" });
  assert.deepEqual(data.services.web.labels, { team: "core" });
  assert.deepEqual(data.services.web.depends_on, {
    db: { condition: "service_healthy" },
    migrate: { condition: "service_completed_successfully" },
  });
  assert.deepEqual(data.services.web.networks, { back: { aliases: ["api"] }, front: null });
  assert.equal(data.services.web.container_name, "shop-web");
  assert.deepEqual(data.services.db.profiles, ["db"]);
  assert.deepEqual(data.services.db.deploy, { resources: { limits: { memory: "512M" } } });
  assert.deepEqual(data.networks, { back: { internal: true }, front: null });
  assert.deepEqual(data.configs, { app: { content: "password=hunter2" } }, "data, as it was");
  assert.deepEqual(imported?.secrets, ["NPM_TOKEN", "DB_PASSWORD"]);
  assert.match(
    base,
    /# a secret, literal in compose\.yaml: now \$\{DB_PASSWORD\}, set where fleet runs\n\s+DB_PASSWORD: \$\{DB_PASSWORD\}\n/,
  );
  assert.match(base, /# Set before deploying \(secrets that were literal in compose\.yaml/);
  assert.match(
    base,
    /# not taken over from compose\.yaml: dev\.fleet\.stage \(dev\.fleet\.\* labels/,
  );
  assert.match(base, /\n {4}ports: \["8080:80"\]\n/, "short lists in flow style, quoted");
  assert.doesNotMatch(base, /^\s*#.*hunter2/m, "config content is never in a comment");
  for (const f of files) {
    for (const s of SECRETS) assert.ok(!f.text.includes(s), `${f.path} has no ${s}`);
  }
  const root = write(files, { "web/Dockerfile": "FROM busybox\n" });
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
  const project = (input: InitInput) => parse(initFiles(input).files[0].text).project;
  assert.equal(project({ dirName: "My Shop!" }), "my-shop");
  assert.equal(project({ dirName: "x", project: "api" }), "api");
  assert.equal(project({ dirName: "__" }), "app");
  assert.equal(project({ dirName: "x", compose }), "shop");
  const e = errorOf(() => initFiles({ dirName: "x", project: "Bad Name" }));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /^--project "Bad Name": must match/);
});

Deno.test("init --copy of 10,000 services, each with a secret, takes about ten times 1,000's", () => {
  const text = (n: number) => {
    let s = "services:\n";
    for (let i = 0; i < n; i++) {
      s += `  s${i}:\n    image: x\n    environment: { DB_PASSWORD: pw${i} }\n`;
    }
    return s;
  };
  const time = (n: number) => {
    const input = { dirName: "x", copy: true, compose: { ...compose, text: text(n) } };
    const t = performance.now();
    initFiles(input);
    return performance.now() - t;
  };
  time(1000); // warm up
  const small = Math.min(time(1000), time(1000), time(1000)); // the least disturbed of three
  const ratio = time(10000) / small;
  // linear is 10× (a loaded machine: up to ~20×); the quadratic notes of before took 42×
  assert.ok(ratio < 25, `10,000 services took ${ratio.toFixed(1)}× as long as 1,000`);
});
