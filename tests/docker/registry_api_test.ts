/** The registry API copy (lib/docker/registry_api.ts) against an in-memory registry. */
import assert from "node:assert/strict";
import { apiRepo, blobsOf, copyManifest } from "../../lib/docker/registry_api.ts";
import { FakeRegistries } from "./fake_registry.ts";

Deno.test("apiRepo: plain http on this machine, https elsewhere; Docker Hub's names", () => {
  assert.deepEqual(apiRepo("127.0.0.1:5000/org/app-web-dev:1"), {
    base: "http://127.0.0.1:5000",
    path: "org/app-web-dev",
    host: "127.0.0.1:5000",
  });
  assert.equal(apiRepo("localhost:5000/a:1").base, "http://localhost:5000");
  assert.equal(apiRepo("ghcr.io/org/a:1").base, "https://ghcr.io");
  assert.deepEqual(apiRepo("me/app:1"), {
    base: "https://registry-1.docker.io",
    path: "me/app",
    host: "docker.io",
  });
});

Deno.test("blobsOf: the config and every layer", () => {
  assert.deepEqual(
    blobsOf(
      '{"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:1"},{"digest":"sha256:2"}]}',
    ),
    ["sha256:c", "sha256:1", "sha256:2"],
  );
});

Deno.test("one registry: blobs are mounted, the manifest copied byte for byte (same digest)", async () => {
  const r = new FakeRegistries("ann:pw");
  const digest = await r.push("reg.test", "app-web-dev", "sha-1", ["layer one", "layer two"]);
  const got = await copyManifest(
    "reg.test/app-web-dev:sha-1",
    digest,
    "reg.test/app-web-live:sha-1",
    () => Promise.resolve({ user: "ann", password: "pw" }),
    r.fetch,
  );
  assert.equal(got, digest);
  assert.deepEqual(
    r.manifests.get("reg.test/app-web-live:sha-1")?.bytes,
    r.manifests.get(`reg.test/app-web-dev:${digest}`)?.bytes,
  );
  const mounts = r.log.filter((l) => l.startsWith("POST") && l.includes("mount="));
  assert.equal(mounts.length, 3, "three blobs mounted");
  assert.ok(!r.log.some((l) => l.startsWith("GET") && l.includes("/blobs/")), "no blob read");
});

Deno.test("two registries: the blobs are copied, the digest is the source's", async () => {
  const r = new FakeRegistries();
  const digest = await r.push("reg.test", "app-web-dev", "latest", ["layer"]);
  const got = await copyManifest(
    "reg.test/app-web-dev:latest",
    digest,
    "other.test/org/app-web-live:latest",
    () => Promise.resolve(undefined),
    r.fetch,
  );
  assert.equal(got, digest);
  assert.ok(r.manifests.has(`other.test/org/app-web-live:${digest}`));
});

Deno.test("wrong credentials: an error that says which step, with no credential in it", async () => {
  const r = new FakeRegistries("ann:pw");
  const digest = await r.push("reg.test", "a", "1", ["l"]);
  await assert.rejects(
    copyManifest(
      "reg.test/a:1",
      digest,
      "reg.test/b:1",
      () => Promise.resolve({ user: "ann", password: "nope-secret" }),
      r.fetch,
    ),
    (e: Error) => {
      assert.match(e.message, /^cannot read a@sha256:[0-9a-f]+: HTTP 401$/);
      assert.ok(!JSON.stringify(e).includes("nope-secret"));
      return true;
    },
  );
});
