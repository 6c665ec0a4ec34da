/** Script tests for `fleet promote` (scripts/promote.ts) with a recording runner. */
import assert from "node:assert/strict";
import { promote } from "../../scripts/promote.ts";
import { CommandError, UsageError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { FakeRegistries } from "../docker/fake_registry.ts";

const D = "sha256:" + "d".repeat(64);
const W = "sha256:" + "9".repeat(64);
const MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const INDEX = "application/vnd.oci.image.index.v1+json";

function project() {
  return tempProject({
    "stages/_base.yaml":
      "project: app\nservices:\n  web: { build: {} }\n  db: { image: postgres }\n",
    "stages/dev.yaml": "registry: reg.test\n",
    "stages/live.yaml": "registry: other.test/org\n",
    "stages/local.yaml": "{}\n",
  });
}

/** A registry: what `from` points at, what `to` points at after create, what buildx knows. */
function registry(o: { source: string; after?: string; preferIndex: boolean }) {
  return (s: Step) => {
    const a = s.argv.join(" ");
    if (a.endsWith("create --help")) {
      return { stdout: o.preferIndex ? "  --prefer-index  keep a single manifest" : "  -t, --tag" };
    }
    if (a.includes("inspect --format {{json .Manifest}} reg.test/")) {
      return { stdout: JSON.stringify({ mediaType: o.source, digest: D, size: 1 }) };
    }
    if (a.includes("inspect --format {{json .Manifest}} other.test/")) {
      return { stdout: JSON.stringify({ mediaType: INDEX, digest: o.after ?? D, size: 1 }) };
    }
    return { stdout: "#1 pushing\n" };
  };
}

Deno.test("promote: inspect → create from repo@digest → check; no build, no pull", async () => {
  const deps = testDeps(project(), {
    runner: recordingRunner(registry({ source: MANIFEST, preferIndex: true })),
  });
  const r = await promote("dev", "live", {}, deps);
  assert.deepEqual(deps.runner.argvs(), [
    "docker buildx imagetools inspect --format {{json .Manifest}} reg.test/app-web-dev:latest",
    "docker buildx imagetools create --help",
    "docker buildx imagetools create --prefer-index=false -t other.test/org/app-web-live:latest" +
    ` reg.test/app-web-dev@${D}`,
    "docker buildx imagetools inspect --format {{json .Manifest}} other.test/org/app-web-live:latest",
  ]);
  assert.deepEqual(r, {
    from: "dev",
    to: "live",
    services: [{
      service: "web",
      from: "reg.test/app-web-dev:latest",
      to: "other.test/org/app-web-live:latest",
      digest: D,
      sourceDigest: D,
      identical: true,
    }],
  });
  assert.match(deps.ui.text(), /web \| #1 pushing/);
});

Deno.test("a list is copied whole as it is: no probe, no flag", async () => {
  const deps = testDeps(project(), {
    runner: recordingRunner(registry({ source: INDEX, preferIndex: false })),
  });
  const r = await promote("dev", "live", { tag: "sha-1" }, deps);
  assert.equal(
    deps.runner.argvs()[1],
    `docker buildx imagetools create -t other.test/org/app-web-live:sha-1 reg.test/app-web-dev@${D}`,
  );
  assert.equal(deps.runner.steps.length, 3);
  assert.equal(r.services[0].identical, true);
});

Deno.test("an old buildx, and a registry API that cannot copy: wrapped in a list, said so, both digests", async () => {
  const deps = testDeps(project(), {
    runner: recordingRunner(registry({ source: MANIFEST, after: W, preferIndex: false })),
    fetch: () => Promise.resolve(new Response("", { status: 404 })),
  });
  const r = await promote("dev", "live", {}, deps);
  assert.ok(!deps.runner.argvs()[2].includes("--prefer-index"));
  assert.deepEqual(
    [r.services[0].digest, r.services[0].sourceDigest, r.services[0].identical],
    [W, D, false],
  );
  assert.match(deps.ui.text(), /warning: web: the registry's API could not copy it: cannot read/);
  assert.match(deps.ui.text(), /warning: web: this buildx wraps a single-platform manifest/);
});

Deno.test("an old buildx: a single manifest is copied through the registry's API, the same digest", async () => {
  const r = new FakeRegistries();
  const digest = await r.push("reg.test", "app-web-dev", "latest", ["a layer"]);
  const deps = testDeps(project(), {
    runner: recordingRunner((s: Step) => {
      const a = s.argv.join(" ");
      if (a.endsWith("create --help")) return { stdout: "  -t, --tag" };
      if (a.includes("inspect --format {{json .Manifest}} reg.test/")) {
        return { stdout: JSON.stringify({ mediaType: MANIFEST, digest, size: 1 }) };
      }
      if (a.includes("inspect --format {{json .Manifest}} other.test/")) {
        const m = r.manifests.get("other.test/org/app-web-live:latest");
        return m ? { stdout: JSON.stringify({ mediaType: MANIFEST, digest, size: 1 }) } : {
          code: 1,
          stderr: "not found",
        };
      }
      return { code: 1, stderr: `unexpected: ${a}` };
    }),
    fetch: r.fetch,
  });
  const res = await promote("dev", "live", {}, deps);
  assert.deepEqual(
    [res.services[0].digest, res.services[0].sourceDigest, res.services[0].identical],
    [digest, digest, true],
  );
  assert.ok(!deps.runner.argvs().some((a) => a.includes("imagetools create -t")), "no wrap");
  assert.doesNotMatch(deps.ui.text(), /warning/);
});

Deno.test("a copy that points elsewhere is an error (exit 1)", async () => {
  const deps = testDeps(project(), {
    runner: recordingRunner(registry({ source: INDEX, after: W, preferIndex: true })),
  });
  await assert.rejects(promote("dev", "live", {}, deps), (e: Error) => {
    assert.ok(e instanceof CommandError);
    assert.match(e.message, /points at sha256:9+, not at sha256:d+ of reg\.test\/app-web-dev/);
    return true;
  });
});

Deno.test("--dry-run lists the commands and runs nothing; bad input is exit 2", async () => {
  const deps = testDeps(project());
  const r = await promote("dev", "live", { dryRun: true }, deps);
  assert.deepEqual(deps.runner.steps, []);
  assert.match(
    r.commands!.join("\n"),
    /imagetools create -t other\.test\/org\/app-web-live:latest/,
  );
  for (const [from, to] of [["dev", "local"], ["dev", "nope"]]) {
    await assert.rejects(promote(from, to, {}, testDeps(project())), UsageError);
  }
});

Deno.test("a tag never pushed: the error names it and hints to build and push first", async () => {
  const deps = testDeps(project(), {
    runner: recordingRunner((s: Step) =>
      s.argv.join(" ").includes("inspect --format {{json .Manifest}} reg.test/")
        ? {
          code: 1,
          stderr: "ERROR: reg.test/app-web-dev:sha-1: not found",
        }
        : {}
    ),
  });
  await assert.rejects(promote("dev", "live", { tag: "sha-1" }, deps), (e: Error) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.message, "reg.test/app-web-dev:sha-1 is not in the registry");
    assert.equal(e.hint, "build and push it first: fleet build dev --push --tag sha-1");
    assert.match(e.stderrTail, /not found/);
    return true;
  });
});
