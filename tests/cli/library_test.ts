/**
 * mod.ts as a library: importing it runs nothing; each call returns its typed result or throws a
 * FleetError, never prompts, never exits. No docker needed (the e2e twin: tests/e2e/library_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  build,
  config,
  deploy,
  down,
  FleetError,
  InterruptedError,
  ps,
  rollback,
  stages,
  UsageError,
} from "../../mod.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const FILES = {
  "stages/_base.yaml": "project: shop\nservices:\n  web:\n    image: busybox\n",
  "stages/local.yaml": "services: {}\n",
  "stages/dev.yaml": "host: ssh://deploy@dev.example.com\n",
};

Deno.test("importing mod.ts runs nothing: no output, no permission asked, not even env", async () => {
  const dir = tempProject({
    "use.ts": `import * as fleet from "${REPO}mod.ts";\n` +
      `console.log(Object.keys(fleet).filter((k) => typeof (fleet as Record<string, unknown>)[k] === "function").sort().join(" "));\n`,
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--quiet",
      "--config",
      join(REPO, "deno.json"),
      "use.ts",
      "deploy",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  assert.equal(dec.decode(out.stderr), "");
  assert.equal(
    dec.decode(out.stdout).trim(),
    "CommandError ConfigError FleetError InterruptedError SetupError UsageError build config " +
      "deploy down history promote ps rollback stages",
  );
});

Deno.test("stages and config return typed results of the project in `dir`", async () => {
  const dir = tempProject(FILES);
  const list = await stages({ dir });
  assert.deepEqual(list.map((s) => [s.name, s.stage?.project]), [["local", "shop"], [
    "dev",
    "shop",
  ]]);
  const c = await config("dev", { dir });
  assert.equal(c.stage.host, "ssh://deploy@dev.example.com");
  assert.match(c.model, /^name: shop-dev\n/);
});

Deno.test("a broken stage: a ConfigError (exit 2) that carries the listing", async () => {
  const dir = tempProject({ ...FILES, "stages/live.yaml": "prots: 1\n" });
  const err = await stages({ dir }).then(() => undefined, (e) => e);
  assert.ok(err instanceof FleetError);
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /live\.yaml.*prots/);
  assert.deepEqual((err.result as { name: string }[]).map((s) => s.name), ["local", "dev", "live"]);
});

Deno.test("deploy, rollback and down without yes or confirm: a UsageError (exit 2), nothing run", async () => {
  const dir = tempProject(FILES);
  const deps = testDeps(dir);
  for (
    const call of [
      () => deploy("local", { deps }),
      () => rollback("dev", { deps }),
      () => down("dev", { deps }),
    ]
  ) {
    const err = await call().then(() => undefined, (e) => e);
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(
      err.message,
      /^refusing to (deploy local|rollback dev|take down dev) without confirmation/,
    );
    assert.match(err.hint ?? "", /yes: true, or a confirm callback/);
  }
  assert.deepEqual(deps.runner.steps, []);
  assert.deepEqual(deps.ui.asked, []);
});

Deno.test("a confirm callback answers where the CLI would ask: no → cancelled (exit 1), nothing changed", async () => {
  const dir = tempProject(FILES);
  const deps = testDeps(dir);
  const asked: string[] = [];
  const confirm = (q: string) => (asked.push(q), false);
  const err = await down("dev", { deps, confirm }).then(() => undefined, (e) => e);
  assert.ok(err instanceof FleetError);
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, "down cancelled: nothing was changed");
  assert.deepEqual(asked, ["stop and remove every container of dev?"]);
  assert.deepEqual(deps.runner.steps, []);
  // yes: the same call goes ahead, and returns its result
  const done = await down("dev", { deps, confirm, yes: true });
  assert.deepEqual(done, { stage: "dev", project: "shop-dev" });
  assert.deepEqual(asked.length, 1);
});

Deno.test("any other error comes out a FleetError (exit 1) with the original as its cause", async () => {
  const dir = tempProject(FILES);
  const runner = recordingRunner(() => {
    throw new TypeError("socket closed");
  });
  const err = await ps("local", { deps: testDeps(dir, { runner }) }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(err instanceof FleetError, String(err));
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, "socket closed");
  assert.ok(err.cause instanceof TypeError);
});

Deno.test("quiet: a call prints no progress (here: a dry run's commands)", async () => {
  const dir = tempProject({
    ...FILES,
    "stages/_base.yaml": "project: shop\nservices:\n  web:\n    build: {}\n",
    "Dockerfile": "FROM busybox\n",
  });
  const deps = testDeps(dir);
  assert.deepEqual(await build("local", { deps, dryRun: true, quiet: true }), []);
  assert.equal(deps.ui.text(), "");
  await build("local", { deps, dryRun: true });
  assert.match(deps.ui.text(), /docker build .*-t shop-web-local:latest/);
});

Deno.test("signal: an aborted call is an InterruptedError (exit 130), with real deps, no docker run", async () => {
  const dir = tempProject(FILES);
  const err = await ps("local", { dir, signal: AbortSignal.abort(), quiet: true })
    .then(() => undefined, (e) => e);
  assert.ok(err instanceof InterruptedError, String(err));
  assert.equal(err.exitCode, 130);
});
