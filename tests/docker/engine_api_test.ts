/**
 * The engine client over the API (lib/docker/engine_api.ts) against a fake engine on a unix
 * socket, and which client engineOf picks. That it answers as the CLI client does on real
 * engines is tests/e2e/engine_api_test.ts's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CommandError } from "../../lib/core/errors.ts";
import type { Runner, Step } from "../../lib/core/run.ts";
import { apiClient } from "../../lib/docker/engine_api.ts";
import { closeEngineClients, localSocket } from "../../lib/docker/engine_socket.ts";
import { cliClient } from "../../lib/docker/engine_cli.ts";
import { apiSocket } from "../../lib/docker/engine_of.ts";
import type { Target } from "../../lib/docker/target.ts";

Deno.test("localSocket: only the local engine, never a context, tcp or ssh host", () => {
  const s = (env: Record<string, string>, cur = "") => localSocket(env, cur);
  assert.equal(s({}), "/var/run/docker.sock");
  assert.equal(s({ DOCKER_HOST: "unix:///run/u.sock" }), "/run/u.sock");
  assert.equal(s({ DOCKER_HOST: "ssh://deploy@h" }), undefined);
  assert.equal(s({ DOCKER_HOST: "tcp://10.0.0.1:2375" }), undefined);
  assert.equal(s({ DOCKER_CONTEXT: "live" }), undefined);
  assert.equal(s({}, "desktop-linux"), undefined);
  assert.equal(s({}, "default"), "/var/run/docker.sock");
  assert.equal(s({ FLEET_ENGINE_API: "0" }), undefined);
});

Deno.test("apiSocket: only deps that allow it, and a target without --context", () => {
  const local: Target = { env: {}, dockerArgv: ["docker"], label: "local engine" };
  const env = { DOCKER_CONFIG: "/nonexistent", DOCKER_HOST: "unix:///tmp/e.sock" };
  assert.equal(apiSocket({ env, engineApi: true }, local), "/tmp/e.sock");
  assert.equal(apiSocket({ env }, local), undefined, "a test's deps: the CLI over its runner");
  const ssh = { ...local, env: { DOCKER_HOST: "ssh://deploy@h" } };
  assert.equal(apiSocket({ env, engineApi: true }, ssh), undefined);
  const ctx = { ...local, dockerArgv: ["docker", "--context", "live"] };
  assert.equal(apiSocket({ env, engineApi: true }, ctx), undefined);
});

/** A fake engine on a unix socket; `answer` maps "METHOD /path" to status and body. */
function fakeEngine(answer: (req: string) => [number, unknown]) {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-api-test-" });
  const path = join(dir, "docker.sock");
  const seen: string[] = [];
  const server = Deno.serve({ path, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    const line = `${req.method} ${decodeURIComponent(u.pathname + u.search)}`;
    const sent = req.body ? await req.text() : "";
    seen.push(sent ? `${line} ${sent}` : line);
    const [status, body] = answer(line);
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  });
  return {
    path,
    seen,
    async close() {
      closeEngineClients();
      await server.shutdown();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** A runner standing for the docker CLI: records argv, answers `stdout`. */
const processes = (stdout = "") => {
  const ran: string[] = [];
  const r: Runner = {
    run(s: Step) {
      ran.push(s.argv.join(" "));
      return Promise.resolve({ code: 0, stdout, stderr: "" });
    },
  };
  return { ran, r };
};

const target: Target = { env: {}, dockerArgv: ["docker"], label: "local engine" };

function client(socket: string, runner: Runner, log?: string) {
  const env = log ? { FLEET_ENGINE_API_LOG: log } : {};
  return apiClient(socket, { target, cli: cliClient(runner, target), env });
}

Deno.test("apiClient: typed answers over the socket, logged; no process", async () => {
  const eng = fakeEngine((req) => {
    if (req === "GET /version") return [200, { Os: "linux", Arch: "arm64" }];
    if (req === "GET /images/a:1/json") {
      return [200, {
        Id: "sha256:1",
        RepoDigests: ["a@sha256:2"],
        Os: "linux",
        Architecture: "arm64",
        Variant: "v8",
      }];
    }
    if (req.startsWith('GET /containers/json?all=1&filters={"label":["p=x"]}')) {
      return [200, [{
        Id: "c1",
        Names: ["/p-web-1"],
        Image: "img",
        State: "running",
        Labels: { "com.docker.compose.service": "web" },
      }]];
    }
    if (req === "GET /containers/fleet-lock-x/json") {
      return [200, { Name: "/fleet-lock-x", Config: { Labels: { a: "b" } } }];
    }
    if (req.startsWith("DELETE /containers/")) return [404, { message: "No such container" }];
    return [404, { message: "No such image" }];
  });
  const log = Deno.makeTempFileSync();
  try {
    const p = processes();
    const api = client(eng.path, p.r, log);
    assert.equal(await api.hostPlatform(), "linux/arm64");
    assert.deepEqual([...await api.images(["a:1", "gone:1"])], [
      ["a:1", { id: "sha256:1", repoDigests: ["a@sha256:2"] }],
      ["gone:1", undefined],
    ]);
    assert.deepEqual(await api.imagePlatforms(["a:1"]), ["linux/arm64/v8"]);
    assert.equal(await api.imagePlatforms(["a:1", "gone:1"]), undefined);
    assert.deepEqual(await api.containers("p=x"), [
      { id: "c1", name: "p-web-1", service: "web", imageRef: "img", imageId: "", state: "running" },
    ]);
    assert.deepEqual([...await api.containerLabels(["fleet-lock-x", "fleet-lock-y"])], [
      ["fleet-lock-x", { a: "b" }],
    ]);
    // --force asks for it gone, and it is: no error, as the CLI exits 0
    await api.remove(["fleet-lock-y"]);
    assert.deepEqual(p.ran, []);
    assert.deepEqual(Deno.readTextFileSync(log).trim().split("\n"), [
      "api hostPlatform",
      "api images a:1 gone:1",
      "api imagePlatforms a:1",
      "api imagePlatforms a:1 gone:1",
      "api containers p=x",
      "api containerLabels fleet-lock-x fleet-lock-y",
      "api remove fleet-lock-y",
    ]);
  } finally {
    await eng.close();
    Deno.removeSync(log);
  }
});

Deno.test("apiClient: writes; a refusal is the daemon's message, a missing image the CLI's pull", async () => {
  const eng = fakeEngine((req) => {
    if (req === "POST /containers/create?name=held") {
      return [409, { message: 'Conflict. The container name "/held" is already in use' }];
    }
    if (req === "POST /containers/create?name=new") return [404, { message: "No such image: img" }];
    if (req === "POST /volumes/create") return [500, { message: "disk full" }];
    if (req.startsWith("POST /images/sha256:1/tag")) return [201, undefined];
    return [404, {}];
  });
  try {
    const p = processes("c0ffee\n");
    const api = client(eng.path, p.r);
    assert.deepEqual(await api.createHolder("held", { k: "v" }, "img", "/x"), {
      refused: 'Error response from daemon: Conflict. The container name "/held" is already in use',
    });
    assert.deepEqual(await api.createHolder("new", { k: "v" }, "img", "/x"), { id: "c0ffee" });
    assert.deepEqual(p.ran, [
      "docker create --name new --label k=v --network none --entrypoint /x img",
    ], "an image to pull first: the CLI's create does it");
    assert.ok(
      eng.seen.includes(
        'POST /containers/create?name=held {"Image":"img","Entrypoint":["/x"],"Labels":{"k":"v"},"HostConfig":{"NetworkMode":"none"}}',
      ),
      eng.seen.join("\n"),
    );
    await assert.rejects(
      api.createVolume("v1", { a: "b" }),
      (e) => e instanceof CommandError && e.stderrTail === "disk full",
    );
    await api.tag("sha256:1", "reg/app:fleet-r1");
    assert.ok(
      eng.seen.includes("POST /images/sha256:1/tag?repo=reg/app&tag=fleet-r1"),
      eng.seen.join("\n"),
    );
    await assert.rejects(api.tag("sha256:2", "reg/app:x"), CommandError);
    await api.remove(["$(reboot)"]); // a name unfit for a URL: the CLI's (it says what is wrong)
    assert.equal(p.ran.at(-1), "docker rm --force $(reboot)");
  } finally {
    await eng.close();
  }
});

Deno.test("apiClient: a socket that cannot be reached: the CLI's way, from then on", async () => {
  const log = Deno.makeTempFileSync();
  try {
    const p = processes("v1\n");
    const api = client("/nonexistent/fleet-test.sock", p.r, log);
    assert.deepEqual(await api.volumes("a=b"), ["v1"]);
    assert.deepEqual(await api.volumes("a=c"), ["v1"]);
    assert.deepEqual(p.ran, [
      "docker volume ls -q --filter label=a=b",
      "docker volume ls -q --filter label=a=c",
    ]);
    assert.equal(Deno.readTextFileSync(log), "", "the process's call is the shim's to log, once");
  } finally {
    closeEngineClients();
    Deno.removeSync(log);
  }
});
