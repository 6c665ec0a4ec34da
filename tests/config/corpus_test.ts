/**
 * Real projects' Compose files (tests/config/corpus/, sources and licences in SOURCES.md) come
 * through fleet unchanged (SPEC §13): for each file and both ways of `fleet init --from`
 * (naming the file, and --copy), `fleet config local --compose` is read by `docker compose
 * config` and compared, service by service and key by key, with what `docker compose config`
 * makes of the original. Fleet may add only its image names (built services) and its
 * `dev.fleet.*` labels; in --copy, literal secrets are `${VAR}` (their keys stay). Needs only the
 * `docker compose` plugin (no engine); the variables the files need get dummy values.
 */
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { initFiles } from "../../lib/config/init.ts";
import { isLiteralSecret } from "../../lib/config/compose_keys.ts";
import { fleet } from "../e2e/harness.ts";

const CORPUS = fileURLToPath(new URL("./corpus/", import.meta.url));

/** Each file, with dummy values for the variables it needs (no real secret anywhere). */
const FILES: Record<string, Record<string, string>> = {
  "airflow.yaml": { AIRFLOW_UID: "50000", AIRFLOW_IMAGE_NAME: "apache/airflow:3.0.2" },
  "appwrite.yml": {},
  "awesome-compose-react-express-mysql.yaml": {},
  "authentik.yml": { PG_PASS: "dummy-password", AUTHENTIK_SECRET_KEY: "dummy-secret" },
  "immich.yml": {
    UPLOAD_LOCATION: "./library",
    DB_DATA_LOCATION: "./postgres",
    DB_PASSWORD: "dummy-password",
    DB_USERNAME: "postgres",
    DB_DATABASE_NAME: "immich",
  },
  "jitsi-meet.yml": { CONFIG: "./jitsi-cfg", HTTP_PORT: "8000", HTTPS_PORT: "8443" },
  "langfuse.yml": {},
  "mailcow.yml": {
    MAILCOW_HOSTNAME: "mail.example.com",
    ADDITIONAL_SAN: "",
    DBNAME: "mailcow",
    DBUSER: "mailcow",
    DBPASS: "dummy-password",
    DBROOT: "dummy-password",
    REDISPASS: "dummy-password",
    TZ: "UTC",
  },
  "mastodon.yml": {},
  "netbox.yml": {},
  "signoz.yaml": {},
  "superset.yml": { CYPRESS_CONFIG: "false" },
  "temporal.yml": {
    ELASTICSEARCH_VERSION: "7.17.27",
    POSTGRESQL_VERSION: "16",
    TEMPORAL_VERSION: "1.27.2",
    TEMPORAL_ADMINTOOLS_VERSION: "1.27.2",
    TEMPORAL_UI_VERSION: "2.34.0",
  },
  "twenty.yml": { SERVER_URL: "http://localhost:3000" },
};

type Model = {
  name: string;
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown> | null>;
  volumes?: Record<string, Record<string, unknown> | null>;
  configs?: Record<string, Record<string, unknown>>;
  secrets?: Record<string, Record<string, unknown>>;
};

const composeMissing = await new Deno.Command("docker", { args: ["compose", "version"] })
  .output().then((o) => !o.success, () => true);
if (composeMissing) console.log("corpus_test: skipped (no `docker compose` plugin here)");

/**
 * `docker compose config --format json` of a file, every profile on; under the project name
 * fleet deploys with (`{project}-{stage}`) when given, as `${COMPOSE_PROJECT_NAME}` reads it.
 */
