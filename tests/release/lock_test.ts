/** The deploy lock (lib/release/lock.ts) on a recording runner: exact argv, holder, release. */
import assert from "node:assert/strict";
import { CommandError, FleetError, SetupError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import type { Target } from "../../lib/docker/target.ts";
import { lockName, readLock, tryLock, unlock } from "../../lib/release/lock.ts";
import { interruptible, recordingRunner, testDeps } from "../helpers.ts";

const target: Target = {
  env: { DOCKER_HOST: "ssh://deploy@host" },
  dockerArgv: ["docker"],
  label: "ssh://deploy@host",
};
const ann = { holder: "Ann Lee", since: "2026-01-02T03:04:05.000Z", command: "rollback" };
const L = "dev.fleet.lock.";

/** Deps whose runner answers `docker create` with `create` and `docker inspect` with `held`. */
function host(
  create: { code?: number; stdout?: string; stderr?: string },
  held?: Record<string, string>,
) {
  const runner = recordingRunner((s: Step) => {
    if (s.argv[1] === "create") return create;
    if (s.argv[1] === "inspect") {
      return held
        ? { stdout: JSON.stringify(held) + "\n" }
        : { code: 1, stderr: "No such container" };
    }
    return undefined;
  });
  return testDeps("/", { runner });
}

Deno.test("tryLock: one `docker create` whose labels say who, since when, what; its ID when taken", async () => {
  const deps = host({ stdout: "4f9a0c\n" });
  assert.deepEqual(await tryLock(deps, target, "app-dev", "sha256:img", ann), { taken: "4f9a0c" });
  assert.equal(lockName("app-dev"), "fleet-lock-app-dev");
  assert.deepEqual(deps.runner.steps.map((s) => [s.argv, s.env]), [[
    [
      "docker",
      "create",
      "--name",
      "fleet-lock-app-dev",
      "--label",
      `${L}project=app-dev`,
      "--label",
      `${L}holder=Ann Lee`,
      "--label",
      `${L}since=2026-01-02T03:04:05.000Z`,
      "--label",
      `${L}command=rollback`,
      "--network",
      "none",
      "--entrypoint",
      "/fleet-lock-never-started",
      "sha256:img",
    ],
    { DOCKER_HOST: "ssh://deploy@host" },
  ]]);
});

Deno.test("tryLock: a held lock answers with its holder, read from the lock's labels", async () => {
  const labels = { [`${L}holder`]: "Bo", [`${L}since`]: "t1", [`${L}command`]: "deploy" };
  const deps = host({ code: 1, stderr: "Conflict. The container name is already in use" }, labels);
  assert.deepEqual(await tryLock(deps, target, "app-dev", "img", ann), {
    holder: "Bo",
    since: "t1",
    command: "deploy",
  });
  assert.deepEqual(deps.runner.argvs().slice(1), [
    "docker inspect --type container --format {{json .Config.Labels}} fleet-lock-app-dev",
  ]);
});

Deno.test('tryLock: "free" when the name was taken and is gone again (try again)', async () => {
  const deps = host({ code: 1, stderr: "Conflict. The container name is already in use" });
  assert.equal(await tryLock(deps, target, "app-dev", "img", ann), "free");
});

Deno.test("tryLock: any other failure says what docker said", async () => {
  const deps = host({ code: 1, stderr: "Cannot connect to the Docker daemon\n" });
  await assert.rejects(
    tryLock(deps, target, "app-dev", "img", ann),
    (e: Error) =>
      e instanceof FleetError &&
      e.message === "could not take the deploy lock: Cannot connect to the Docker daemon",
  );
});

Deno.test("readLock: undefined when free; unknown for labels that are missing", async () => {
  assert.equal(await readLock(host({}), target, "app-dev"), undefined);
  assert.deepEqual(await readLock(host({}, {}), target, "app-dev"), {
    holder: "unknown",
    since: "unknown",
    command: "",
  });
});

Deno.test('readLock: a lock that cannot be read (host unreachable) is an error, not "free"', async () => {
  const deps = testDeps("/", {
    runner: recordingRunner(() => ({ code: 1, stderr: "Cannot connect to the Docker daemon" })),
  });
  await assert.rejects(readLock(deps, target, "app-dev"), (e: Error) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.message, "could not read the deploy lock on ssh://deploy@host");
    assert.equal(e.stderrTail, "Cannot connect to the Docker daemon");
    return true;
  });
});

Deno.test("readLock: an engine nobody answers is named as such (diagnose's SetupError), not rewrapped", async () => {
  const down = new SetupError("no Docker engine answers at ssh://deploy@host");
  const deps = testDeps("/", { runner: { run: () => Promise.reject(down) } as never });
  await assert.rejects(readLock(deps, target, "app-dev"), (e) => e === down);
});

Deno.test("unlock: `docker rm --force` of the lock; a lock that is gone already is fine", async () => {
  const deps = testDeps("/", { runner: recordingRunner(() => ({ code: 1, stderr: "No such" })) });
  await unlock(deps, target, "app-dev");
  assert.deepEqual(deps.runner.argvs(), ["docker rm --force fleet-lock-app-dev"]);
});

Deno.test("unlock and readLock still run after an interrupt (Ctrl-C must not leave the lock)", async () => {
  const ctl = new AbortController();
  ctl.abort();
  const labels = { [`${L}holder`]: "Bo" };
  const runner = interruptible(
    recordingRunner(() => ({ stdout: JSON.stringify(labels) })),
    ctl.signal,
  );
  const deps = testDeps("/", { runner, signal: ctl.signal });
  assert.equal((await readLock(deps, target, "app-dev"))?.holder, "Bo");
  await unlock(deps, target, "app-dev");
  assert.equal(runner.argvs().at(-1), "docker rm --force fleet-lock-app-dev");
});

Deno.test("tryLock records the holder's machine and process; readLock reads them back", async () => {
  const deps = host({ stdout: "id1\n" });
  await tryLock(deps, target, "app-dev", "img", { ...ann, machine: "box1", pid: 4242 });
  const argv = deps.runner.steps[0].argv;
  assert.ok(argv.includes(`${L}machine=box1`) && argv.includes(`${L}pid=4242`), argv.join(" "));
  const labels = { [`${L}holder`]: "Bo", [`${L}machine`]: "box1", [`${L}pid`]: "4242" };
  const held = await readLock(host({}, labels), target, "app-dev");
  assert.deepEqual([held?.machine, held?.pid], ["box1", 4242]);
  const bad = await readLock(host({}, { ...labels, [`${L}pid`]: "x" }), target, "app-dev");
  assert.equal(bad?.pid, undefined);
});

Deno.test("releaseLock removes the lock by the ID this process took, never by name", async () => {
  const { releaseLock } = await import("../../lib/release/lock.ts");
  const deps = host({});
  await releaseLock(deps, target, "4f9a0c");
  assert.deepEqual(deps.runner.argvs(), ["docker rm --force 4f9a0c"]);
});
