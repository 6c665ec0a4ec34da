/** Tier 3: a stage's readiness checks against a recording runner (what the host answers). */
import assert from "node:assert/strict";
import { type Shared, stageChecks } from "../../lib/doctor/readiness.ts";
import type { Step } from "../../lib/core/run.ts";
import type { Stage } from "../../lib/config/stage.ts";
import { recordingRunner, stageFixture, testDeps } from "../helpers.ts";

const web = { name: "web", build: { context: "/p", args: {} } };
const shared: Shared = {
  cli: { name: "docker", ok: true, detail: "28.2.2" },
  ask: () => Promise.resolve({ url: "http://r/v2/", status: 200, challenge: "" }),
  config: {},
  fetch,
};

/** The host: `answers` maps a docker subcommand (version, info, inspect, …) to its reply. */
function host(answers: Record<string, { code?: number; stdout?: string; stderr?: string }>) {
  return recordingRunner((s: Step) => {
    const i = s.argv.findIndex((a, n) =>
      n > 0 && !a.startsWith("-") && s.argv[n - 1] !== "--context"
    );
    return answers[s.argv[i]] ?? { code: 0, stdout: "" };
  });
}

async function run(stage: Stage, runner: ReturnType<typeof recordingRunner>, env = {}) {
  const checks = await stageChecks(stage, testDeps("/p", { runner, env }), shared);
  return Object.fromEntries(checks.map((c) => [c.name, c]));
}

const healthy = {
  version: { stdout: "20.10.24\n" },
  inspect: { code: 1, stderr: "Error: No such object: fleet-lock-app-dev" },
};

Deno.test("a ready stage: host, engine, lock free, registry, login", async () => {
  const c = await run(stageFixture([web], { host: "unix:///run/e2.sock" }), host(healthy));
  assert.deepEqual(Object.keys(c), [
    "dev: config",
    "dev: host",
    "dev: engine",
    "dev: lock",
    "dev: registry reg.example",
    "dev: login reg.example",
  ]);
  assert.ok(Object.values(c).every((x) => x.ok), JSON.stringify(c));
  assert.equal(c["dev: host"].detail, "unix:///run/e2.sock answers");
  assert.equal(c["dev: engine"].detail, "20.10.24 (≥ 20.10)");
});

Deno.test("a stage with several hosts: the host checks of each host, by name", async () => {
  const stage = stageFixture([web], {
    hosts: [{ name: "a", host: "unix:///run/a.sock" }, { name: "b", host: "unix:///run/b.sock" }],
    parallel: 1,
  });
  const runner = recordingRunner((s: Step) =>
    s.env?.DOCKER_HOST === "unix:///run/b.sock" && s.argv.includes("version")
      ? { code: 1, stderr: "Cannot connect to the Docker daemon at unix:///run/b.sock" }
      : s.argv.includes("version")
      ? { stdout: "20.10.24\n" }
      : { code: 1, stderr: "Error: No such object: fleet-lock-app-dev" }
  );
  const c = await run(stage, runner);
  assert.deepEqual(Object.keys(c).filter((k) => / (a|b): /.test(k)), [
    "dev a: host",
    "dev a: engine",
    "dev a: lock",
    "dev b: host",
    "dev b: engine",
    "dev b: lock",
  ]);
  assert.ok(c["dev a: host"].ok && c["dev a: lock"].ok, JSON.stringify(c));
  assert.equal(c["dev a: host"].detail, "unix:///run/a.sock answers");
  assert.equal(c["dev b: host"].ok, false);
});

Deno.test("a held lock says whose, and how to clear it; an old engine says so", async () => {
  const lock = JSON.stringify({
    "dev.fleet.lock.holder": "alice",
    "dev.fleet.lock.since": "2026-01-02T03:04:05Z",
    "dev.fleet.lock.command": "deploy",
  });
  const c = await run(
    stageFixture([web], { host: "unix:///run/e2.sock" }),
    host({ version: { stdout: "19.03.15" }, inspect: { stdout: lock } }),
  );
  assert.deepEqual(c["dev: lock"], {
    name: "dev: lock",
    ok: false,
    detail: "held by alice (deploy) since 2026-01-02T03:04:05Z",
    fix: "wait for it to finish; if that process is gone: fleet unlock dev",
  });
  assert.deepEqual([c["dev: engine"].ok, c["dev: engine"].detail], [
    false,
    "19.03.15 is older than 20.10",
  ]);
});

