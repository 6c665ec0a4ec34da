/**
 * Issue 17 end to end: `fleet doctor dev` on a temp project pointing at the test bed passes on
 * the healthy bed, and names the broken part when one is broken (a dead socket, a registry port
 * nobody listens on, a held lock). The shared registries are never stopped.
 */
import assert from "node:assert/strict";
import { docker, e2e, fleet, freePort, type Testbed, uniqueName } from "./harness.ts";
import { tempProject } from "../helpers.ts";

function project(project: string, dev: string, pre = ""): string {
  return tempProject({
    "Dockerfile": "FROM busybox\n",
    "stages/_base.yaml": `project: ${project}\nservices:\n  web:\n    build: {}\n`,
    "stages/dev.yaml": dev,
    ...(pre ? { "stages/pre.yaml": pre } : {}),
  });
}

const env = (tb: Testbed, more: Record<string, string> = {}) => ({
  PATH: `${tb.sshBin}:${Deno.env.get("PATH")}`,
  DOCKER_HOST: tb.engine1,
  DOCKER_CONFIG: Deno.makeTempDirSync({ prefix: "fleet-docker-config-" }), // no stored logins
  ...more,
});

e2e("doctor dev on the healthy test bed: every check passes", async (tb) => {
  const dir = project(
    uniqueName("doc"),
    `registry: ${tb.registry}\nhost: ${tb.engine2}\n`,
    `registry: ${tb.authRegistry}\nhost: ${tb.sshHost}\n`,
  );
  const r = await fleet(["doctor", "dev"], { cwd: dir, env: env(tb) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (
    const line of [
      /^✔ docker +\d+\.\d+/m,
      /^✔ compose +\d+\.\d+\.\d+ \(≥ 2\.20\)$/m,
      /^✔ buildx +\d+\.\d+\.\d+ \(≥ 0\.10\)$/m,
      /^✔ local engine +\d+\.\d+/m,
      new RegExp(`^✔ dev: host +${tb.engine2} answers$`, "m"),
      /^✔ dev: engine +\d+\.\d+/m,
      /^✔ dev: lock +free$/m,
      new RegExp(`^✔ dev: registry ${tb.registry} +${tb.registry} answers \\(HTTP 200\\)$`, "m"),
      new RegExp(`^✔ dev: login ${tb.registry} +no login needed$`, "m"),
    ]
  ) assert.match(r.stdout, line);
  assert.doesNotMatch(r.stdout, /^[✘-] /m);

  // over ssh, with the auth registry and credentials from the environment
  const pre = await fleet(["doctor", "pre", "--json"], {
    cwd: dir,
    env: env(tb, { FLEET_REGISTRY_USER: tb.authUser, FLEET_REGISTRY_PASSWORD: tb.authPassword }),
  });
  assert.equal(pre.code, 0, pre.stdout + pre.stderr);
  const checks = Object.fromEntries(
    JSON.parse(pre.stdout).checks.map((c: { name: string; detail: string }) => [c.name, c.detail]),
  );
  assert.equal(checks["pre: ssh sharing"], "one shared connection (OpenSSH ControlMaster)");
  assert.match(checks[`pre: login ${tb.authRegistry}`], /accepts the credentials from FLEET_/);
  assert.ok(!pre.stdout.includes(tb.authPassword), "the password is never printed");
});

e2e("doctor dev names the broken part: a dead socket, a registry nobody answers on", async (tb) => {
  const port = freePort();
  const dead = `unix:///tmp/${uniqueName("fleet-dead-")}.sock`;
  const dir = project(uniqueName("doc"), `registry: 127.0.0.1:${port}\nhost: ${dead}\n`);
  const r = await fleet(["doctor", "dev"], { cwd: dir, env: env(tb) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`^✘ dev: host +no Docker engine answers at ${dead}\\n +fix: start Docker`, "m"),
  );
  assert.match(r.stdout, /^- dev: engine +not checked \(dev: host failed\)$/m);
  assert.match(
    r.stdout,
    new RegExp(
      `^✘ dev: registry 127\\.0\\.0\\.1:${port} +.*does not answer .*connection refused`,
      "m",
    ),
  );
  assert.match(r.stdout, /^✔ local engine /m, "the machine itself is fine");
  assert.match(r.stderr, /^error: 2 of \d+ checks failed \(\d+ more not run\)$/m);
});

e2e("doctor dev names a held deploy lock, and whose it is", async (tb) => {
  const name = uniqueName("doc");
  const lock = `fleet-lock-${name}-dev`;
  await docker(tb.engine2, [
    "create",
    "--name",
    lock,
    "--label",
    "dev.fleet.lock.holder=e2e-someone",
    "--label",
    "dev.fleet.lock.since=2026-01-02T03:04:05Z",
    "--label",
    "dev.fleet.lock.command=deploy",
    "--network",
    "none",
    "--entrypoint",
    "/fleet-lock-never-started",
    "busybox",
  ]);
  try {
    const dir = project(name, `registry: ${tb.registry}\nhost: ${tb.engine2}\n`);
    const r = await fleet(["doctor", "dev"], { cwd: dir, env: env(tb) });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^✘ dev: lock +held by e2e-someone \(deploy\) since 2026-01-02T03:04:05Z\n +fix: .*fleet unlock dev$/m,
    );
  } finally {
    await docker(tb.engine2, ["rm", "-f", lock]).catch(() => "");
  }
});
