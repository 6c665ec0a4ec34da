/** Script tests for multi-platform `fleet build` (scripts/build.ts) with a recording runner. */
import assert from "node:assert/strict";
import { build } from "../../scripts/build.ts";
import { UsageError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { buildText } from "../../lib/report/text.ts";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const LIST = JSON.stringify({
  digest: d("f"),
  manifests: [
    { digest: d("a"), platform: { os: "linux", architecture: "amd64" } },
    { digest: d("b"), platform: { os: "linux", architecture: "arm64" } },
    { digest: d("c"), platform: { os: "unknown", architecture: "unknown" } },
  ],
});
const CONTAINERD = '[["driver-type","io.containerd.snapshotter.v1"]]';
const CLASSIC = '[["Backing Filesystem","extfs"],["Supports d_type","true"]]';
const REF = "reg.example/team/app-web-dev:latest";

function project() {
  return tempProject({
    "stages/_base.yaml": "project: app\nregistry: reg.example/team\n",
    "stages/dev.yaml": "platform: linux/amd64,linux/arm64\nservices:\n  web: { build: {} }\n",
    "stages/pre.yaml": "services:\n  web: { build: {} }\n",
    "services/web/Dockerfile": "FROM busybox\n",
  });
}

/** A docker that answers the probe with `store` and imagetools inspect with LIST. */
function engine(store: string) {
  return recordingRunner((s: Step) => {
    if (s.argv[1] === "info") return { stdout: store + "\n" };
    if (s.argv[3] === "inspect") return { stdout: LIST + "\n" };
    return { stdout: `#1 ${s.title}` };
  });
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

Deno.test("join route: probe, a build per platform, the join, the read-back; digests", async () => {
  const runner = engine(CLASSIC);
  const deps = testDeps(project(), { runner });
  const built = await build("dev", { push: true }, deps);
  assert.deepEqual(runner.steps.map((s) => s.title), [
    "ask the engine for its image store",
    "build web for linux/amd64",
    "build web for linux/arm64",
    "join web's platforms",
    "read the list of web",
  ]);
  assert.deepEqual(built.map(({ seconds: _, ...b }) => b), [{
    service: "web",
    ref: REF,
    refs: [REF],
    digest: d("f"),
    platforms: [
      { platform: "linux/amd64", digest: d("a") },
      { platform: "linux/arm64", digest: d("b") },
    ],
  }]);
  const text = deps.ui.text();
  assert.ok(text.includes(`==> build web → ${REF} (linux/amd64, linux/arm64)`), text);
  assert.ok(text.includes("web | --- build web for linux/arm64"));
  assert.ok(
    buildText(built).includes(
      `web  ${REF}  ${d("f")}  0.0s\n` +
        `       linux/amd64${" ".repeat(REF.length - 13)}  ${d("a")}\n` +
        `       linux/arm64${" ".repeat(REF.length - 13)}  ${d("b")}`,
    ),
    text,
  );
  assert.match(text, /note: the per-platform tags joined into the lists stay in the registry/);
  assert.ok(text.includes(`${REF}-fleet-tmp-linux-amd64, ${REF}-fleet-tmp-linux-arm64`));
});

Deno.test("one-call route (containerd store): probe, one build, the read-back; no note", async () => {
  const runner = engine(CONTAINERD);
  const deps = testDeps(project(), { runner });
  const built = await build("dev", { push: true }, deps);
  assert.deepEqual(runner.steps.map((s) => s.title), [
    "ask the engine for its image store",
    "build web",
    "read the list of web",
  ]);
  assert.match(runner.steps[1].argv.join(" "), /--platform linux\/amd64,linux\/arm64 .* --push /);
  assert.equal(built[0].digest, d("f"));
  assert.deepEqual(built[0].platforms.map((p) => p.digest), [d("a"), d("b")]);
  assert.ok(!deps.ui.text().includes("note:"));
});

Deno.test("one-call route without --push loads the list: no digests", async () => {
  const runner = engine(CONTAINERD);
  const built = await build("dev", {}, testDeps(project(), { runner }));
  assert.deepEqual(runner.steps.map((s) => s.argv[1]), ["info", "buildx"]);
  assert.deepEqual(built[0].digest, undefined);
  assert.deepEqual(built[0].platforms, [
    { platform: "linux/amd64" },
    { platform: "linux/arm64" },
  ]);
});

Deno.test("several platforms without --push on the classic store: exit 2 after the probe alone", async () => {
  const runner = engine(CLASSIC);
  const e = await rejects(build("dev", {}, testDeps(project(), { runner })));
  assert.ok(e instanceof UsageError);
  assert.equal(e.exitCode, 2);
  assert.deepEqual(runner.steps.map((s) => s.argv.join(" ")), [
    "docker info --format {{json .DriverStatus}}",
  ]);
});

Deno.test("a bad --platform or one platform: no probe", async () => {
  const runner = engine(CLASSIC);
  const e = await rejects(
    build("dev", { platform: "linux/amd64,x" }, testDeps(project(), { runner })),
  );
  assert.ok(e instanceof UsageError);
  assert.deepEqual(runner.steps, []);
  const again = engine(CLASSIC);
  const one = await build("pre", { push: true }, testDeps(project(), { runner: again }));
  assert.deepEqual(again.steps.map((s) => s.title), ["build web"]);
  assert.deepEqual(one[0].platforms, [{ platform: "linux/amd64", digest: undefined }]);
});

Deno.test("--dry-run with several platforms: the probe runs, the plan is printed", async () => {
  const runner = engine(CLASSIC);
  const deps = testDeps(project(), { runner, env: { TMPDIR: "/tmp" } });
  assert.deepEqual(await build("dev", { push: true, dryRun: true }, deps), []);
  assert.equal(runner.steps.length, 1);
  const text = deps.ui.text();
  assert.ok(
    text.includes("# build web for linux/arm64\ndocker buildx build --platform linux/arm64"),
  );
  assert.ok(text.includes(`# join web's platforms\ndocker buildx imagetools create -t ${REF} `));
  assert.ok(text.includes(`# read the list of web\ndocker buildx imagetools inspect --format`));
  assert.match(text, /dry run: only the probe ran \(classic image store\)/);
});

Deno.test("a list that cannot be read back: a warning, no digests, the build still succeeds", async () => {
  const runner = recordingRunner((s: Step) => {
    if (s.argv[1] === "info") return { stdout: CLASSIC };
    if (s.argv[3] === "inspect") return { code: 1, stderr: "ERROR: connection refused" };
    return undefined;
  });
  const deps = testDeps(project(), { runner });
  const built = await build("dev", { push: true }, deps);
  assert.equal(built[0].error, undefined);
  assert.equal(built[0].digest, undefined);
  assert.deepEqual(built[0].platforms, [{ platform: "linux/amd64" }, { platform: "linux/arm64" }]);
  assert.match(
    deps.ui.text(),
    /warning: web: pushed, but reading the list back failed: ERROR: connection refused/,
  );
});
