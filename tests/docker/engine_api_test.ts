import assert from "node:assert/strict";
import { join } from "node:path";
import { CommandError } from "../../lib/core/errors.ts";
import type { Runner, Step } from "../../lib/core/run.ts";
import { localSocket, planOf, withEngineApi } from "../../lib/docker/engine_api.ts";

const step = (argv: string[], env?: Record<string, string>): Step => ({
  kind: "query",
  title: argv.join(" "),
  argv,
  ...(env ? { env } : {}),
});

Deno.test("planOf: the bookkeeping shapes have a plan, anything else runs the process", () => {
  const yes = [
    ["version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"],
    ["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "reg/app:1", "b"],
    ["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}/{{.Variant}}", "sha256:ab"],
    ["ps", "--all", "--no-trunc", "--filter", "label=a=b", "--format", "{{json .}}"],
    ["inspect", "--type", "container", "--format", "{{json .Config.Labels}}", "fleet-lock-x"],
    ["rm", "--force", "fleet-lock-x"],
    ["create", "--name", "l", "--label", "a=b", "--network", "none", "--entrypoint", "/x", "img"],
    ["volume", "create", "--label", "a=b c", "v1"],
    ["volume", "ls", "-q", "--filter", "label=a=b"],
    ["volume", "inspect", "--format", "{{json .Labels}}", "v1", "v2"],
    ["tag", "sha256:ab", "reg/app:fleet-r1"],
    ["image", "ls", "--format", "{{.Tag}}", "reg/app"],
    ["rmi", "reg/app:fleet-r1"],
  ];
  for (const a of yes) assert.ok(planOf(a), a.join(" "));
  const no = [
    ["version"],
    ["image", "inspect", "--format", "{{.Size}}", "x"],
    ["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "--bad"],
    ["ps", "--all", "--filter", "label=a=b", "--format", "{{json .}}"],
    ["rm", "--force", "$(reboot)"],
    ["create", "--name", "l", "--label", "a=b", "--network", "host", "--entrypoint", "/x", "i"],
    ["create", "--name", "l", "--env", "A=b", "--network", "none", "--entrypoint", "/x", "i"],
    ["volume", "create", "--label", "a=b", "--driver", "x", "v1"],
    ["volume", "rm", "v1"],
    ["compose", "up"],
    ["tag", "a", "b"],
  ];
  for (const a of no) assert.equal(planOf(a), undefined, a.join(" "));
});

Deno.test("planOf: requests and the CLI's answer read from the engine's", () => {
  const p = planOf(["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "a", "b"])!;
  assert.deepEqual(p.requests.map((r) => r.path), ["/images/a/json", "/images/b/json"]);
  const r = p.result([
    { status: 200, body: { Id: "sha256:1", RepoDigests: ["a@sha256:2"] } },
    { status: 404, body: { message: "No such image: b" } },
  ]);
  assert.deepEqual(r, {
    code: 1,
    stdout: 'sha256:1 ["a@sha256:2"]\n',
    stderr: "Error: No such image: b\n",
  });
  const c = planOf([
    "create",
    "--name",
    "l",
    "--label",
    "k=v=w",
    "--network",
    "none",
    "--entrypoint",
    "/x",
    "img",
  ])!;
  assert.deepEqual(c.requests[0], {
    method: "POST",
    path: "/containers/create?name=l",
    body: {
      Image: "img",
      Entrypoint: ["/x"],
      Labels: { k: "v=w" },
      HostConfig: { NetworkMode: "none" },
    },
  });
  const conflict = c.result([{
    status: 409,
    body: { message: 'Conflict. The container name "/l" is already in use' },
  }]);
  assert.equal(conflict!.code, 1);
  assert.equal(
    c.result([{ status: 404, body: { message: "No such image: img" } }]),
    undefined,
    "an image to pull first: the CLI's create does it, so the process runs",
  );
  assert.match(conflict!.stderr, /^Error response from daemon: Conflict/);
  const ps = planOf([
    "ps",
    "--all",
    "--no-trunc",
    "--filter",
    "label=p=x",
    "--format",
    "{{json .}}",
  ])!;
  assert.equal(
    ps.requests[0].path,
    `/containers/json?all=1&filters=${encodeURIComponent('{"label":["p=x"]}')}`,
  );
  const line = JSON.parse(
    ps.result([{
      status: 200,
      body: [{
        Id: "c1",
        Names: ["/p-web-1"],
        Image: "img",
        State: "running",
        Labels: { a: "1", b: "2" },
      }],
    }])!.stdout,
  );
  assert.deepEqual([line.ID, line.Names, line.Image, line.State, line.Labels], [
    "c1",
    "p-web-1",
    "img",
    "running",
    "a=1,b=2",
  ]);
});

Deno.test("localSocket: only the local engine, never a context, tcp or ssh host", () => {
  const s = (
    argv: string[],
    env: Record<string, string>,
    stepEnv?: Record<string, string>,
    cur = "",
  ) => localSocket(step(argv, stepEnv), env, cur);
  assert.equal(s(["docker", "ps"], {}), "/var/run/docker.sock");
  assert.equal(s(["docker", "ps"], { DOCKER_HOST: "unix:///run/u.sock" }), "/run/u.sock");
  assert.equal(s(["docker", "ps"], {}, { DOCKER_HOST: "unix:///tmp/e2.sock" }), "/tmp/e2.sock");
  assert.equal(s(["docker", "ps"], {}, { DOCKER_HOST: "ssh://deploy@h" }), undefined);
  assert.equal(s(["docker", "ps"], { DOCKER_HOST: "tcp://10.0.0.1:2375" }), undefined);
  assert.equal(s(["docker", "--context", "live", "ps"], {}), undefined);
  assert.equal(s(["docker", "ps"], { DOCKER_CONTEXT: "live" }), undefined);
  assert.equal(s(["docker", "ps"], {}, undefined, "desktop-linux"), undefined);
  assert.equal(s(["docker", "ps"], {}, undefined, "default"), "/var/run/docker.sock");
  assert.equal(s(["docker", "ps"], { FLEET_ENGINE_API: "0" }), undefined);
  assert.equal(s(["git", "ps"], {}), undefined);
});

/** A fake engine on a unix socket; `answer` maps a request to status and body. */
function fakeEngine(answer: (req: Request) => [number, unknown]) {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-api-test-" });
  const path = join(dir, "docker.sock");
  const seen: string[] = [];
  const server = Deno.serve({ path, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    seen.push(`${req.method} ${u.pathname}${u.search}${req.body ? " " + await req.text() : ""}`);
    const [status, body] = answer(req);
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  });
  return {
    env: { DOCKER_HOST: `unix://${path}` },
    seen,
    async close() {
      await server.shutdown();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

const processes = () => {
  const ran: string[] = [];
  const r: Runner = {
    run(s) {
      ran.push(s.argv.join(" "));
      return Promise.resolve({ code: 0, stdout: "from the process\n", stderr: "" });
    },
  };
  return { ran, r };
};

Deno.test("withEngineApi: answers over the socket, logs what it answered, runs the rest", async () => {
  const eng = fakeEngine((req) =>
    new URL(req.url).pathname === "/version"
      ? [200, { Os: "linux", Arch: "arm64" }]
      : [404, { message: "nope" }]
  );
  const log = Deno.makeTempFileSync();
  try {
    const p = processes();
    const runner = withEngineApi(p.r, { ...eng.env, FLEET_ENGINE_API_LOG: log });
    const v = await runner.run(
      step(["docker", "version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"]),
    );
    assert.deepEqual(v, { code: 0, stdout: "linux/arm64\n", stderr: "" });
    assert.ok(eng.seen.includes("GET /version"), eng.seen.join("\n"));
    const other = await runner.run(step(["docker", "compose", "up"]));
    assert.equal(other.stdout, "from the process\n");
    const withInput = await runner.run({
      ...step(["docker", "version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"]),
      input: "x",
    });
    assert.equal(withInput.stdout, "from the process\n", "a step with stdin is the process's");
    const secret = await runner.run({
      ...step(["docker", "version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"]),
      secretEnv: { TOKEN: "s3cret" },
    });
    assert.equal(secret.stdout, "from the process\n", "a step with secrets is the process's");
    assert.deepEqual(p.ran, [
      "docker compose up",
      "docker version --format {{.Server.Os}}/{{.Server.Arch}}",
      "docker version --format {{.Server.Os}}/{{.Server.Arch}}",
    ]);
    // a failure is the CLI's: a CommandError unless the caller reads the code
    const missing = [
      "docker",
      "image",
      "inspect",
      "--format",
      "{{.Id}} {{json .RepoDigests}}",
      "gone:1",
    ];
    await assert.rejects(runner.run(step(missing)), CommandError);
    const read = await runner.run(step(missing), { check: false });
    assert.deepEqual([read.code, read.stderr], [1, "Error: No such image: gone:1\n"]);
    assert.deepEqual(Deno.readTextFileSync(log).trim().split("\n"), [
      "version --format {{.Server.Os}}/{{.Server.Arch}}",
      missing.slice(1).join(" "),
      missing.slice(1).join(" "),
    ]);
  } finally {
    await eng.close();
    Deno.removeSync(log);
  }
});

Deno.test("withEngineApi: a socket that cannot be reached: the process runs (and says why)", async () => {
  const p = processes();
  const log = Deno.makeTempFileSync();
  try {
    const runner = withEngineApi(p.r, {
      DOCKER_HOST: "unix:///nonexistent/fleet-test.sock",
      FLEET_ENGINE_API_LOG: log,
    });
    const r = await runner.run(step(["docker", "volume", "ls", "-q", "--filter", "label=a=b"]));
    assert.equal(r.stdout, "from the process\n");
    assert.deepEqual(p.ran, ["docker volume ls -q --filter label=a=b"]);
    assert.equal(Deno.readTextFileSync(log), "", "the process's call is the shim's to log, once");
  } finally {
    Deno.removeSync(log);
  }
});
