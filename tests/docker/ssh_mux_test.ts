/** One shared SSH connection per command (lib/docker/ssh_mux.ts): the wrapper and its lifetime. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { shareSsh, withSharedSsh, wrapperScript } from "../../lib/docker/ssh_mux.ts";
import { compose } from "../../lib/engine/compose.ts";
import type { Target } from "../../lib/docker/target.ts";
import { recordingRunner, stageFixture, testDeps } from "../helpers.ts";

/** A dir with an `ssh` that prints each argument on a line (stands in for OpenSSH). */
function fakeSsh(): string {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-fake-ssh-" });
  Deno.writeTextFileSync(join(dir, "ssh"), "#!/bin/sh\nprintf '%s\\n' \"$@\"\n", { mode: 0o755 });
  return dir;
}

const sshTarget: Target = {
  env: { DOCKER_HOST: "ssh://deploy@host.example:2222" },
  dockerArgv: ["docker"],
  label: "ssh://deploy@host.example:2222",
};

Deno.test("wrapperScript: the real ssh with ControlMaster, a ControlPath in the dir, ControlPersist", () => {
  assert.equal(
    wrapperScript("/usr/bin/ssh", "/tmp/fleet-ssh-x"),
    [
      "#!/bin/sh",
      "# written by fleet for one command: share one SSH connection between docker's calls",
      `exec "/usr/bin/ssh" -o ControlMaster=auto -o "ControlPath=/tmp/fleet-ssh-x/%C" -o ControlPersist=30 "$@"`,
      "",
    ].join("\n"),
  );
});

Deno.test("the wrapper passes docker's arguments through whole, after the sharing options", async () => {
  const real = fakeSsh();
  const dir = Deno.makeTempDirSync({ prefix: "fleet ssh " }); // a space in the path, too
  const wrapper = join(dir, "ssh");
  Deno.writeTextFileSync(wrapper, wrapperScript(join(real, "ssh"), dir), { mode: 0o700 });
  const out = await new Deno.Command(wrapper, {
    args: ["-p", "2222", "deploy@host", "docker system dial-stdio"],
    stdout: "piped",
  }).output();
  assert.deepEqual(new TextDecoder().decode(out.stdout).trimEnd().split("\n"), [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${dir}/%C`,
    "-o",
    "ControlPersist=30",
    "-p",
    "2222",
    "deploy@host",
    "docker system dial-stdio",
  ]);
  Deno.removeSync(real, { recursive: true });
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("shareSsh: an ssh:// target gets the wrapper first on PATH; close ends the master and removes it", async () => {
  const real = fakeSsh();
  const deps = testDeps("/", { env: { PATH: `${real}:/usr/bin` } });
  const mux = await shareSsh(deps, sshTarget);
  const dir = mux.target.env.PATH!.split(":")[0];
  assert.equal(mux.target.env.PATH, `${dir}:${real}:/usr/bin`);
  assert.equal(mux.target.env.DOCKER_HOST, sshTarget.env.DOCKER_HOST);
  const exit = [`${dir}/ssh`, "-p", "2222", "-O", "exit", "deploy@host.example"];
  assert.equal(
    Deno.readTextFileSync(join(dir, "ssh")),
    wrapperScript(join(real, "ssh"), dir, { pid: Deno.pid, exit }),
  );
  assert.equal(Deno.statSync(join(dir, "ssh")).mode! & 0o777, 0o700);
  assert.deepEqual(deps.runner.steps, [], "the first docker call opens the connection");
  await mux.close();
  assert.deepEqual(deps.runner.argvs(), [`${dir}/ssh -p 2222 -O exit deploy@host.example`]);
  assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
  Deno.removeSync(real, { recursive: true });
});

Deno.test("shareSsh: other targets, FLEET_SSH_MUX=0, or no ssh on PATH: the target as it is", async () => {
  const real = fakeSsh();
  const local: Target = { env: {}, dockerArgv: ["docker"], label: "local engine" };
  const cases: [Target, Record<string, string>][] = [
    [local, { PATH: real }],
    [sshTarget, { PATH: real, FLEET_SSH_MUX: "0" }],
    [sshTarget, { PATH: "/nonexistent" }],
  ];
  for (const [target, env] of cases) {
    const deps = testDeps("/", { env });
    const mux = await shareSsh(deps, target);
    assert.equal(mux.target, target);
    await mux.close();
    assert.deepEqual(deps.runner.steps, []);
  }
  Deno.removeSync(real, { recursive: true });
});

Deno.test("withSharedSsh: the work sees the shared target, and the connection closes even when it fails", async () => {
  const real = fakeSsh();
  const stage = stageFixture([{ name: "web", image: "nginx" }], {
    host: "ssh://deploy@host.example:2222",
  });
  const ctx = compose.context(stage, {});
  const deps = testDeps("/", { env: { PATH: real }, runner: recordingRunner() });
  let seen = "";
  await assert.rejects(
    withSharedSsh(deps, ctx, (c) => {
      seen = c.target.env.PATH ?? "";
      return Promise.reject(new Error("boom"));
    }),
    /boom/,
  );
  assert.match(seen, /^\/tmp\/fleet-ssh-\w+:/);
  assert.deepEqual(deps.runner.argvs(), [
    `${seen.split(":")[0]}/ssh -p 2222 -O exit deploy@host.example`,
  ]);
  // a dry run shares nothing
  await withSharedSsh(deps, ctx, (c) => Promise.resolve(assert.equal(c, ctx)), false);
  assert.equal(deps.runner.steps.length, 1);
  Deno.removeSync(real, { recursive: true });
});

Deno.test("fleet killed with SIGKILL: the wrapper's watch closes the shared connection and removes its dir", async () => {
  // an ssh that logs its arguments, standing in for OpenSSH (and its master)
  const real = Deno.makeTempDirSync({ prefix: "fleet-fake-ssh-" });
  const log = join(real, "calls.log");
  Deno.writeTextFileSync(join(real, "ssh"), `#!/bin/sh\necho "$*" >> '${log}'\n`, { mode: 0o755 });
  const mod = new URL("../../lib/docker/ssh_mux.ts", import.meta.url).href;
  // a fleet that shares a connection, makes one docker call through it, then hangs
  const code = `
    import { shareSsh } from "${mod}";
    const runner = { run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }) };
    const deps = { env: { PATH: "${real}:/usr/bin:/bin" }, runner };
    const target = { env: { DOCKER_HOST: "ssh://deploy@host.example:2222" }, dockerArgv: ["docker"], label: "x" };
    const mux = await shareSsh(deps, target);
    const dir = mux.target.env.PATH.split(":")[0];
    await new Deno.Command(dir + "/ssh", { args: ["-p", "2222", "deploy@host.example", "docker system dial-stdio"] }).output();
    console.log(dir);
    setInterval(() => {}, 1000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const dir = (await reader.read()).value!.trim();
  assert.match(dir, /^\/tmp\/fleet-ssh-/);
  assert.ok(Deno.statSync(join(dir, "watch")).isDirectory, "the first call started the watch");
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      Deno.statSync(dir);
    } catch {
      gone = true;
    }
  }
  assert.ok(gone, "the dir is removed");
  const calls = Deno.readTextFileSync(log).trim().split("\n");
  assert.match(calls.at(-1)!, /-O exit deploy@host\.example$/, calls.join("\n"));
  Deno.removeSync(real, { recursive: true });
});
