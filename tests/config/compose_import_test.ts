/** A Compose file in fleet's terms: each key's forms, secrets, interpolation, paths, errors. */
import assert from "node:assert/strict";
import { fromCompose, importCompose } from "../../lib/config/compose_import.ts";
import { rebase } from "../../lib/config/compose_keys.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { errorOf } from "../helpers.ts";

const at = { file: "compose.yaml", base: "" };
const one = (svc: string, base = "") =>
  importCompose(`services:\n  s:\n${svc.replace(/^/gm, "    ")}\n`, { ...at, base });
const svcOf = (svc: string, base = "") => one(svc, base).services.s;
const notes = (svc: string) => one(svc).notes.map((n) => [n.path.join("."), n.text]);

Deno.test("build: the short and the long form, Compose's default Dockerfile made explicit", () => {
  assert.deepEqual(svcOf("build: ./web"), {
    build: { context: "./web", dockerfile: "Dockerfile" },
  });
  assert.deepEqual(
    svcOf(
      "build:\n  context: .\n  dockerfile: app/Dockerfile\n  target: prod\n  args: [A=1, B]",
    ),
    {
      build: {
        context: ".",
        dockerfile: "app/Dockerfile",
        target: "prod",
        args: { A: "1", B: "${B}" },
      },
    },
  );
  assert.deepEqual(svcOf("build: { context: ., args: { N: 3 } }").build, {
    context: ".",
    dockerfile: "Dockerfile",
    args: { N: 3 },
  });
});

Deno.test("build keys fleet does not take are a comment, with the reason", () => {
  assert.deepEqual(notes("build: { context: ., cache_from: [x] }"), [[
    "services.s.build",
    "not taken over from compose.yaml: fleet builds from context, dockerfile, target and args\n" +
    "build:\n  cache_from:\n    - x",
  ]]);
});

Deno.test("image: kept for a service that is not built, a comment for one that is", () => {
  assert.deepEqual(svcOf("image: postgres:16"), { image: "postgres:16" });
  const s = one("build: .\nimage: shop/web:1");
  assert.equal(s.services.s.image, undefined);
  assert.match(s.notes[0].text, /fleet names built images per stage\nimage: shop\/web:1$/);
});

Deno.test("ports: short syntax kept, long syntax written short", () => {
  assert.deepEqual(
    svcOf(
      "image: x\nports:\n  - 80\n  - '8080:80'\n  - { target: 443, published: 8443, host_ip: 127.0.0.1 }\n" +
        "  - { target: 53, published: 53, protocol: udp }\n  - { target: 9, host_ip: '::1', published: 9 }",
    ).ports,
    [80, "8080:80", "127.0.0.1:8443:443", "53:53/udp", "[::1]:9:9"],
  );
});

Deno.test("environment: the list and the map form, a bare name taken from the environment", () => {
  assert.deepEqual(svcOf("image: x\nenvironment: [A=1, B=x=y, C]").environment, {
    A: "1",
    B: "x=y",
    C: null,
  });
  assert.deepEqual(svcOf("image: x\nenvironment: { A: 1, B: true, C: }").environment, {
    A: 1,
    B: true,
    C: null,
  });
});

Deno.test("literal secrets become ${VAR} with a comment; ${VAR} and plain values stay", () => {
  const r = one(
    "image: x\nenvironment:\n  DB_PASSWORD: hunter2\n  API_KEY: k\n  GITHUB_TOKEN: t\n" +
      "  DATABASE_URL: postgres://u:pw@db/app\n  SECRET: ${SECRET}\n  LOG_LEVEL: info\n" +
      "  PUBLIC_URL: https://example.com/\n  KEYBOARD: us\n  EMPTY_PASSWORD: ''\n" +
      "  MYSQL_ALLOW_EMPTY_PASSWORD: 'yes'\n  POSTGRES_PASSWORD_FILE: /run/secrets/pg",
  );
  assert.deepEqual(r.services.s.environment, {
    DB_PASSWORD: "${DB_PASSWORD}",
    API_KEY: "${API_KEY}",
    GITHUB_TOKEN: "${GITHUB_TOKEN}",
    DATABASE_URL: "${DATABASE_URL}",
    SECRET: "${SECRET}",
    LOG_LEVEL: "info",
    PUBLIC_URL: "https://example.com/",
    KEYBOARD: "us",
    EMPTY_PASSWORD: "",
    MYSQL_ALLOW_EMPTY_PASSWORD: "yes",
    POSTGRES_PASSWORD_FILE: "/run/secrets/pg",
  });
  assert.deepEqual(r.secrets, ["DB_PASSWORD", "API_KEY", "GITHUB_TOKEN", "DATABASE_URL"]);
  assert.deepEqual(r.notes[0], {
    path: ["services", "s", "environment", "DB_PASSWORD"],
    text: "a secret, literal in compose.yaml: now ${DB_PASSWORD}, set where fleet runs",
  });
  assert.ok(!JSON.stringify(r).includes("hunter2"), "the literal is kept nowhere");
});

