/**
 * Tier 4, issue 17: what fleet says on a machine that is not ready — no docker, a docker without
 * a plugin, an engine that does not answer (socket, ssh), no such context, no permission.
 * Each message names what is missing and how to get it; exit 1. No engine is needed: a fake
 * docker, or the real docker CLI against addresses where nothing listens (127.0.0.1 only).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";
import { fakeDocker } from "./fake_docker.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

/** A project with a built service on `local` (no registry: nothing to pull) and on `dev`. */
function project(devHost = "", context = ""): string {
  return tempProject({
    "Dockerfile": "FROM busybox\n",
    "stages/_base.yaml": "project: fc\nservices:\n  web:\n    build: {}\n",
    "stages/local.yaml": "",
    "stages/dev.yaml": `confirm: false\n${devHost ? `host: ${devHost}\n` : ""}${
      context ? `context: ${context}\n` : ""
    }`,
  });
}

/** The real docker CLI's path, or undefined (those tests then skip, saying so). */
function realDocker(): string | undefined {
  const out = new Deno.Command("sh", { args: ["-c", "command -v docker"], stdout: "piped" })
    .outputSync();
  return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
}

for (const style of ["28", "20.10"] as const) {
  Deno.test(`docker ${style} without compose: deploy says the plugin is missing (not "build it first")`, async () => {
    const fake = fakeDocker({ lacks: "compose", style });
    const r = await fleet(["deploy", "local", "--yes"], {
      cwd: project(),
      env: { ...fake.env },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^error: the Docker Compose v2 plugin is not installed \(`docker compose`; fleet needs ≥ 2\.20\)$/m,
    );
    assert.match(r.stderr, /^hint: install it \(package docker-compose-plugin; https:/m);
    assert.doesNotMatch(r.stderr, /build it first|rolled back/);
    // the model check (`docker compose config`) comes first: no lock was ever taken
    assert.ok(!fake.calls().some((c) => c.startsWith("create ")), "no lock taken");
  });

  Deno.test(`docker ${style} without buildx: a buildx stage's build says the plugin is missing, once`, async () => {
    const fake = fakeDocker({ lacks: "buildx", style });
    const dir = project();
    Deno.writeTextFileSync(
      join(dir, "stages/_base.yaml"),
      "project: fc\nservices:\n  web:\n    build: {}\n  api:\n    build: {}\n",
    );
    const r = await fleet(["build", "dev"], { cwd: dir, env: { ...fake.env } });
    assert.equal(r.code, 1, r.stderr);
    const says = r.stderr.match(/^error: the Docker buildx plugin is not installed .*$/gm) ?? [];
    assert.deepEqual(says, [
      "error: the Docker buildx plugin is not installed (`docker buildx`; fleet needs ≥ 0.10)",
    ]);
    assert.match(r.stderr, /^hint: install it \(package docker-buildx-plugin; .*buildx: false/m);
  });
}

Deno.test("no docker on PATH: build and deploy say to install Docker", async () => {
  const bashOnly = Deno.makeTempDirSync({ prefix: "fleet-path-" });
  for (const tool of ["bash", "sh"]) {
    const out = new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "piped" })
      .outputSync();
    const at = new TextDecoder().decode(out.stdout).trim();
    if (at) Deno.symlinkSync(at, join(bashOnly, tool));
  }
  // with bash on PATH (zx's shell) and with none at all (fleet falls back to /bin/sh)
  for (const path of [bashOnly, "/nonexistent"]) {
    for (const args of [["build", "local"], ["deploy", "local", "--yes"]]) {
      const r = await fleet(args, { cwd: project(), env: { PATH: path } });
      assert.equal(r.code, 1, `${path} ${args}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^error: the docker CLI is not installed \(no `docker` on PATH\)$/m,
        `${path} ${args}`,
      );
      assert.match(r.stderr, /^hint: install Docker Engine .*docs\.docker\.com\/engine\/install/m);
      assert.doesNotMatch(r.stderr, /reading 'on'|build it first/);
    }
  }
});

Deno.test("permission denied on the socket: says so, and how to join the docker group", async () => {
  const fake = fakeDocker({
    fail:
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/images/json": dial unix /var/run/docker.sock: connect: permission denied',
  });
  const r = await fleet(["deploy", "local", "--yes"], {
    cwd: project(),
    env: { ...fake.env },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock$/m,
  );
  assert.match(r.stderr, /^hint: add your user to the docker group \(sudo usermod -aG docker/m);
});

const docker = realDocker();
const real = (name: string, fn: () => Promise<void>) =>
  Deno.test(name, async () => {
    if (!docker) return console.error("skipped (no docker CLI on PATH)");
    await fn();
  });

real("a socket that does not exist: build and deploy name it (not 'build it first')", async () => {
  for (const args of [["build", "local"], ["deploy", "local", "--yes"]]) {
    const r = await fleet(args, {
      cwd: project(),
      env: { PATH, DOCKER_HOST: "unix:///nonexistent/docker.sock" },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^error: no Docker engine answers at unix:\/\/\/nonexistent\/docker\.sock$/m,
    );
    assert.match(r.stderr, /^hint: start Docker \(sudo systemctl start docker/m);
    assert.doesNotMatch(r.stderr, /build it first/);
  }
});

real("an ssh host that refuses the connection: ssh cannot connect", async () => {
  const r = await fleet(["deploy", "dev", "--yes"], {
    cwd: project("ssh://deploy@127.0.0.1:1"),
    env: { PATH },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: ssh cannot connect to ssh:\/\/deploy@127\.0\.0\.1:1: Connection refused$/m,
  );
  assert.match(r.stderr, /^hint: check the host name and port in host:/m);
});

/** An `ssh` on PATH that plays a host: refuses the key, or runs the command without docker. */
function fakeSsh(kind: "refuses key" | "no docker"): string {
  const bin = Deno.makeTempDirSync({ prefix: "fleet-fake-ssh-" });
  // like a real ssh, read what the client sends before failing: otherwise the docker CLI races
  // its own write against our exit and may say "broken pipe" instead of our stderr
  const read = "timeout 2 head -c 1 >/dev/null 2>&1";
  const body = kind === "refuses key"
    ? `${read}; echo "deploy@127.0.0.1: Permission denied (publickey)." >&2; exit 255`
    : `while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done; shift 2\n${read}\nPATH=/nonexistent exec /bin/sh -c "$*"`;
  Deno.writeTextFileSync(join(bin, "ssh"), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

real("ssh refuses the key: ssh cannot log in (not 'docker is not running')", async () => {
  const r = await fleet(["deploy", "dev", "--yes"], {
    cwd: project("ssh://deploy@127.0.0.1"),
    env: { PATH: `${fakeSsh("refuses key")}:${PATH}`, FLEET_SSH_MUX: "0" },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: ssh cannot log in to ssh:\/\/deploy@127\.0\.0\.1: Permission denied \(publickey\)$/m,
  );
  assert.match(r.stderr, /^hint: fleet uses your own ssh setup: load the key \(ssh-add\)/m);
});

real("ssh works but the host has no docker: says docker is not installed there", async () => {
  const r = await fleet(["deploy", "dev", "--yes"], {
    cwd: project("ssh://deploy@127.0.0.1"),
    env: { PATH: `${fakeSsh("no docker")}:${PATH}`, FLEET_SSH_MUX: "0" },
  });
  assert.equal(r.code, 1, r.stderr);
  // the docker CLI races its own request against ssh's exit: either it reads the remote shell's
  // "docker: not found" (then fleet says so), or its write fails first ("broken pipe") and all
  // fleet can say is that the engine over ssh did not answer, and how to try it by hand
  if (/broken pipe/.test(r.stderr)) {
    assert.match(
      r.stderr,
      /^error: cannot reach the Docker engine on ssh:\/\/deploy@127\.0\.0\.1/m,
    );
    assert.match(r.stderr, /^hint: try it by hand: ssh .* docker version/m);
    return;
  }
  assert.match(
    r.stderr,
    /^error: ssh to ssh:\/\/deploy@127\.0\.0\.1 works, but docker is not installed there/m,
  );
  assert.match(r.stderr, /^hint: install Docker Engine on the host: https:/m);
});

real("a context that does not exist: says so, and how to create it", async () => {
  const name = `fleet-no-such-context-${Date.now()}`;
  const r = await fleet(["deploy", "dev", "--yes"], { cwd: project("", name), env: { PATH } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^error: the Docker context "${name}" does not exist$`, "m"));
  assert.match(r.stderr, new RegExp(`^hint: create it \\(docker context create ${name} `, "m"));
});

Deno.test("a healthy deploy runs no probe: the diagnosis reads failures, it asks nothing", async () => {
  const fake = fakeDocker();
  const r = await fleet(["deploy", "local", "--yes"], {
    cwd: project(),
    env: { ...fake.env },
  });
  assert.equal(r.code, 0, r.stderr);
  const calls = fake.calls();
  // what doctor (lib/doctor/probes.ts) would ask; a deploy asks none of it
  const probes = calls.filter((c) =>
    /^(--version|version --format \{\{\.Server\.Version\}\}|info |compose version|buildx version|context )/
      .test(c)
  );
  assert.deepEqual(probes, [], calls.join("\n"));
});
