/** The diagnosis of failed docker calls, from stderr as the 20.10 and 28.x clients print it. */
import assert from "node:assert/strict";
import { diagnose, dockerCall } from "../../lib/docker/diagnose.ts";
import { SetupError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";

const COMPOSE = ["docker", "compose", "-p", "a-dev", "-f", "-", "stop", "web"];
const BUILDX = ["docker", "buildx", "build", "--platform", "linux/amd64", "."];
const INSPECT = ["docker", "image", "inspect", "--format", "{{.Id}}", "a:1"];
const USAGE_2010 =
  "unknown shorthand flag: 'p' in -p\nSee 'docker --help'.\n\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n";
const USAGE_28 =
  "unknown shorthand flag: 'p' in -p\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\nRun 'docker --help' for more information\n";
const ssh = (cmd: string, status: number, far: string) =>
  `error during connect: Get "http://docker.example.com/v1.50/containers/json": command [${cmd} docker system dial-stdio] has exited with exit status ${status}, make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr=${far}\n`;

/** [argv, exit code, stderr, env, expected message, expected hint] */
const cases: Record<string, [string[], number, string, Record<string, string>, RegExp, RegExp]> = {
  "no docker (bash)": [
    INSPECT,
    127,
    "bash: line 1: docker: command not found\n",
    {},
    /^the docker CLI is not installed \(no `docker` on PATH\)$/,
    /docs\.docker\.com\/engine\/install/,
  ],
  "no docker (dash)": [INSPECT, 127, "/bin/sh: 1: docker: not found\n", {}, /not installed/, /./],
  "no compose (20.10)": [
    COMPOSE,
    125,
    USAGE_2010,
    {},
    /^the Docker Compose v2 plugin is not installed \(`docker compose`; fleet needs ≥ 2\.20\)$/,
    /docker-compose-plugin/,
  ],
  "no compose (28.x)": [COMPOSE, 125, USAGE_28, {}, /Compose v2 plugin is not installed/, /./],
  "no compose (docker compose version, 20.10)": [
    ["docker", "compose", "version"],
    1,
    "docker: 'compose' is not a docker command.\nSee 'docker --help'\n",
    {},
    /Compose v2 plugin is not installed/,
    /./,
  ],
  "no compose (docker compose version, 28.x)": [
    ["docker", "compose", "version"],
    1,
    "docker: unknown command: docker compose\n\nRun 'docker --help' for more information\n",
    {},
    /Compose v2 plugin is not installed/,
    /./,
  ],
  "no buildx (28.x)": [
    BUILDX,
    125,
    "unknown flag: --platform\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n",
    {},
    /^the Docker buildx plugin is not installed \(`docker buildx`; fleet needs ≥ 0\.10\)$/,
    /buildx: false/,
  ],
  "compose too old": [
    [...COMPOSE.slice(0, 6), "up", "--wait-timeout", "5"],
    1,
    "unknown flag: --wait-timeout\n",
    {},
    /^the Docker Compose v2 plugin is too old: it does not know --wait-timeout \(fleet needs ≥ 2\.20\)$/,
    /^upgrade it/,
  ],
  "dead socket": [
    INSPECT,
    1,
    "Cannot connect to the Docker daemon at unix:///nonexistent. Is the docker daemon running?\n",
    {},
    /^no Docker engine answers at unix:\/\/\/nonexistent$/,
    /systemctl start docker/,
  ],
  "dead tcp": [
    INSPECT,
    1,
    "Cannot connect to the Docker daemon at tcp://127.0.0.1:1. Is the docker daemon running?\n",
    {},
    /^no Docker engine answers at tcp:\/\/127\.0\.0\.1:1$/,
    /dockerd listens there/,
  ],
  "buildx on a dead engine": [
    BUILDX,
    1,
    "ERROR: Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?\n",
    {},
    /^no Docker engine answers at unix:\/\/\/x\.sock$/,
    /./,
  ],
  "no such context (20.10)": [
    ["docker", "--context", "nope", "ps"],
    1,
    'unable to resolve docker endpoint: context "nope" does not exist\n',
    {},
    /^the Docker context "nope" does not exist$/,
    /docker context ls/,
  ],
  "no such context (28.x)": [
    ["docker", "--context", "nope", "compose", "ps"],
    1,
    'Failed to initialize: unable to resolve docker endpoint: context "nope": context not found: open /root/.docker/contexts/meta/x/meta.json: no such file or directory\n',
    {},
    /^the Docker context "nope" does not exist$/,
    /./,
  ],
  "permission denied on the socket": [
    INSPECT,
    1,
    'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/containers/json": dial unix /var/run/docker.sock: connect: permission denied\n',
    {},
    /^permission denied on the Docker socket unix:\/\/\/var\/run\/docker\.sock$/,
    /usermod -aG docker/,
  ],
  "ssh refused": [
    INSPECT,
    1,
    ssh(
      "ssh -o ConnectTimeout=30 -T -p 1 -- 127.0.0.1",
      255,
      "ssh: connect to host 127.0.0.1 port 1: Connection refused\n",
    ),
    { DOCKER_HOST: "ssh://127.0.0.1:1" },
    /^ssh cannot connect to ssh:\/\/127\.0\.0\.1:1: Connection refused$/,
    /sshd runs there/,
  ],
  "ssh: unknown host, through a context (20.10)": [
    ["docker", "--context", "live", "ps"],
    1,
    ssh(
      "ssh -l deploy -- nonexistent.invalid",
      255,
      "ssh: Could not resolve hostname nonexistent.invalid: Name or service not known\n",
    ),
    {},
    /^ssh cannot connect to ssh:\/\/deploy@nonexistent\.invalid: Could not resolve hostname nonexistent\.invalid: Name or service not known$/,
    /./,
  ],
  "ssh: key refused": [
    INSPECT,
    1,
    ssh(
      "ssh -o ConnectTimeout=30 -T -- badkey",
      255,
      "me@127.0.0.1: Permission denied (publickey).\n",
    ),
    { DOCKER_HOST: "ssh://badkey" },
    /^ssh cannot log in to ssh:\/\/badkey: Permission denied \(publickey\)$/,
    /ssh-add/,
  ],
  "ssh: host key": [
    INSPECT,
    1,
    ssh("ssh -- h", 255, "Host key verification failed.\n"),
    { DOCKER_HOST: "ssh://h" },
    /^ssh does not trust the host key of ssh:\/\/h$/,
    /known_hosts/,
  ],
  "ssh works, no docker on the host": [
    INSPECT,
    1,
    ssh("ssh -l deploy -- h", 127, "/bin/sh: 1: docker: not found\n"),
    { DOCKER_HOST: "ssh://deploy@h" },
    /^ssh to ssh:\/\/deploy@h works, but docker is not installed there/,
    /install Docker Engine on the host/,
  ],
  "ssh works, the host's engine is down": [
    INSPECT,
    1,
    "Cannot connect to the Docker daemon at http://docker.example.com. Is the docker daemon running?\n",
    { DOCKER_HOST: "ssh://deploy@h" },
    /^ssh to ssh:\/\/deploy@h works, but docker there cannot reach its engine/,
    /systemctl start docker/,
  ],
};

for (const [what, [argv, code, stderr, env, message, hint]] of Object.entries(cases)) {
  Deno.test(`diagnose: ${what}`, () => {
    const e = diagnose({ kind: "query", title: "t", argv }, { code, stdout: "", stderr }, env);
    assert.ok(e instanceof SetupError, `no diagnosis for: ${stderr}`);
    assert.match(e.message, message);
    assert.match(e.hint ?? "", hint);
    assert.equal(e.exitCode, 1);
    assert.deepEqual(e.argv, argv);
  });
}

Deno.test("diagnose: the command's own failures are left alone", () => {
  const own: [string[], number, string][] = [
    [INSPECT, 1, "Error response from daemon: no such image: a:1: No such image: a:1\n"],
    [COMPOSE, 1, 'service "web" has neither an image nor a build context specified\n'],
    [BUILDX, 1, 'ERROR: failed to solve: process "/bin/sh -c false" did not complete\n'],
    [
      ["docker", "run", "img", "nosuchcmd"],
      127,
      'docker: Error response from daemon: exec: "nosuchcmd": executable file not found in $PATH\n',
    ],
    [["git", "config", "user.name"], 127, "bash: git: command not found\n"],
  ];
  for (const [argv, code, stderr] of own) {
    const step: Step = { kind: "query", title: "t", argv };
    assert.equal(
      diagnose(step, { code, stdout: "", stderr }, { DOCKER_HOST: "ssh://h" }),
      undefined,
      stderr,
    );
  }
});

Deno.test("diagnose: the noisy usage text of a missing plugin is cut to its first line", () => {
  const e = diagnose(
    { kind: "query", title: "t", argv: COMPOSE },
    { code: 125, stdout: "", stderr: USAGE_2010 },
    {},
  );
  assert.equal(e?.stderrTail, "unknown shorthand flag: 'p' in -p");
});

Deno.test("dockerCall skips global flags to the subcommand", () => {
  assert.deepEqual(dockerCall(["docker", "--context", "live", "compose", "ps"]), {
    sub: "compose",
    context: "live",
  });
  assert.deepEqual(dockerCall(["/usr/bin/docker", "-H", "x", "--debug", "ps"]), {
    sub: "ps",
    context: undefined,
  });
  assert.equal(dockerCall(["ssh", "-O", "exit", "h"]), undefined);
});