Deno.test("a Swarm stage's host must be a Swarm manager", async () => {
  const swarm = stageFixture(
    [web],
    { host: "unix:///m.sock", orchestrator: "swarm" } as Partial<Stage>,
  );
  const states: [string, boolean, RegExp][] = [
    ["active true", true, /^a Swarm manager$/],
    ["active false", false, /is a Swarm worker, not a manager/],
    ["inactive false", false, /is not part of a Swarm \(inactive\)/],
  ];
  for (const [answer, ok, detail] of states) {
    const runner = host({ ...healthy, info: { stdout: answer } });
    const c = await run(swarm, runner);
    assert.equal(c["dev: swarm"].ok, ok, answer);
    assert.match(c["dev: swarm"].detail, detail);
    assert.ok(runner.argvs().some((a) => a.includes("info --format {{.Swarm.LocalNodeState}}")));
  }
  const compose = host(healthy);
  assert.ok(!("dev: swarm" in await run(stageFixture([web]), compose)));
  assert.ok(
    !compose.argvs().some((a) => a.includes(" info ")),
    "no swarm probe for Compose stages",
  );
});

Deno.test("ssh works but docker on the host does not: host ✔, engine ✘, the rest not run", async () => {
  const far = {
    code: 1,
    stderr:
      'error during connect: Get "http://docker.example.com/v1.50/version": command [ssh -l deploy -- h docker system dial-stdio] has exited with exit status 127, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=sh: 1: docker: not found\n',
  };
  const c = await run(
    stageFixture([web], { host: "ssh://deploy@h" }),
    host({ version: far }),
    { FLEET_SSH_MUX: "0" },
  );
  assert.deepEqual([c["dev: host"].ok, c["dev: host"].detail], [true, "ssh login works"]);
  assert.match(
    c["dev: engine"].detail,
    /^ssh to ssh:\/\/deploy@h works, but docker is not installed there/,
  );
  assert.deepEqual([c["dev: lock"].skipped, c["dev: ssh sharing"].skipped], [true, true]);
});

Deno.test("ssh sharing: on (the shared connection is checked), or off with FLEET_SSH_MUX=0", async () => {
  const stage = stageFixture([web], { host: "ssh://deploy@h:2222" });
  const runner = host(healthy);
  const on = await run(stage, runner, { PATH: "/usr/bin:/bin" });
  assert.equal(on["dev: ssh sharing"].detail, "one shared connection (OpenSSH ControlMaster)");
  assert.ok(
    runner.argvs().some((a) => / -p 2222 -O check deploy@h$/.test(a)),
    runner.argvs().join("\n"),
  );
  const off = await run(stage, host(healthy), { FLEET_SSH_MUX: "0" });
  assert.match(off["dev: ssh sharing"].detail, /^off \(FLEET_SSH_MUX=0\)/);
});

Deno.test("a host with an unset ${VAR}: says which, runs nothing on it", async () => {
  const runner = host(healthy);
  const c = await run(stageFixture([web], { host: "ssh://${DEPLOY_HOST}" }), runner);
  assert.equal(c["dev: host"].detail, "host: needs ${DEPLOY_HOST}, which is not set");
  assert.deepEqual(runner.steps, []);
});

Deno.test("the proxy: its routes; one started without tcp_migrate_req is named, with the fix", async () => {
  const proxied = { ...web, proxy: { port: 8080 } };
  const stage = stageFixture([proxied], {
    host: "unix:///run/e2.sock",
    proxy: { image: "caddy:2", http: "80", tls: "off" },
  });
  const routes = JSON.stringify({
    apps: {
      http: {
        servers: {
          fleet: {
            routes: [{
              "@id": "fleet/app-dev/web",
              handle: [{ upstreams: [{ dial: "app-dev-web-1:8080" }] }],
            }],
          },
        },
      },
    },
  });
  const answers = (sysctls: Record<string, string> | null) => ({
    ...healthy,
    container: {
      stdout: JSON.stringify({
        State: { Status: "running" },
        Config: { Image: "caddy:2" },
        HostConfig: { Sysctls: sysctls },
      }) + "\n",
    },
    exec: { stdout: routes },
  });
  const made = (await run(stage, host(answers({ "net.ipv4.tcp_migrate_req": "1" }))))["dev: proxy"];
  assert.equal(made.ok, true);
  assert.equal(made.detail, "fleet-proxy answers, 1 route (this stage: */ → app-dev-web-1:8080)");
  const old = (await run(stage, host(answers(null))))["dev: proxy"];
  assert.equal(old.ok, true);
  assert.match(
    old.detail,
    /; started without net\.ipv4\.tcp_migrate_req=1: .* \(docker rm -f fleet-proxy on the host, then deploy, makes it anew\)$/,
  );
});
