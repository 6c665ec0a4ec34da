/**
 * Tier 4: `fleet doctor` as a subprocess, with a fake docker (no engine needed) and a registry
 * played by this test on 127.0.0.1. Lines, --json, exit codes, no ANSI without a terminal.
 */
import assert from "node:assert/strict";
import { fleet, freePort } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";
import { fakeDocker } from "./fake_docker.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

/** A registry on 127.0.0.1 that answers `GET /v2/` with 200; closed after `fn`. */
async function withRegistry(fn: (host: string) => Promise<void>): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/v2/" ? Response.json({}) : new Response("", { status: 404 }),
  );
  try {
    await fn(`127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

function project(registry: string, host = ""): string {
  return tempProject({
    "stages/_base.yaml": `project: dr\nregistry: ${registry}\nservices:\n  web:\n    build: {}\n`,
    "stages/local.yaml": "registry: ''\n",
    "stages/dev.yaml": host ? `host: ${host}\n` : "",
  });
}

Deno.test("doctor on a ready machine: every line ✔, exit 0, no ANSI codes", async () => {
  await withRegistry(async (registry) => {
    const fake = fakeDocker();
    const r = await fleet(["doctor"], {
      cwd: project(registry),
      env: { ...fake.env, NO_COLOR: "" },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const names = r.stdout.trimEnd().split("\n").map((l) => l.match(/^✔ (.+?) {2}/)?.[1]);
    assert.deepEqual(
      names,
      [
        "deno",
        "docker",
        "compose",
        "buildx",
        "local engine",
        "local: config",
        "local: host",
        "local: engine",
        "local: lock",
        "dev: config",
        "dev: host",
        "dev: engine",
        "dev: lock",
        `dev: registry ${registry}`,
        `dev: login ${registry}`,
      ],
      r.stdout,
    );
    assert.match(r.stdout, /^✔ compose +2\.26\.1 \(≥ 2\.20\)$/m);
    assert.match(
      r.stdout,
      new RegExp(`^✔ dev: registry ${registry} +${registry} answers \\(HTTP 200\\)$`, "m"),
    );
    assert.ok(!(r.stdout + r.stderr).includes("\x1b["), "no ANSI escape");
  });
});

Deno.test("doctor --json: one document on stdout with every check", async () => {
  await withRegistry(async (registry) => {
    const fake = fakeDocker({ lacks: "compose" });
    const r = await fleet(["doctor", "dev", "--json"], {
      cwd: project(registry),
      env: { ...fake.env },
    });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.ok, false);
    const compose = doc.checks.find((c: { name: string }) => c.name === "compose");
    assert.deepEqual(Object.keys(compose), ["name", "ok", "detail", "fix"]);
    assert.equal(compose.ok, false);
    assert.match(compose.detail, /Compose v2 plugin is not installed/);
    assert.match(compose.fix, /docker-compose-plugin/);
    const host = doc.checks.find((c: { name: string }) => c.name === "dev: host");
    assert.deepEqual([host.ok, host.fix], [true, null]);
    assert.match(r.stderr, /^error: 1 of \d+ checks failed$/m);
  });
});

Deno.test("doctor names each broken part: no compose, a registry nobody answers on", async () => {
  const port = freePort();
  const fake = fakeDocker({ lacks: "compose", style: "20.10" });
  const r = await fleet(["doctor", "dev"], {
    cwd: project(`127.0.0.1:${port}`),
    env: { ...fake.env },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /^✘ compose +the Docker Compose v2 plugin is not installed .*\n +fix: install it/m,
  );
  assert.match(
    r.stdout,
    new RegExp(
      `^✘ dev: registry 127\\.0\\.0\\.1:${port} +127\\.0\\.0\\.1:${port} does not answer \\(http://127\\.0\\.0\\.1:${port}/v2/: connection refused\\)\\n +fix: start the registry on 127\\.0\\.0\\.1:${port}`,
      "m",
    ),
  );
  assert.match(
    r.stdout,
    new RegExp(`^- dev: login 127\\.0\\.0\\.1:${port} +not checked \\(dev: registry`, "m"),
  );
  assert.match(r.stdout, /^✔ buildx /m);
  assert.match(r.stderr, /^error: 2 of \d+ checks failed \(1 more not run\)$/m);
});

Deno.test("doctor without docker: says to install it; what needs docker is not run", async () => {
  const r = await fleet(["doctor", "dev"], {
    cwd: project(`127.0.0.1:${freePort()}`),
    env: { PATH: "/nonexistent" },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^✘ docker +the docker CLI is not installed \(no `docker` on PATH\)$/m);
  assert.match(
    r.stdout,
    /^ +fix: install Docker Engine with the buildx and compose plugins: https:/m,
  );
  for (const n of ["compose", "buildx", "local engine", "dev: host"]) {
    assert.match(r.stdout, new RegExp(`^- ${n} +not checked \\(docker failed\\)$`, "m"));
  }
  assert.match(r.stdout, /^- dev: engine +not checked \(dev: host failed\)$/m);
});

Deno.test("doctor: a socket that does not exist, an ssh host that refuses", async () => {
  const fake = fakeDocker({
    fail:
      "Cannot connect to the Docker daemon at unix:///nonexistent. Is the docker daemon running?",
  });
  const dead = await fleet(["doctor", "dev"], {
    cwd: project(`127.0.0.1:${freePort()}`, "unix:///nonexistent"),
    env: { ...fake.env },
  });
  assert.equal(dead.code, 1, dead.stderr);
  assert.match(
    dead.stdout,
    /^✘ dev: host +no Docker engine answers at unix:\/\/\/nonexistent\n +fix: start Docker/m,
  );
  const has = new Deno.Command("sh", { args: ["-c", "command -v docker"] }).outputSync().success;
  if (!has) return console.error("skipped the ssh half (no docker CLI on PATH)");
  const ssh = await fleet(["doctor", "dev"], {
    cwd: project(`127.0.0.1:${freePort()}`, "ssh://deploy@127.0.0.1:1"),
    env: { PATH },
  });
  assert.equal(ssh.code, 1, ssh.stderr);
  assert.match(
    ssh.stdout,
    /^✘ dev: host +ssh cannot connect to ssh:\/\/deploy@127\.0\.0\.1:1: Connection refused$/m,
  );
  assert.match(ssh.stdout, /^- dev: ssh sharing +not checked \(dev: host failed\)$/m);
});

Deno.test("doctor with an unknown stage: exit 2, and no docker command ran", async () => {
  const fake = fakeDocker();
  const r = await fleet(["doctor", "prod"], {
    cwd: project("127.0.0.1:1"),
    env: { ...fake.env },
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: unknown stage "prod" \(stages: local, dev\)$/m);
  assert.deepEqual(fake.calls(), []);
});
