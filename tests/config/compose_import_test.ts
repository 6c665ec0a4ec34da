/** A Compose file in fleet's terms (`fleet init --copy`): carried as is, but secrets and paths. */
import assert from "node:assert/strict";
import { importCompose } from "../../lib/config/compose_import.ts";
import { isLiteralSecret, rebase } from "../../lib/config/compose_keys.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { errorOf } from "../helpers.ts";
import { parse } from "yaml";

const at = { file: "compose.yaml", base: "" };
const one = (svc: string, base = "") =>
  importCompose(`services:\n  s:\n${svc.replace(/^/gm, "    ")}\n`, { ...at, base });
const svcOf = (svc: string, base = "") => one(svc, base).services.s;

Deno.test("every Compose service key is carried as it is", () => {
  const svc = `image: ghcr.io/acme/web:\${TAG:-1.2}
container_name: web-1
entrypoint: [/bin/sh, -c]
command: serve --port $PORT
user: "1000:0"
working_dir: /srv
restart: on-failure:3
profiles: [debug]
ports:
  - 80
  - { target: 443, published: 8443, host_ip: 127.0.0.1, protocol: tcp }
expose: ["9000"]
networks:
  front:
  back:
    aliases: [api, api.internal]
    ipv4_address: 172.22.1.10
    priority: 10
depends_on:
  db: { condition: service_healthy, restart: true }
  migrate: { condition: service_completed_successfully, required: false }
healthcheck:
  test: [CMD, "true"]
  interval: 5s
  start_interval: 1s
  retries: \${R:-3}
deploy:
  replicas: 2
  resources: { limits: { cpus: "0.5", memory: 256M }, reservations: { memory: 64M } }
configs: [{ source: app, target: /etc/app.conf }]
secrets: [db_password]
tmpfs: [/tmp]
stop_grace_period: 30s
x-custom: { a: 1 }`;
  const s = svcOf(svc);
  assert.deepEqual(s, parse(svc), "the service as the YAML has it");
  assert.deepEqual(Object.keys(s), [
    "image",
    "container_name",
    "entrypoint",
    "command",
    "user",
    "working_dir",
    "restart",
    "profiles",
    "ports",
    "expose",
    "networks",
    "depends_on",
    "healthcheck",
    "deploy",
    "configs",
    "secrets",
    "tmpfs",
    "stop_grace_period",
    "x-custom",
  ]);
  assert.deepEqual(s.networks, {
    front: null,
    back: { aliases: ["api", "api.internal"], ipv4_address: "172.22.1.10", priority: 10 },
  });
  assert.deepEqual(s.depends_on, {
    db: { condition: "service_healthy", restart: true },
    migrate: { condition: "service_completed_successfully", required: false },
  });
  assert.equal(s.command, "serve --port $PORT", "Compose's own interpolation, unchanged");
  assert.equal(s.restart, "on-failure:3");
  assert.deepEqual(s.deploy, {
    replicas: 2,
    resources: { limits: { cpus: "0.5", memory: "256M" }, reservations: { memory: "64M" } },
  });
  assert.deepEqual(one(svc).notes, [], "nothing left out, nothing to say");
});

Deno.test("top-level networks, volumes, configs and secrets are carried; name is the project", () => {
  const r = importCompose(
    `name: shop
version: "3.8"
x-common: &common { restart: always }
services:
  s: { <<: *common, image: x }
networks:
  front:
  back: { internal: true, driver: bridge, ipam: { config: [{ subnet: 172.22.1.0/24 }] } }
  ext: { external: true, name: shared }
volumes:
  data:
  ext: { external: true }
configs:
  app: { file: ./conf/app.conf }
  inline: { content: "log_level: info" }
secrets:
  db_password: { file: ./secrets/db.txt }
  token: { environment: API_TOKEN }
`,
    { file: "deploy/compose.yaml", base: "deploy" },
  );
  assert.equal(r.name, "shop");
  assert.deepEqual(r.services.s, { restart: "always", image: "x" });
  assert.deepEqual(r.top, {
    networks: {
      front: null,
      back: { internal: true, driver: "bridge", ipam: { config: [{ subnet: "172.22.1.0/24" }] } },
      ext: { external: true, name: "shared" },
    },
    volumes: { data: null, ext: { external: true } },
    configs: { app: { file: "deploy/conf/app.conf" }, inline: { content: "log_level: info" } },
    secrets: {
      db_password: { file: "deploy/secrets/db.txt" },
      token: { environment: "API_TOKEN" },
    },
  });
  assert.deepEqual(r.notes, []);
});

