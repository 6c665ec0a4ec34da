/** A Swarm release's images: registry digests, the pinned model, the manager and platform checks. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { FleetError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { swarmContext } from "../../lib/engine/swarm.ts";
import { parseResolved } from "../../lib/docker/imagetools.ts";
import { pinned, resolveDigests } from "../../lib/engine/swarm_images.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";

const CC = "c".repeat(64);
const ONE = JSON.stringify({
  name: "reg.test/app-web-live:latest",
  manifest: {
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    digest: "sha256:aa",
  },
  image: { architecture: "amd64", os: "linux", config: {} },
});
const LIST = JSON.stringify({
  manifest: { mediaType: "application/vnd.oci.image.index.v1+json", digest: "sha256:bb" },
  image: { "linux/amd64": { os: "linux" }, "linux/arm64": { os: "linux" } },
});

Deno.test("parseResolved: the digest and platforms of one image or of a list", () => {
  assert.deepEqual(parseResolved(ONE), { digest: "sha256:aa", platforms: ["linux/amd64"] });
  assert.deepEqual(parseResolved(LIST), {
    digest: "sha256:bb",
    platforms: ["linux/amd64", "linux/arm64"],
  });
  assert.equal(parseResolved("not json"), undefined);
});

Deno.test("pinned: ref@digest; a reference with a digest stays as it is", () => {
  assert.equal(pinned("reg/app:1", "sha256:ab"), "reg/app:1@sha256:ab");
  assert.equal(pinned("reg/app:1@sha256:cd", "sha256:ab"), "reg/app:1@sha256:cd");
});

const root = tempProject({
  "stages/live.yaml": `project: app
orchestrator: swarm
registry: reg.test
services:
  web: { build: {} }
  db: { image: "pg@sha256:${CC}" }
`,
});
const ctx = swarmContext(loadStage(root, "live"), {});
const sel = {
  services: ["web", "db"],
  images: { web: "reg.test/app-web-live:latest", db: `pg@sha256:${CC}` },
  unpullable: [],
};

/** A manager with nodes of these platforms, and a registry that knows `web`. */
function manager(nodes: string[], o: { manager?: boolean; registry?: string } = {}) {
  return recordingRunner((s: Step) => {
    const a = s.argv.slice(1).join(" ");
    if (a === "node ls -q") {
      return o.manager === false
        ? { code: 1, stderr: "Error response from daemon: This node is not a swarm manager." }
        : { stdout: nodes.map((_, i) => `n${i}`).join("\n") };
    }
    if (a.startsWith("node inspect")) {
      return { stdout: nodes.map((p) => `${p} ready active`).join("\n") };
    }
    if (a.startsWith("buildx imagetools inspect")) {
      return o.registry === undefined ? { stdout: ONE } : { code: 1, stderr: o.registry };
    }
    return {};
  });
}

Deno.test("resolve: each image's registry digest, the model pinned to it", async () => {
  const runner = manager(["linux/x86_64"]);
  const r = await resolveDigests(testDeps(root, { runner }), ctx, sel, true);
  assert.deepEqual(r.images, {
    web: {
      ref: "reg.test/app-web-live:latest",
      id: "reg.test/app-web-live:latest@sha256:aa",
      digest: "sha256:aa",
    },
    db: { ref: "pg", id: `pg@sha256:${CC}`, digest: `sha256:${CC}` },
  });
  const m = parse(r.ctx.model) as { services: Record<string, { image: string }> };
  assert.equal(m.services.web.image, "reg.test/app-web-live:latest@sha256:aa");
  assert.deepEqual(
    runner.argvs().filter((a) => a.includes("imagetools")),
    ["docker buildx imagetools inspect --format {{json .}} reg.test/app-web-live:latest"],
    "a reference with a digest is not asked for",
  );
});

Deno.test("resolve with --no-pull asks no registry: the nodes run what they have", async () => {
  const runner = manager(["linux/x86_64"]);
  const r = await resolveDigests(testDeps(root, { runner }), ctx, sel, false);
  assert.equal(r.images.web.id, "reg.test/app-web-live:latest");
  assert.ok(!runner.argvs().some((a) => a.includes("imagetools")));
});

Deno.test("resolve: an image the registry lacks, a host that is no manager, no node for the platform", async () => {
  const missing = await resolveDigests(
    testDeps(root, { runner: manager(["linux/x86_64"], { registry: "ERROR: not found" }) }),
    ctx,
    sel,
    true,
  ).catch((e) => e);
  assert.ok(missing instanceof FleetError);
  assert.equal(
    missing.message,
    "cannot read reg.test/app-web-live:latest from its registry: ERROR: not found",
  );
  const worker = await resolveDigests(
    testDeps(root, { runner: manager([], { manager: false }) }),
    ctx,
    sel,
    true,
  ).catch((e) => e);
  assert.match(worker.message, /^local engine is not a Swarm manager: .*not a swarm manager/);
  const arm = await resolveDigests(
    testDeps(root, { runner: manager(["linux/aarch64"]) }),
    ctx,
    sel,
    true,
  ).catch((e) => e);
  assert.equal(
    arm.message,
    "no node of the swarm on local engine (linux/arm64) can run an image; nothing was changed:\n" +
      "  web: reg.test/app-web-live:latest is linux/amd64",
  );
});