Deno.test("two services with the same secret name but different values get two variables", () => {
  const r = importCompose(
    "services:\n  a:\n    image: x\n    environment: { PASSWORD: one }\n" +
      "  b-2:\n    image: x\n    environment: { PASSWORD: two }\n" +
      "  c:\n    image: x\n    environment: { PASSWORD: one }\n",
    at,
  );
  assert.deepEqual(
    Object.values(r.services).map((s) => s.environment),
    [{ PASSWORD: "${PASSWORD}" }, { PASSWORD: "${B_2_PASSWORD}" }, { PASSWORD: "${PASSWORD}" }],
  );
  assert.deepEqual(r.secrets, ["PASSWORD", "B_2_PASSWORD"]);
});

Deno.test("secret build args become ${VAR} too", () => {
  assert.deepEqual(svcOf("build: { context: ., args: { NPM_TOKEN: abc, V: 1 } }").build, {
    context: ".",
    dockerfile: "Dockerfile",
    args: { NPM_TOKEN: "${NPM_TOKEN}", V: 1 },
  });
});

Deno.test("Compose interpolation is fleet's: $$ stays literal, $VAR is written ${VAR}", () => {
  assert.equal(
    fromCompose("$$HOME $USER ${A:?set A} ${B?x} ${C:-d} ${D}"),
    "$$HOME ${USER} ${A:?set A} ${B?x} ${C:-d} ${D}",
  );
  assert.deepEqual(svcOf("image: x\ncommand: [sh, -c, 'echo $$HOME $NAME']").command, [
    "sh",
    "-c",
    "echo $$HOME ${NAME}",
  ]);
});

Deno.test("env_file and volumes: paths from the Compose file's directory become paths from the root", () => {
  const s = svcOf(
    "image: x\nenv_file: .env\nvolumes:\n  - data:/data\n  - ./conf:/etc/conf:ro\n  - /abs:/abs\n" +
      "  - type: bind\n    source: ../shared\n    target: /shared\n    read_only: true\n" +
      "  - { type: volume, source: cache, target: /cache }\n  - /anon",
    "deploy",
  );
  assert.equal(s.env_file, "deploy/.env");
  assert.deepEqual(s.volumes, [
    "data:/data",
    "./deploy/conf:/etc/conf:ro",
    "/abs:/abs",
    "./shared:/shared:ro",
    "cache:/cache",
    "/anon",
  ]);
  assert.deepEqual(svcOf("build: ./web", "deploy").build, {
    context: "deploy/web",
    dockerfile: "Dockerfile",
  });
  assert.deepEqual(
    svcOf("image: x\nenv_file: [a.env, { path: b.env, required: false }]").env_file,
    [
      "a.env",
      "b.env",
    ],
  );
  assert.equal(rebase("./x", ""), "./x", "at the root, paths stay as written");
  assert.equal(rebase("../x", "a/b"), "a/x");
});

Deno.test("a tmpfs volume is a comment that says how to carry it", () => {
  const r = one("image: x\nvolumes:\n  - { type: tmpfs, target: /tmp }");
  assert.deepEqual(r.services.s.volumes, []);
  assert.match(r.notes[0].text, /use compose: \{ tmpfs: \[<target>\] \}/);
});

Deno.test("depends_on: the list and the map form; conditions become a comment", () => {
  assert.deepEqual(svcOf("image: x\ndepends_on: [db]").depends_on, ["db"]);
  const r = one(
    "image: x\ndepends_on:\n  db: { condition: service_healthy }\n  cache: { condition: service_started }",
  );
  assert.deepEqual(r.services.s.depends_on, ["db", "cache"]);
  assert.deepEqual(r.notes.map((n) => n.path.join(".")), ["services.s.depends_on"]);
  assert.match(r.notes[0].text, /depends_on:\n {2}db:\n {4}condition: service_healthy$/);
});

