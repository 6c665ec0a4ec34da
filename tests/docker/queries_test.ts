/** Image lookups ("no such image" is an answer; any other failure is not) and Compose's ps. */
import assert from "node:assert/strict";
import { parseComposePs } from "../../lib/docker/compose_ps.ts";
import { parseImageInfos } from "../../lib/docker/engine_cli.ts";
import { inspectImages, repoDigest } from "../../lib/docker/queries.ts";
import { CommandError } from "../../lib/core/errors.ts";
import { recordingRunner, testDeps } from "../helpers.ts";

const target = { env: {}, dockerArgv: ["docker"], label: "local engine" };

Deno.test("inspectImages: a missing image maps to undefined", async () => {
  const runner = recordingRunner((s) =>
    s.argv.includes("gone:1") ? { code: 1, stderr: "Error: No such image: gone:1" } : {
      stdout: "sha256:a\n",
    }
  );
  const ids = await inspectImages(testDeps("/", { runner }), target, ["a:1", "gone:1"]);
  assert.deepEqual([...ids], [["a:1", { id: "sha256:a", repoDigests: [] }], ["gone:1", undefined]]);
});

Deno.test("inspectImages: an engine that does not answer is an error, not a missing image", async () => {
  const runner = recordingRunner(() => ({
    code: 1,
    stderr: "Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?",
  }));
  await assert.rejects(
    inspectImages(testDeps("/", { runner }), target, ["a:1"]),
    (e) => e instanceof CommandError && /Cannot connect/.test(e.stderrTail),
  );
});

const D = "sha256:" + "a".repeat(64);

Deno.test("image inspect: ID and repo digests; the digest of the reference's repository", () => {
  const infos = parseImageInfos(
    `sha256:1 ["127.0.0.1:5000/app@${D}","ghcr.io/o/app@sha256:bb"]\nsha256:2 []\nsha256:3\n`,
  );
  assert.deepEqual(infos.map((i) => i.id), ["sha256:1", "sha256:2", "sha256:3"]);
  assert.equal(repoDigest(infos[0].repoDigests, "127.0.0.1:5000/app:latest"), D);
  assert.equal(repoDigest(infos[0].repoDigests, "ghcr.io/o/app:fleet-r1"), "sha256:bb");
  assert.equal(repoDigest(infos[0].repoDigests, "127.0.0.1:5000/other:1"), undefined);
  assert.deepEqual(infos[2].repoDigests, []);
});

const web = {
  Name: "app-dev-web-1",
  Service: "web",
  Image: "r/w:1",
  State: "running",
  Status: "Up 3 seconds (healthy)",
  Health: "healthy",
  ExitCode: 0,
  Publishers: [
    { URL: "127.0.0.1", TargetPort: 8080, PublishedPort: 18080, Protocol: "tcp" },
    { URL: "", TargetPort: 9000, PublishedPort: 0, Protocol: "tcp" },
  ],
};
const db = { ...web, Name: "app-dev-db-1", Service: "db", State: "exited", Publishers: null };

Deno.test("compose ps --format json: one object per line (Compose ≥ 2.21) or an array", () => {
  const lines = parseComposePs(`${JSON.stringify(web)}\n${JSON.stringify(db)}\n`);
  const array = parseComposePs(JSON.stringify([web, db]));
  assert.deepEqual(lines, array);
  assert.deepEqual(lines[0], {
    name: "app-dev-web-1",
    service: "web",
    image: "r/w:1",
    state: "running",
    status: "Up 3 seconds (healthy)",
    health: "healthy",
    exitCode: 0,
    ports: [
      { url: "127.0.0.1", published: 18080, target: 8080, protocol: "tcp" },
      { target: 9000, protocol: "tcp" },
    ],
  });
  assert.deepEqual(lines[1].ports, []);
  assert.deepEqual(parseComposePs(""), []);
});