Deno.test("the secret rule: keys that name a secret, with a literal value, numbers too", () => {
  const yes: Array<[string, unknown]> = [
    ["DB_PASSWORD", "hunter2"],
    ["DB_PASSWORD", 98765432109],
    ["NPM_TOKEN", 1234567890],
    ["db_password", "x"],
    ["AUTHENTIK_SECRET_KEY", "s"],
    ["API_KEY", "k"],
    ["APIKEY", "k"],
    ["ENCRYPTION_KEY", "k"],
    ["AWS_CREDENTIALS", "c"],
    ["SMTP_PASS", "p"],
    ["PRIVATEKEY", "p"],
    ["PASSWORD", "pa$$word"],
    ["DATABASE_URL", "postgres://u:pw@db/app"],
  ];
  const no: Array<[string, unknown]> = [
    ["POSTGRES_PASSWORD_FILE", "/run/secrets/pg"],
    ["DATABASE_PASSWORD", "/run/secrets/db-password"],
    ["DB_PASSWORD", "${DB_PASSWORD}"],
    ["DB_PASSWORD", "$DB_PASSWORD"],
    ["DB_PASSWORD", "${A:-x}-suffix"],
    ["EMPTY_PASSWORD", ""],
    ["MYSQL_ALLOW_EMPTY_PASSWORD", "yes"],
    ["MYSQL_RANDOM_ROOT_PASSWORD", 1],
    ["PASSWORD_AUTH", true],
    ["DB_PASSWORD", null],
    ["KEYBOARD", "us"],
    ["MONKEY", "banana"],
    ["LOG_LEVEL", "info"],
    ["PUBLIC_URL", "https://example.com/"],
  ];
  for (const [k, v] of yes) assert.equal(isLiteralSecret(k, v), true, `${k}: ${v}`);
  for (const [k, v] of no) assert.equal(isLiteralSecret(k, v), false, `${k}: ${v}`);
});

Deno.test("literal secrets become ${VAR} in either form of environment, numbers too", () => {
  const r = one(
    "image: x\nenvironment:\n  DB_PASSWORD: 98765432109\n  GITHUB_TOKEN: t0k\n" +
      "  SECRET: ${SECRET}\n  LOG_LEVEL: info\n  POSTGRES_PASSWORD_FILE: /run/secrets/pg",
  );
  assert.deepEqual(r.services.s.environment, {
    DB_PASSWORD: "${DB_PASSWORD}",
    GITHUB_TOKEN: "${GITHUB_TOKEN}",
    SECRET: "${SECRET}",
    LOG_LEVEL: "info",
    POSTGRES_PASSWORD_FILE: "/run/secrets/pg",
  });
  assert.deepEqual(r.secrets, ["DB_PASSWORD", "GITHUB_TOKEN"]);
  assert.deepEqual(r.notes[0], {
    path: ["services", "s", "environment", "DB_PASSWORD"],
    text: "a secret, literal in compose.yaml: now ${DB_PASSWORD}, set where fleet runs",
  });
  const list = svcOf("image: x\nenvironment: [API_TOKEN=abc, MODE=prod, BARE, X_KEY=]");
  assert.deepEqual(list.environment, ["API_TOKEN=${API_TOKEN}", "MODE=prod", "BARE", "X_KEY="]);
  const text = JSON.stringify(r);
  assert.ok(!text.includes("98765432109") && !text.includes("t0k"), "the literal is nowhere");
});