async function composeConfig(
  dir: string,
  file: string,
  env: Record<string, string>,
  project?: string,
) {
  const o = await new Deno.Command("docker", {
    args: [
      "compose",
      "--project-directory",
      dir,
      ...(project ? ["-p", project] : []),
      "-f",
      file,
      "--profile",
      "*",
      "config",
      "--format",
      "json",
    ],
    cwd: dir,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(o.stderr);
  assert.ok(o.success, `docker compose config -f ${basename(file)}: ${err}`);
  return JSON.parse(new TextDecoder().decode(o.stdout)) as Model;
}

/** A project with the file, its env files (empty) and a Dockerfile for each built service. */
function project(name: string): string {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-corpus-" });
  const text = Deno.readTextFileSync(join(CORPUS, name));
  Deno.writeTextFileSync(join(dir, name), text);
  const data = parse(text, { merge: true }) as Model;
  for (const svc of Object.values(data.services)) {
    const envFiles = [svc.env_file ?? []].flat() as Array<string | { path: string }>;
    for (const f of envFiles) touch(join(dir, typeof f === "string" ? f : f.path), "");
    if (svc.build !== undefined) {
      const b = svc.build as string | { context?: string };
      const context = typeof b === "string" ? b : b.context ?? ".";
      touch(join(dir, context, "Dockerfile"), "FROM busybox\n");
    }
  }
  return dir;
}

function touch(path: string, text: string): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

/** What may differ: a built service's image, fleet's labels, and (--copy) secret values. */
function serviceDiffs(
  name: string,
  orig: Record<string, unknown>,
  got: Record<string, unknown> | undefined,
  copy: boolean,
): string[] {
  if (!got) return [`services.${name}: missing`];
  const built = orig.build !== undefined;
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(orig), ...Object.keys(got)]);
  for (const key of keys) {
    if (built && (key === "build" || key === "image" || key === "pull_policy")) continue;
    let a = orig[key];
    let b = got[key];
    if (key === "labels") {
      b = Object.fromEntries(
        Object.entries((b ?? {}) as Record<string, string>).filter(([k]) =>
          !k.startsWith("dev.fleet.")
        ),
      );
      a = a ?? {};
    }
    if (key === "environment" && copy) {
      // a literal secret's value is now ${VAR}: its key must stay, its value may not
      const origEnv = (a ?? {}) as Record<string, unknown>;
      const mask = (env: unknown) =>
        Object.fromEntries(
          Object.entries((env ?? {}) as Record<string, unknown>).map(([k, v]) => [
            k,
            isLiteralSecret(k, origEnv[k]) ? "(secret)" : v,
          ]),
        );
      a = mask(a);
      b = mask(b);
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      diffs.push(`services.${name}.${key}: ${JSON.stringify(a)} became ${JSON.stringify(b)}`);
    }
  }
  return diffs;
}

/** Top-level definitions, without the names Compose derives from the project's name. */
function definitionDiffs(kind: keyof Model, orig: Model, got: Model): string[] {
  const strip = (m: Model, project: string) =>
    Object.fromEntries(
      Object.entries((m[kind] ?? {}) as Record<string, Record<string, unknown> | null>).map((
        [k, v],
      ) => {
        const { name, ...rest } = v ?? {};
        return [k, name === `${project}_${k}` ? rest : { name, ...rest }];
      }),
    );
  const a = strip(orig, orig.name);
  const b = strip(got, got.name);
  return JSON.stringify(a) === JSON.stringify(b)
    ? []
    : [`${kind}: ${JSON.stringify(a)} became ${JSON.stringify(b)}`];
}

/** Every difference between two models, as lines. */
function modelDiffs(orig: Model, got: Model, copy: boolean): string[] {
  return [
    ...Object.keys(got.services).filter((s) => !(s in orig.services)).map((s) =>
      `services.${s}: added`
    ),
    ...Object.entries(orig.services).flatMap(([s, svc]) =>
      serviceDiffs(s, svc, got.services[s], copy)
    ),
    ...(["networks", "volumes", "configs", "secrets"] as const).flatMap((k) =>
      definitionDiffs(k, orig, got)
    ),
  ];
}

for (const [name, vars] of Object.entries(FILES)) {
  Deno.test({
    name: `corpus ${name}: what --copy writes into _base.yaml is, for Compose, the same model`,
    ignore: composeMissing,
    fn: async () => {
      const dir = project(name);
      const orig = await composeConfig(dir, join(dir, name), vars);
      const text = Deno.readTextFileSync(join(dir, name));
      const base = initFiles({ dirName: "x", copy: true, compose: { text, file: name, base: "" } })
        .files[0].text;
      const { project: _, ...model } = parse(base);
      Deno.writeTextFileSync(join(dir, "copied.yaml"), stringify({ name: orig.name, ...model }));
      const got = await composeConfig(dir, join(dir, "copied.yaml"), vars);
      const diffs = modelDiffs(orig, got, true);
      assert.deepEqual(diffs, [], `${name}: ${diffs.length} differences`);
      Deno.removeSync(dir, { recursive: true });
    },
  });
  for (const copy of [false, true]) {
    const mode = copy ? "init --from --copy" : "init --from";
    Deno.test({
      name: `corpus ${name}: ${mode} → config --compose is the same Compose model`,
      ignore: composeMissing,
      fn: async () => {
        const dir = project(name);
        const env = { ...vars };
        const init = await fleet(["init", "--from", name, ...(copy ? ["--copy"] : [])], {
          cwd: dir,
          env,
        });
        assert.equal(init.code, 0, `fleet ${mode}: ${init.stderr}`);
        const cfg = await fleet(["config", "local", "--compose"], { cwd: dir, env });
        assert.equal(cfg.code, 0, `fleet config local --compose: ${cfg.stderr}`);
        Deno.writeTextFileSync(join(dir, "fleet-model.yaml"), cfg.stdout);
        const got = await composeConfig(dir, join(dir, "fleet-model.yaml"), env);
        const orig = await composeConfig(dir, join(dir, name), env, got.name);
        const diffs = modelDiffs(orig, got, copy);
        assert.deepEqual(diffs, [], `${name}, ${mode}: ${diffs.length} differences`);
        Deno.removeSync(dir, { recursive: true });
      },
    });
  }
}