Deno.test("command, restart and healthcheck", () => {
  assert.deepEqual(
    svcOf(
      "image: x\ncommand: serve --port 80\nrestart: always\nhealthcheck:\n  test: [CMD, 'true']\n" +
        "  interval: 5s\n  timeout: 2s\n  retries: 3\n  start_period: 1s\n  start_interval: 1s",
    ),
    {
      image: "x",
      command: "serve --port 80",
      restart: "always",
      healthcheck: {
        test: ["CMD", "true"],
        interval: "5s",
        timeout: "2s",
        retries: 3,
        start_period: "1s",
      },
    },
  );
  assert.deepEqual(notes("image: x\nhealthcheck: { test: 'true', start_interval: 1s }")[0], [
    "services.s.healthcheck",
    "not taken over from compose.yaml: not a key fleet takes\nhealthcheck:\n  start_interval: 1s",
  ]);
  const r = one("image: x\nrestart: on-failure:3");
  assert.equal(r.services.s.restart, "on-failure");
  assert.match(r.notes[0].text, /restart: on-failure:3$/);
});

Deno.test("other keys go under compose:; keys fleet owns or cannot carry become comments", () => {
  const r = one(
    "image: x\ncontainer_name: web-1\nlabels: { traefik.enable: 'true' }\nnetworks: [back]\n" +
      "entrypoint: [/bin/sh]\nprivileged: true\nuser: '1000'",
  );
  assert.deepEqual(r.services.s, {
    image: "x",
    labels: { "traefik.enable": "true" },
    compose: { entrypoint: ["/bin/sh"], privileged: true, user: "1000" },
  });
  assert.deepEqual(r.notes.map((n) => [n.path.join("."), n.text.split("\n")[1]]), [
    ["services.s.container_name", "container_name: web-1"],
    ["services.s.networks", "networks:"],
  ]);
  const d = one(
    "image: x\nscale: 2\ndeploy: { replicas: 3, resources: { limits: { cpus: '1' } } }",
  );
  assert.deepEqual(d.services.s.compose, { deploy: { resources: { limits: { cpus: "1" } } } });
  assert.deepEqual(d.notes.map((n) => [n.path.join("."), n.text.split("\n")[1]]), [
    ["services.s.scale", "scale: 2"],
    ["services.s.deploy", "deploy:"],
  ]);
  assert.match(r.notes[0].text, /one fixed name would clash between stages/);
});

Deno.test("top-level volumes with options, networks and include are comments in the header", () => {
  const r = importCompose(
    "services:\n  s: { image: x }\nvolumes:\n  plain: {}\n  ext: { external: true }\n" +
      "networks: { back: { driver: overlay } }\n",
    at,
  );
  assert.deepEqual(r.notes.map((n) => [n.path.length, n.text.split("\n").slice(1).join("|")]), [
    [0, "volumes:|  ext:|    external: true"],
    [0, "networks:|  back:|    driver: overlay"],
  ]);
});

Deno.test("YAML anchors and merge keys are followed; the Compose name is kept", () => {
  const r = importCompose(
    "name: shop\nx-base: &base\n  restart: always\nservices:\n  s:\n    <<: *base\n    image: x\n",
    at,
  );
  assert.equal(r.name, "shop");
  assert.deepEqual(r.services.s, { image: "x", restart: "always" });
});

Deno.test("what fleet init cannot take over is a config error naming the file and the key", () => {
  const cases: Array<[string, RegExp]> = [
    [
      "services:\n  My.App:\n    image: x\n",
      /^compose\.yaml: services\.My\.App: fleet service names must match/,
    ],
    [
      "services:\n  a:\n    restart: always\n",
      /^compose\.yaml: services\.a: has neither build nor image$/,
    ],
    ["services: {}\n", /^compose\.yaml: services: no services to take over$/],
    ["services:\n  a: [\n", /^compose\.yaml:\d+:\d+: YAML syntax error: /],
    ["- a\n", /^compose\.yaml: not a Compose file/],
  ];
  for (const [text, message] of cases) {
    const e = errorOf(() => importCompose(text, at));
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
  }
});