Deno.test("two services with the same secret name but different values get two variables", () => {
  const r = importCompose(
    "services:\n  a:\n    image: x\n    environment: { PASSWORD: one }\n" +
      "  b.2:\n    image: x\n    environment: { PASSWORD: two }\n" +
      "  c:\n    image: x\n    environment: { PASSWORD: one }\n",
    at,
  );
  assert.deepEqual(
    Object.values(r.services).map((s) => s.environment),
    [{ PASSWORD: "${PASSWORD}" }, { PASSWORD: "${B_2_PASSWORD}" }, { PASSWORD: "${PASSWORD}" }],
  );
  assert.deepEqual(r.secrets, ["PASSWORD", "B_2_PASSWORD"]);
});

Deno.test("build: fleet's build, secret args out (numbers too), other keys named, not copied", () => {
  assert.deepEqual(svcOf("build: ./web"), {
    build: { context: "./web", dockerfile: "Dockerfile" },
  });
  const r = one(
    "build:\n  context: .\n  dockerfile: app/Dockerfile\n  target: prod\n" +
      "  args: [NPM_TOKEN=1234567890, B, V=1]\n  cache_from: [x]\n" +
      "  dockerfile_inline: 'FROM x\\nENV PASSWORD=hunter2'\nimage: shop/web:1",
  );
  assert.deepEqual(r.services.s, {
    build: {
      context: ".",
      dockerfile: "app/Dockerfile",
      target: "prod",
      args: { NPM_TOKEN: "${NPM_TOKEN}", B: "${B}", V: "1" },
    },
  });
  assert.deepEqual(
    svcOf("build: { context: ., args: { NPM_TOKEN: 1234567890 } }").build,
    { context: ".", dockerfile: "Dockerfile", args: { NPM_TOKEN: "${NPM_TOKEN}" } },
  );
  const notes = r.notes.map((n) => n.text).join("\n");
  assert.match(notes, /build\.cache_from, build\.dockerfile_inline \(fleet builds from/);
  assert.match(notes, /not taken over from compose\.yaml: image: shop\/web:1 \(fleet names/);
  assert.ok(!JSON.stringify(r).includes("hunter2") && !JSON.stringify(r).includes("1234567890"));
});

Deno.test("configs: inline content is data, never a comment; under a secret's name, ${VAR}", () => {
  const r = importCompose(
    "services:\n  s: { image: x, configs: [app, api_key] }\nconfigs:\n" +
      "  app: { content: 'password=hunter2' }\n  api_key: { content: 's3cr3t' }\n",
    at,
  );
  assert.deepEqual(r.top.configs, {
    app: { content: "password=hunter2" },
    api_key: { content: "${API_KEY}" },
  });
  assert.deepEqual(r.secrets, ["API_KEY"]);
  assert.ok(!r.notes.some((n) => /hunter2|s3cr3t/.test(n.text)), "no content in a comment");
});

Deno.test("paths from the Compose file's directory become paths from the root", () => {
  const s = svcOf(
    "image: x\nenv_file: [.env, { path: b.env, required: false }]\nvolumes:\n" +
      "  - data:/data\n  - ./conf:/etc/conf:ro\n  - /abs:/abs\n  - ${DIR}/x:/x\n" +
      "  - { type: bind, source: ../shared, target: /shared, read_only: true }\n" +
      "  - { type: volume, source: cache, target: /cache }\n  - { type: tmpfs, target: /tmp }\n" +
      "  - /anon\nextends: { file: common.yaml, service: base }",
    "deploy",
  );
  assert.deepEqual(s.env_file, ["deploy/.env", { path: "deploy/b.env", required: false }]);
  assert.deepEqual(s.volumes, [
    "data:/data",
    "./deploy/conf:/etc/conf:ro",
    "/abs:/abs",
    "${DIR}/x:/x",
    { type: "bind", source: "./shared", target: "/shared", read_only: true },
    { type: "volume", source: "cache", target: "/cache" },
    { type: "tmpfs", target: "/tmp" },
    "/anon",
  ]);
  assert.deepEqual(s.extends, { file: "deploy/common.yaml", service: "base" });
  assert.equal(svcOf("image: x\nenv_file: .env", "deploy").env_file, "deploy/.env");
  assert.deepEqual(svcOf("build: ./web", "deploy").build, {
    context: "deploy/web",
    dockerfile: "Dockerfile",
  });
  assert.equal(rebase("./x", ""), "./x", "at the root, paths stay as written");
  assert.equal(rebase("../x", "a/b"), "a/x");
});

Deno.test("dev.fleet.* labels are left out with a note naming them; other labels stay", () => {
  const m = one("image: x\nlabels: { dev.fleet.project: a, traefik.enable: 'true' }");
  assert.deepEqual(m.services.s.labels, { "traefik.enable": "true" });
  assert.match(m.notes[0].text, /: dev\.fleet\.project \(dev\.fleet\.\* labels are fleet's own/);
  const l = one("image: x\nlabels: [dev.fleet.stage=live, dev.fleet.x]");
  assert.equal(l.services.s.labels, undefined, "nothing left: no labels key");
  assert.match(l.notes[0].text, /dev\.fleet\.stage, dev\.fleet\.x/);
});

Deno.test("YAML: anchors, merge keys and hundreds of aliases are followed; a bomb is refused", () => {
  let text =
    "x-env: &env { A: '1' }\nx-base: &base\n  restart: always\n  environment: *env\nservices:\n";
  for (let i = 0; i < 300; i++) text += `  s${i}: { <<: *base, image: x, labels: *env }\n`;
  const r = importCompose(text, at);
  assert.equal(Object.keys(r.services).length, 300);
  assert.deepEqual(r.services.s299, {
    restart: "always",
    environment: { A: "1" },
    image: "x",
    labels: { A: "1" },
  });
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  let prev = "a";
  for (const n of "bcdefghij") {
    bomb += `${n}: &${n} [${Array(10).fill(`*${prev}`).join(", ")}]\n`;
    prev = n;
  }
  const e = errorOf(() => importCompose(bomb + "services:\n  s: { image: x }\n", at));
  assert.ok(e instanceof ConfigError, String(e));
  assert.match(
    e.message,
    /^compose\.yaml: YAML aliases expand too far: \d+ values once expanded \(at most 1000000; \d+ written\)$/,
  );
});

Deno.test("what fleet init cannot take over is a config error naming the file and the key", () => {
  const cases: Array<[string, RegExp]> = [
    [
      "services:\n  my app:\n    image: x\n",
      /^compose\.yaml: services\.my app: not a service name Compose takes/,
    ],
    [
      "services:\n  a:\n    restart: always\n",
      /^compose\.yaml: services\.a: has neither build nor image$/,
    ],
    ["services: {}\n", /^compose\.yaml: services: no services to take over$/],
    ["services:\n  a: [\n", /^compose\.yaml:\d+:\d+: YAML syntax error: /],
    [
      "services:\n  a: { image: x }\n  a: { image: y }\n",
      /^compose\.yaml:3:3: YAML syntax error: Map keys must be unique/,
    ],
    ["- a\n", /^compose\.yaml: not a Compose file/],
  ];
  for (const [text, message] of cases) {
    const e = errorOf(() => importCompose(text, at));
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, message);
  }
  assert.deepEqual(
    Object.keys(importCompose("services:\n  wazuh.master: { image: x }\n", at).services),
    [
      "wazuh.master",
    ],
  );
});
