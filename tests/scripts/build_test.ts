/** Script tests for `fleet build` (scripts/build.ts) with a recording runner and UI. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { build } from "../../scripts/build.ts";
import { CommandError, ConfigError, InterruptedError, UsageError } from "../../lib/core/errors.ts";
import type { Runner, Step } from "../../lib/core/run.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { buildText } from "../../lib/report/text.ts";

const DOCKERFILE = "FROM busybox\n";

function project(extra: Record<string, string> = {}) {
  return tempProject({
    "stages/_base.yaml": "project: app\nregistry: reg.example/team\n",
    "stages/local.yaml": "services:\n  web: { build: {} }\n",
    "stages/dev.yaml": `services:
  web: { build: {} }
  api: { build: { args: { TOKEN: "\${NPM_TOKEN}", MODE: prod } } }
  db: { image: "postgres:16" }
`,
    "services/web/Dockerfile": DOCKERFILE,
    "services/api/Dockerfile": DOCKERFILE,
    ...extra,
  });
}

const ENV = { NPM_TOKEN: "npm-s3cr3t" };
const DIGEST = "sha256:" + "ab".repeat(32);

/** A reply that writes buildx's metadata file, as `docker buildx build --metadata-file` does. */
function writesMetadata(step: Step) {
  const i = step.argv.indexOf("--metadata-file");
  if (i > 0) {
    Deno.writeTextFileSync(step.argv[i + 1], JSON.stringify({ "containerimage.digest": DIGEST }));
  }
  return { stdout: `#1 building ${step.title}\n#2 DONE` };
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

Deno.test("bad input: exit-2 errors, and no step ran", async () => {
  const root = project({
    "stages/pre.yaml": "services:\n  web: { build: { dockerfile: nope/Dockerfile } }\n",
    "stages/nul.yaml": "registry: ''\nservices:\n  web: { build: {} }\n",
  });
  const cases: [string, Record<string, unknown>, typeof UsageError, RegExp][] = [
    [
      "dev",
      { service: ["nope"] },
      UsageError,
      /unknown service "nope" \(buildable services: web, api\)/,
    ],
    [
      "dev",
      { service: ["db"] },
      UsageError,
      /service "db" has no build:.*buildable services: web, api/,
    ],
    ["local", { push: true }, UsageError, /--push is refused on stage "local"/],
    ["nul", { push: true }, UsageError, /--push needs a registry, and none is set for web/],
    ["pre", {}, ConfigError, /services\.web\.build\.dockerfile: nope\/Dockerfile does not exist/],
    [
      "dev",
      { service: ["api"] },
      ConfigError,
      /services\.api\.build\.args\.TOKEN: \$\{NPM_TOKEN\} is not set/,
    ],
    ["nostage", {}, UsageError, /unknown stage "nostage"/],
  ];
  for (const [stage, opts, cls, msg] of cases) {
    const deps = testDeps(root);
    const e = await rejects(build(stage, opts, deps));
    assert.ok(e instanceof cls, `${stage} ${JSON.stringify(opts)}: ${e}`);
    assert.match(e.message, msg);
    assert.deepEqual(deps.runner.steps, [], `${stage} ${JSON.stringify(opts)}: no step runs`);
  }
});

Deno.test("--dry-run prints every step (secrets as ***) and runs nothing", async () => {
  const root = project();
  const env = {
    ...ENV,
    FLEET_REGISTRY_USER: "bot",
    FLEET_REGISTRY_PASSWORD: "pw-s3cr3t",
    TMPDIR: "/tmp",
  };
  const deps = testDeps(root, { env });
  assert.deepEqual(await build("dev", { push: true, dryRun: true }, deps), []);
  assert.deepEqual(deps.runner.steps, []);
  const text = deps.ui.text();
  const cfg = "DOCKER_CONFIG=/tmp/fleet-build-XXXXXX/docker-config";
  assert.ok(text.includes(
    `# log in to reg.example (FLEET_REGISTRY_USER/PASSWORD)\n` +
      `${cfg} docker login reg.example -u bot --password-stdin < (stdin)`,
  ));
  assert.ok(text.includes(`# build web\n${cfg} docker buildx build --platform linux/amd64`));
  assert.ok(text.includes(`${cfg} TOKEN=*** docker buildx build `));
  assert.ok(text.includes("--build-arg MODE=prod --build-arg TOKEN --cache-from"));
  assert.match(
    text,
    /^warning: api: build arg TOKEN comes from a variable, and build args stay readable in the image's history \(docker history\): pass secrets with build\.secrets instead$/m,
  );
  assert.doesNotMatch(text, /build arg MODE/);
  assert.ok(!text.includes("pw-s3cr3t") && !text.includes("npm-s3cr3t"));
  assert.match(text, /dry run: nothing was run/);
});

Deno.test("build: one step per service, lines prefixed, summary with digests", async () => {
  const root = project();
  const deps = testDeps(root, { env: ENV, runner: recordingRunner(writesMetadata) });
  const built = await build("dev", { push: true }, deps);
  assert.deepEqual(deps.runner.steps.map((s) => s.title), ["build web", "build api"]);
  assert.deepEqual(deps.runner.steps[1].secretEnv, { TOKEN: "npm-s3cr3t" });
  assert.deepEqual(built.map((b) => [b.service, b.ref, b.digest]), [
    ["web", "reg.example/team/app-web-dev:latest", DIGEST],
    ["api", "reg.example/team/app-api-dev:latest", DIGEST],
  ]);
  const text = deps.ui.text();
  assert.match(text, /^web \| #1 building build web$/m);
  assert.match(text, /^api \| #2 DONE$/m);
  const summary = buildText(built);
  assert.ok(summary.includes(`web  reg.example/team/app-web-dev:latest  ${DIGEST}  0.0s`));
  assert.ok(summary.includes(`api  reg.example/team/app-api-dev:latest  ${DIGEST}  0.0s`));
  // the metadata files lived in a temp dir that is gone
  const meta = deps.runner.steps[0].argv[deps.runner.steps[0].argv.indexOf("--metadata-file") + 1];
  assert.equal(await Deno.stat(join(meta, "..")).catch(() => "gone"), "gone");
});

Deno.test("build without --push: no digest in the summary", async () => {
  const deps = testDeps(project(), { env: ENV, runner: recordingRunner(writesMetadata) });
  const built = await build("dev", { service: ["web"] }, deps);
  assert.deepEqual(built.map((b) => b.digest), [undefined]);
  assert.ok(buildText(built).includes("web  reg.example/team/app-web-dev:latest  -  0.0s"));
});

Deno.test("buildx: false: the digest comes from docker push's output", async () => {
  const root = project({ "stages/pre.yaml": "buildx: false\nservices:\n  web: { build: {} }\n" });
  const runner = recordingRunner((s) =>
    s.argv[1] === "push" ? { stdout: `latest: digest: ${DIGEST} size: 528` } : undefined
  );
  const deps = testDeps(root, { runner });
  const built = await build("pre", { push: true }, deps);
  assert.deepEqual(runner.argvs(), [
    `docker build --platform linux/amd64 -t reg.example/team/app-web-pre:latest -f ${
      join(root, "services/web/Dockerfile")
    } ${root}`,
    "docker push reg.example/team/app-web-pre:latest",
  ]);
  assert.equal(built[0].digest, DIGEST);
});

Deno.test("a failed service lets the others finish, then exit 1 with a summary", async () => {
  const runner = recordingRunner((s) =>
    s.title === "build web" ? { code: 1, stderr: "ERROR: failed to solve" } : undefined
  );
  const deps = testDeps(project(), { env: ENV, runner });
  const e = await rejects(build("dev", { jobs: 1 }, deps));
  assert.ok(e instanceof CommandError);
  assert.equal(e.exitCode, 1);
  assert.equal(e.message, "1 of 2 builds failed: web");
  assert.deepEqual(runner.steps.map((s) => s.title), ["build web", "build api"], "api still ran");
  const text = deps.ui.text();
  assert.ok(text.includes("web  reg.example/team/app-web-dev:latest  FAILED  0.0s"));
  assert.ok(text.includes("api  reg.example/team/app-api-dev:latest  -       0.0s"));
  assert.match(text, /error: build web failed \(exit 1\)\n {2}command: docker buildx build /);
  assert.match(text, /\| ERROR: failed to solve/);
});

Deno.test("builds run concurrently, at most --jobs at a time", async () => {
  const services = ["a", "b", "c", "d", "e"];
  const root = tempProject({
    "stages/dev.yaml": "project: app\nservices:\n" +
      services.map((s) => `  ${s}: { build: {} }\n`).join(""),
    "Dockerfile": DOCKERFILE,
  });
  for (const [jobs, expected] of [[2, 2], [undefined, 3], [1, 1]] as const) {
    let running = 0;
    let most = 0;
    const ran: string[] = [];
    const runner: Runner = {
      async run(step) {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        ran.push(step.title);
        return { code: 0, stdout: "", stderr: "" };
      },
    };
    await build("dev", { jobs }, testDeps(root, { runner }));
    assert.equal(most, expected, `jobs=${jobs}`);
    assert.deepEqual(ran.sort(), services.map((s) => `build ${s}`));
  }
});

Deno.test("credentials: login first into a temp DOCKER_CONFIG that is removed afterwards", async () => {
  const user = tempProject({ "config.json": JSON.stringify({ credsStore: "desktop" }) });
  const env = {
    ...ENV,
    DOCKER_CONFIG: user,
    FLEET_REGISTRY_USER: "bot",
    FLEET_REGISTRY_PASSWORD: "pw-s3cr3t",
  };
  const seen: string[] = [];
  const runner = recordingRunner((s) => {
    const cfg = JSON.parse(Deno.readTextFileSync(join(s.env!.DOCKER_CONFIG, "config.json")));
    seen.push(`${s.title}: ${JSON.stringify(cfg.credHelpers)}`);
    return writesMetadata(s);
  });
  const deps = testDeps(project(), { env, runner });
  await build("dev", { push: true, jobs: 1 }, deps);
  assert.deepEqual(seen, [
    `log in to reg.example (FLEET_REGISTRY_USER/PASSWORD): {"reg.example":""}`,
    `build web: {"reg.example":""}`,
    `build api: {"reg.example":""}`,
  ]);
  const login = runner.steps[0];
  assert.deepEqual(login.argv, ["docker", "login", "reg.example", "-u", "bot", "--password-stdin"]);
  assert.equal(login.input, "pw-s3cr3t");
  const dir = login.env!.DOCKER_CONFIG;
  assert.ok(runner.steps.every((s) => s.env?.DOCKER_CONFIG === dir));
  assert.equal(await Deno.stat(dir).catch(() => "gone"), "gone");
  assert.ok(!deps.ui.text().includes("pw-s3cr3t"));
  assert.equal(Deno.readTextFileSync(join(user, "config.json")), `{"credsStore":"desktop"}`);
});

Deno.test("a failed login stops before any build (exit 1)", async () => {
  const env = {
    ...ENV,
    FLEET_REGISTRY_USER: "bot",
    FLEET_REGISTRY_PASSWORD: "pw",
    HOME: "/nonexistent",
  };
  const runner = recordingRunner((s) =>
    s.argv[1] === "login" ? { code: 1, stderr: "unauthorized" } : undefined
  );
  const e = await rejects(build("dev", { push: true }, testDeps(project(), { env, runner })));
  assert.ok(e instanceof CommandError);
  assert.deepEqual(runner.steps.map((s) => s.title), [
    "log in to reg.example (FLEET_REGISTRY_USER/PASSWORD)",
  ]);
});

Deno.test("interrupted: the build stops with InterruptedError, not a failure summary", async () => {
  const ctl = new AbortController();
  const runner: Runner = {
    run() {
      ctl.abort();
      return Promise.reject(new InterruptedError("interrupted during: build web"));
    },
  };
  const deps = testDeps(project(), { env: ENV, runner, signal: ctl.signal });
  const e = await rejects(build("dev", { jobs: 1 }, deps));
  assert.ok(e instanceof InterruptedError);
  assert.ok(!deps.ui.text().includes("FAILED"));
});
