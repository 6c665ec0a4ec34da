/** Image lookups: "no such image" is an answer; any other failure is not. */
import assert from "node:assert/strict";
import { inspectImages } from "../../lib/docker/queries.ts";
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
  assert.deepEqual([...ids], [["a:1", "sha256:a"], ["gone:1", undefined]]);
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
