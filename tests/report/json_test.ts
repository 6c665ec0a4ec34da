/** The --json documents: stable keys, null where there is no value, failures with result and error. */
import assert from "node:assert/strict";
import { CommandError, ConfigError, withResult } from "../../lib/core/errors.ts";
import {
  buildJson,
  failureJson,
  historyJson,
  promoteJson,
  psJson,
  releaseJson,
} from "../../lib/report/json.ts";
import type { ReleaseResult } from "../../lib/release/types.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

const deployed: ReleaseResult = {
  command: "deploy",
  stage: "dev",
  app: "app",
  project: "app-dev",
  host: "ssh://deploy@h",
  release: "r20260102T030405Z-ab12",
  result: "ok",
  services: [
    {
      name: "web",
      image: "reg/app-web-dev:sha-1",
      id: "sha256:new",
      digest: D2,
      before: "sha256:old",
      beforeDigest: D1,
      redeployed: true,
    },
    { name: "db", image: "postgres:16", id: "sha256:pg", redeployed: false },
  ],
};

Deno.test("deploy: stage, release, result, services with image and digest", () => {
  const j = releaseJson(deployed);
  assert.deepEqual(Object.keys(j), [
    "command",
    "stage",
    "project",
    "host",
    "release",
    "result",
    "services",
    "rollback",
    "hook",
    "note",
    "commands",
    "error",
  ]);
  assert.deepEqual(j.services, [
    {
      name: "web",
      image: "reg/app-web-dev:sha-1",
      digest: D2,
      id: "sha256:new",
      before: { id: "sha256:old", digest: D1 },
      redeployed: true,
    },
    {
      name: "db",
      image: "postgres:16",
      digest: null,
      id: "sha256:pg",
      before: null,
      redeployed: false,
    },
  ]);
  assert.equal(j.error, null);
});

Deno.test("a rolled-back deploy says so, with the error and the rollback", () => {
  const r: ReleaseResult = {
    ...deployed,
    result: "rolled-back",
    error: "service web did not become ready",
    rollback: { result: "ok", release: "r1-rb" },
  };
  const err = withResult(new CommandError("deploy of dev failed and was rolled back: x"), r);
  const j = failureJson("deploy", err, releaseJson(r));
  assert.equal(j.result, "rolled-back");
  assert.deepEqual(j.rollback, { result: "ok", release: "r1-rb" });
  assert.deepEqual(j.error, {
    message: "deploy of dev failed and was rolled back: x",
    hint: null,
    exitCode: 1,
    kind: "command",
    problems: [],
  });
});

Deno.test("a failure without a result: command, stage, result failed, the error's position", () => {
  const e = new ConfigError("stages/dev.yaml:3:5: services.web.prots: unknown key", {
    hint: "see README",
  });
  assert.deepEqual(failureJson("config", e, { stage: "dev" }), {
    command: "config",
    stage: "dev",
    result: "failed",
    error: {
      message: "stages/dev.yaml:3:5: services.web.prots: unknown key",
      hint: "see README",
      exitCode: 2,
      kind: "config",
      problems: [
        { file: "stages/dev.yaml", line: 3, col: 5, message: "services.web.prots: unknown key" },
      ],
    },
  });
});

Deno.test("build: stage, services with image, tags, digest, seconds", () => {
  const j = buildJson("dev", [
    {
      service: "web",
      ref: "r/w:latest",
      refs: ["r/w:latest", "r/w:sha-1"],
      digest: D1,
      platforms: [],
      seconds: 2.04,
    },
    {
      service: "api",
      ref: "r/a:latest",
      refs: ["r/a:latest"],
      platforms: [],
      seconds: 1,
      error: new Error("boom"),
    },
  ]);
  assert.equal(j.result, "failed");
  assert.deepEqual(j.services, [
    {
      name: "web",
      image: "r/w:latest",
      tags: ["r/w:latest", "r/w:sha-1"],
      digest: D1,
      seconds: 2,
      error: null,
    },
    {
      name: "api",
      image: "r/a:latest",
      tags: ["r/a:latest"],
      digest: null,
      seconds: 1,
      error: "boom",
    },
  ]);
});

Deno.test("ps, history and promote documents", () => {
  const ps = psJson({
    stage: "dev",
    project: "app-dev",
    host: "local engine",
    containers: [{
      name: "app-dev-web-1",
      service: "web",
      image: "r/w:latest",
      state: "running",
      status: "Up 2 seconds",
      health: "",
      exitCode: 0,
      ports: [{ url: "127.0.0.1", published: 8080, target: 80, protocol: "tcp" }],
    }],
  });
  assert.deepEqual(ps.containers, [{
    name: "app-dev-web-1",
    service: "web",
    image: "r/w:latest",
    state: "running",
    status: "Up 2 seconds",
    health: null,
    exitCode: 0,
    ports: [{ url: "127.0.0.1", published: 8080, target: 80, protocol: "tcp" }],
  }]);
  const h = historyJson({
    stage: "dev",
    host: "h",
    releases: [{
      id: "r1",
      project: "app-dev",
      time: "t",
      who: "me",
      commit: "abc",
      kind: "deploy",
      result: "ok",
      services: { web: { ref: "r/w:1", id: "sha256:i", digest: D1 } },
      model: "name: x\n",
    }],
  });
  assert.deepEqual(h.releases, [{
    id: "r1",
    time: "t",
    who: "me",
    commit: "abc",
    kind: "deploy",
    result: "ok",
    services: { web: { image: "r/w:1", id: "sha256:i", digest: D1 } },
    note: null,
  }]);
  const p = promoteJson({
    from: "dev",
    to: "live",
    services: [{
      service: "web",
      from: "r/w-dev:1",
      to: "r/w-live:1",
      digest: D1,
      sourceDigest: D1,
      identical: true,
    }],
  });
  assert.deepEqual(p.services, [{
    name: "web",
    image: "r/w-live:1",
    digest: D1,
    source: "r/w-dev:1",
    sourceDigest: D1,
    identical: true,
  }]);
  assert.equal(p.result, "ok");
});
