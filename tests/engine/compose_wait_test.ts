import assert from "node:assert/strict";
import { assess } from "../../lib/engine/compose_wait.ts";
import type { ContainerState } from "../../lib/docker/queries.ts";
import { parseContainers } from "../../lib/docker/engine_cli.ts";

const st = (service: string, status: string, health = "", exitCode = 0): ContainerState => ({
  id: service,
  service,
  status,
  health,
  exitCode,
  restarts: 0,
});

Deno.test("ready when running and healthy (or no healthcheck)", () => {
  assert.deepEqual(assess([st("a", "running"), st("b", "running", "healthy")], ["a", "b"]), {
    kind: "ready",
  });
});

Deno.test("waiting while starting, or while a container is missing", () => {
  assert.deepEqual(assess([st("a", "running", "starting")], ["a"]), {
    kind: "waiting",
    why: "a: running, starting",
  });
  assert.deepEqual(assess([], ["a"]), { kind: "waiting", why: "a: no container yet" });
  assert.equal(assess([st("a", "created")], ["a"]).kind, "waiting");
});

Deno.test("failed at once on exit or unhealthy", () => {
  assert.deepEqual(assess([st("a", "exited", "", 3)], ["a"]), {
    kind: "failed",
    service: "a",
    why: "container exited (exit code 3)",
  });
  assert.deepEqual(assess([st("a", "running", "unhealthy")], ["a"]), {
    kind: "failed",
    service: "a",
    why: "healthcheck failed (unhealthy)",
  });
});

Deno.test("parseContainers reads service and image ID from Compose labels", () => {
  const line = JSON.stringify({
    ID: "c1",
    Names: "p-web-1",
    Image: "x:latest",
    State: "running",
    Labels: "com.docker.compose.service=web,com.docker.compose.image=sha256:abc,a=b=c",
  });
  assert.deepEqual(parseContainers(line + "\n"), [
    {
      id: "c1",
      name: "p-web-1",
      service: "web",
      imageRef: "x:latest",
      imageId: "sha256:abc",
      state: "running",
    },
  ]);
});
