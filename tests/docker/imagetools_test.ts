/** `docker buildx imagetools` argv and parsing (lib/docker/imagetools.ts). */
import assert from "node:assert/strict";
import {
  createArgv,
  inspectArgv,
  isIndex,
  parseManifest,
  supportsPreferIndex,
} from "../../lib/docker/imagetools.ts";

const D = "sha256:" + "c".repeat(64);

Deno.test("inspect gives the descriptor; create points the new tag at repo@digest", () => {
  assert.deepEqual(inspectArgv("reg:5000/app-dev:1"), [
    "docker",
    "buildx",
    "imagetools",
    "inspect",
    "--format",
    "{{json .Manifest}}",
    "reg:5000/app-dev:1",
  ]);
  assert.deepEqual(createArgv("reg:5000/app-live:1", "reg:5000/app-dev:1", D, false), [
    "docker",
    "buildx",
    "imagetools",
    "create",
    "-t",
    "reg:5000/app-live:1",
    `reg:5000/app-dev@${D}`,
  ]);
  assert.ok(createArgv("a/b:1", "a/c:1", D, true).includes("--prefer-index=false"));
});

Deno.test("a manifest, a list and an index; what buildx knows", () => {
  const m = parseManifest(
    JSON.stringify({ mediaType: "application/vnd.oci.image.index.v1+json", digest: D, size: 1 }),
  );
  assert.deepEqual(m, { digest: D, mediaType: "application/vnd.oci.image.index.v1+json" });
  assert.ok(isIndex(m.mediaType));
  assert.ok(isIndex("application/vnd.docker.distribution.manifest.list.v2+json"));
  assert.ok(!isIndex("application/vnd.docker.distribution.manifest.v2+json"));
  assert.throws(() => parseManifest("{}"), /no digest/);
  assert.ok(supportsPreferIndex("      --prefer-index   When only a single source…"));
  assert.ok(!supportsPreferIndex("  -t, --tag stringArray"));
});
