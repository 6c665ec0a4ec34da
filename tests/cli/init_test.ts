/** `fleet init` and `fleet schema` as a subprocess: files written, never overwritten, all valid. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";
import { stageJsonSchema } from "../../lib/config/json_schema.ts";

const COMPOSE = `services:
  web:
    build: .
    ports: ["8080:80"]
    environment: [API_TOKEN=abc, MODE=prod]
  db:
    image: postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
`;

const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

Deno.test("fleet init --from: the stage files pass `fleet config` for every stage", async () => {
  const dir = tempProject({
    "app/compose.yaml": COMPOSE,
    "app/compose.override.yaml": "services:\n  db:\n    ports: [5432]\n",
    "app/Dockerfile": "FROM busybox\n",
  });
  const r = await fleet(["init", "--from", "app/compose.yaml", "-C", "app"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^note: compose\.override\.yaml beside it is not in compose_file: \(docker compose merges it when run without -f\); to deploy it too: compose_file: \[compose\.yaml, compose\.override\.yaml\]$/m,
  );
  assert.match(
    r.stdout,
    /^wrote stages\/_base\.yaml \(compose_file: compose\.yaml, services web, db\)$/m,
  );
  assert.match(
    r.stdout,
    /^note: compose\.yaml holds literal values under secret-looking keys \(API_TOKEN\)/m,
  );
  const app = join(dir, "app");
  assert.match(
    Deno.readTextFileSync(join(app, "stages/_base.yaml")),
    /^compose_file: compose\.yaml$/m,
  );
  for (const stage of ["local", "dev", "live"]) {
    const c = await fleet(["config", stage], { cwd: app });
    assert.equal(c.code, 0, `${stage}: ${c.stderr}`);
    assert.match(c.stdout, /^project: app$/m);
  }
  const s = await fleet(["stages"], { cwd: app });
  assert.match(s.stdout, /\nlive\s+ssh:\/\/deploy@203\.0\.113\.20\s+ghcr\.io\/your-org/);
});

Deno.test("fleet init --from --copy: the services in _base.yaml, and every stage loads", async () => {
  const dir = tempProject({ "compose.yaml": COMPOSE, "Dockerfile": "FROM busybox\n" });
  const r = await fleet(["init", "--from", "compose.yaml", "--copy"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^wrote stages\/_base\.yaml \(services web, db copied from compose\.yaml\)$/m,
  );
  assert.match(r.stdout, /^set before deploying \(secrets that were literal\): API_TOKEN$/m);
  const c = await fleet(["config", "live"], { cwd: dir });
  assert.equal(c.code, 0, c.stderr);
  assert.ok(!Deno.readTextFileSync(join(dir, "stages/_base.yaml")).includes("abc"));
  const sub = tempProject({ "deploy/compose.yaml": COMPOSE, "deploy/.env": "MODE=prod\n" });
  const s = await fleet(["init", "--from", "deploy/compose.yaml", "--copy"], { cwd: sub });
  assert.equal(s.code, 0, s.stderr);
  assert.match(
    s.stdout,
    /^note: deploy\/\.env is no longer read \(Compose read it beside deploy\/compose\.yaml\); fleet reads \.env at the project root$/m,
  );
  assert.match(Deno.readTextFileSync(join(sub, "stages/_base.yaml")), /^ {6}context: deploy$/m);
});

Deno.test("fleet init, a service with dev.fleet.* labels: exit 2 and nothing written, or --copy", async () => {
  const labelled = COMPOSE.replace(
    "    ports:",
    "    labels: [dev.fleet.stage=live, team=core]\n    ports:",
  );
  const dir = tempProject({ "compose.yaml": labelled, "Dockerfile": "FROM busybox\n" });
  const r = await fleet(["init", "--from", "compose.yaml"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^error: compose\.yaml: services\.web\.labels\.dev\.fleet\.stage: dev\.fleet\.\* labels are fleet's own$/m,
  );
  assert.match(
    r.stderr,
    /^hint: remove them from compose\.yaml .*--copy`, which leaves them out$/m,
  );
  assert.ok(!exists(join(dir, "stages")), "nothing written");
  const c = await fleet(["init", "--from", "compose.yaml", "--copy"], { cwd: dir });
  assert.equal(c.code, 0, c.stderr);
  const cfg = await fleet(["config", "local", "--compose"], { cwd: dir });
  assert.equal(cfg.code, 0, cfg.stderr);
  assert.match(cfg.stdout, /team[=:] ?"?core/, "the user's own label is kept");
  assert.doesNotMatch(cfg.stdout, /dev\.fleet\.stage[=:] ?"?live/, "fleet's own label is fleet's");
});

Deno.test("fleet init --from an alias bomb: exit 2 naming the file, nothing written", async () => {
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  let prev = "a";
  for (const n of "bcdefghij") {
    bomb += `${n}: &${n} [${Array(10).fill(`*${prev}`).join(", ")}]\n`;
    prev = n;
  }
  const dir = tempProject({ "bomb.yaml": bomb + "services:\n  s: { image: x }\n" });
  for (const mode of [[], ["--copy"]]) {
    const r = await fleet(["init", "--from", "bomb.yaml", ...mode], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: bomb\.yaml: YAML aliases expand too far/m);
    assert.ok(!exists(join(dir, "stages")), "nothing written");
  }
  const c = await fleet(["init", "--copy"], { cwd: dir });
  assert.equal(c.code, 2);
  assert.match(
    c.stderr,
    /^error: --copy copies the services of a Compose file: give it with --from$/m,
  );
});

Deno.test("fleet init never overwrites: exit 2 naming the file, and nothing is written", async () => {
  const dir = tempProject({ "compose.yaml": COMPOSE, "stages/dev.yaml": "# mine\n" });
  const r = await fleet(["init", "--from", "compose.yaml"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: stages\/dev\.yaml already exists: fleet init never overwrites a file \(nothing was written\)$/m,
  );
  assert.equal(Deno.readTextFileSync(join(dir, "stages/dev.yaml")), "# mine\n");
  assert.ok(!exists(join(dir, "stages/_base.yaml")), "no file written");
  const yml = tempProject({ "stages/local.yml": "" });
  const r2 = await fleet(["init"], { cwd: yml });
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /stages\/local\.yml already exists/, "local.yml is the same stage");
});

Deno.test("fleet init without --from writes a skeleton that passes `fleet config`", async () => {
  const dir = tempProject({ "docker-compose.yml": COMPOSE });
  const r = await fleet(["init", "--project", "shop"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: `fleet init --from docker-compose\.yml` would have taken/);
  const c = await fleet(["config", "local"], { cwd: dir });
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /image: shop-web-local:latest/);
});

Deno.test("fleet init: a missing Compose file and a bad project name are usage errors", async () => {
  const dir = tempProject({});
  const r = await fleet(["init", "--from", "nope.yaml"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: --from .*nope\.yaml: cannot read it/m);
  const p = await fleet(["init", "--project", "No"], { cwd: dir });
  assert.equal(p.code, 2);
  assert.ok(!exists(join(dir, "stages")), "nothing written");
});

Deno.test("fleet schema prints the JSON Schema of stage files", async () => {
  const r = await fleet(["schema"], { cwd: "/" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), stageJsonSchema());
});
