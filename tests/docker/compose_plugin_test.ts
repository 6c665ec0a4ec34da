import assert from "node:assert/strict";
import { join } from "node:path";
import { CommandError, SetupError } from "../../lib/core/errors.ts";
import type { Runner, RunResult, Step } from "../../lib/core/run.ts";
import {
  composePlugin,
  directArgv,
  pluginDirs,
  SYSTEM_PLUGIN_DIRS,
  withDirectCompose,
} from "../../lib/docker/compose_plugin.ts";

/** A DOCKER_CONFIG with an executable cli-plugins/docker-compose, and a PATH with a `docker`. */
function machine() {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-plugin-test-" });
  const config = join(dir, "config");
  Deno.mkdirSync(join(config, "cli-plugins"), { recursive: true });
  const plugin = join(config, "cli-plugins", "docker-compose");
  Deno.writeTextFileSync(plugin, "#!/bin/sh\n");
  Deno.chmodSync(plugin, 0o755);
  const bin = join(dir, "bin");
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(join(bin, "docker"), "#!/bin/sh\n");
  Deno.chmodSync(join(bin, "docker"), 0o755);
  return { dir, plugin, env: { DOCKER_CONFIG: config, PATH: bin } };
}

function recording(result: RunResult | Error = { code: 0, stdout: "ok\n", stderr: "" }) {
  const ran: string[] = [];
  const envs: (Step["env"])[] = [];
  const r: Runner = {
    run(s) {
      ran.push(s.argv.join(" "));
      envs.push(s.env);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
  return { ran, envs, r };
}

const up: Step = {
  kind: "up",
  title: "up",
  argv: ["docker", "compose", "-p", "app-dev", "-f", "-", "up", "--wait"],
};

Deno.test("pluginDirs: the docker CLI's order — config's extra dirs, the user's, the system's", () => {
  assert.deepEqual(
    pluginDirs({ DOCKER_CONFIG: "/c" }, { cliPluginsExtraDirs: ["/x"] }),
    ["/x", "/c/cli-plugins", ...SYSTEM_PLUGIN_DIRS],
  );
  assert.deepEqual(pluginDirs({ HOME: "/h" }, { cliPluginsExtraDirs: "not a list" }), [
    "/h/.docker/cli-plugins",
    ...SYSTEM_PLUGIN_DIRS,
  ]);
});

Deno.test("composePlugin: the user's plugin before the system's; none without an executable", () => {
  const m = machine();
  try {
    assert.equal(composePlugin(m.env), m.plugin);
    Deno.chmodSync(m.plugin, 0o644);
    assert.notEqual(composePlugin(m.env), m.plugin, "not executable: not a plugin");
  } finally {
    Deno.removeSync(m.dir, { recursive: true });
  }
});

Deno.test("directArgv: only a plain `docker compose …`, `compose` first as the CLI passes it", () => {
  assert.deepEqual(directArgv(up.argv, "/p"), [
    "/p",
    "compose",
    "-p",
    "app-dev",
    "-f",
    "-",
    "up",
    "--wait",
  ]);
  assert.equal(directArgv(["docker", "--context", "live", "compose", "up"], "/p"), undefined);
  assert.equal(directArgv(["docker", "ps"], "/p"), undefined);
});

Deno.test("withDirectCompose: runs the plugin itself, and only where the CLI would", async () => {
  const m = machine();
  try {
    const rec = recording();
    const log = join(m.dir, "log");
    const runner = withDirectCompose(rec.r, { ...m.env, FLEET_ENGINE_API_LOG: log });
    assert.equal((await runner.run(up)).stdout, "ok\n");
    assert.equal(rec.ran[0], `${m.plugin} compose -p app-dev -f - up --wait`);
    assert.deepEqual(
      rec.envs[0],
      { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: "docker" },
      "as a plugin",
    );
    assert.equal(Deno.readTextFileSync(log), "compose -p app-dev -f - up --wait\n");
    const ctx: Step = { ...up, argv: ["docker", "--context", "live", "compose", "up"] };
    await runner.run(ctx);
    await runner.run(up, { inherit: true });
    await withDirectCompose(rec.r, { ...m.env, FLEET_DIRECT_COMPOSE: "0" }).run(up);
    await withDirectCompose(rec.r, { ...m.env, PATH: join(m.dir, "nothing") }).run(up);
    await withDirectCompose(rec.r, { ...m.env, FLEET_ENGINE_API: "0" }).run(up);
    assert.deepEqual(
      rec.ran.slice(1),
      [
        "docker --context live compose up",
        up.argv.join(" "),
        up.argv.join(" "),
        up.argv.join(" "),
        `${m.plugin} compose -p app-dev -f - up --wait`,
      ],
      "a context, a terminal, FLEET_DIRECT_COMPOSE=0 or no docker on PATH: the docker CLI; the engine API's switch is another",
    );
  } finally {
    Deno.removeSync(m.dir, { recursive: true });
  }
});

Deno.test("withDirectCompose: a failure reads as `docker compose …`, diagnosed as such", async () => {
  const m = machine();
  try {
    const fail = recording({ code: 1, stdout: "", stderr: "service web is unhealthy" });
    const err = await withDirectCompose(fail.r, m.env).run(up).catch((e) => e);
    assert.ok(err instanceof CommandError);
    assert.deepEqual(err.argv, up.argv);
    assert.match(err.message, /^up failed \(exit 1\)/);
    const read = await withDirectCompose(fail.r, m.env).run(up, { check: false });
    assert.equal(read.code, 1, "the caller reads the code");
    const down = recording({
      code: 1,
      stdout: "",
      stderr:
        "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker daemon running?",
    });
    const why = await withDirectCompose(down.r, m.env).run(up).catch((e) => e);
    assert.ok(why instanceof SetupError, "the machine's failure is named, as for the CLI");
    // the plugin would not start: the docker CLI runs and says why
    const broken = recording(new SetupError("cannot start"));
    await withDirectCompose(broken.r, m.env).run(up).catch(() => {});
    assert.deepEqual(broken.ran, [
      `${m.plugin} compose -p app-dev -f - up --wait`,
      up.argv.join(" "),
    ]);
  } finally {
    Deno.removeSync(m.dir, { recursive: true });
  }
});
