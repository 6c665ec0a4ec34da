/** Issue 14 end to end: a release task, hooks, exec and run, bounded history. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, dockerShim, e2e } from "./harness.ts";
import { makeApp } from "./app.ts";

e2e(
  "a release task runs with the new image before the switch; a failing one changes nothing",
  async (tb) => {
    const app = makeApp(tb);
    // the task notes when it ran and which image it ran with
    const task = (cmd: string) =>
      `tasks:\n  pre_deploy: { service: web, command: ["sh", "-c", ${JSON.stringify(cmd)}] }\n`;
    try {
      await app.push("v1");
      app.stage("", "confirm: false\n");
      assert.equal((await app.run(["deploy", "dev"])).code, 0);
      await app.push("v2");
      app.stage(
        "",
        `confirm: false\n${
          task(
            "date +%s > /data/task-at; cat /www/index.html > /data/migrated",
          )
        }`,
      );
      const r = await app.run(["deploy", "dev"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /release task: web sh -c/);
      assert.equal(await app.get(), "v2");
      const seen = await app.run([
        "exec",
        "dev",
        "-n",
        "web",
        "--",
        "cat",
        "/data/task-at",
        "/data/migrated",
      ]);
      assert.equal(seen.code, 0, seen.stderr);
      const [at, migrated] = seen.stdout.trim().split("\n");
      assert.equal(migrated, "v2", "the task ran with the new image");
      const started = await docker(app.host, [
        "inspect",
        "-f",
        "{{.State.StartedAt}}",
        (await app.containers()).web,
      ]);
      assert.ok(
        Number(at) <= Date.parse(started.trim()) / 1000,
        "the task ran before the new container started",
      );

      const before = (await app.containers()).web;
      await app.push("v3");
      app.stage("", `confirm: false\n${task("echo migration boom; exit 4")}`);
      const bad = await app.run(["deploy", "dev"]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /task \| migration boom/);
      assert.match(bad.stderr, /error: release task failed: .*nothing was stopped/);
      assert.equal(await app.get(), "v2", "the old release still serves");
      assert.equal((await app.containers()).web, before, "untouched: the same container");
      const h = await app.run(["history", "dev"]);
      assert.match(h.stdout.split("\n")[1], /\sdeploy\s+failed\s.*release task failed/);
    } finally {
      await app.cleanup();
    }
  },
);

e2e(
  "post_deploy hook gets FLEET_STAGE, FLEET_RELEASE, FLEET_RESULT, FLEET_SERVICES",
  async (tb) => {
    const app = makeApp(tb);
    const out = join(app.dir, "hook.env");
    try {
      await app.push("v1");
      app.stage(
        "",
        `confirm: false\nhooks:\n  post_deploy: ["sh", "-c", "env | grep ^FLEET_ | sort > ${out}"]\n`,
      );
      const r = await app.run(["deploy", "dev"]);
      assert.equal(r.code, 0, r.stderr);
      const vars = Object.fromEntries(
        Deno.readTextFileSync(out).trim().split("\n").map((l) => l.split("=")),
      );
      assert.equal(vars.FLEET_STAGE, "dev");
      assert.equal(vars.FLEET_RESULT, "ok");
      assert.equal(vars.FLEET_SERVICES, "web");
      assert.match(vars.FLEET_RELEASE, /^r\d{8}T\d{6}Z-[0-9a-z]{4}$/);
      const h = await app.run(["history", "dev"]);
      assert.ok(h.stdout.includes(vars.FLEET_RELEASE), "the release id is the recorded one");
      // a failing pre_deploy hook stops before the lock: nothing deployed, nothing recorded
      app.stage("", `confirm: false\nhooks:\n  pre_deploy: ["false"]\n`);
      const stopped = await app.run(["deploy", "dev"]);
      assert.equal(stopped.code, 1);
      assert.match(stopped.stderr, /pre_deploy hook: false failed/);
      const h2 = await app.run(["history", "dev"]);
      assert.equal(h2.stdout.trim().split("\n").length, h.stdout.trim().split("\n").length);
    } finally {
      await app.cleanup();
    }
  },
);

e2e("exec and run pass stdin, stdout and exit codes through; secrets stay off argv", async (tb) => {
  const app = makeApp(tb);
  const shim = dockerShim();
  const secret = `s3cret-${crypto.randomUUID()}`;
  const env = {
    ...shim.env,
    PATH: `${shim.bin}:${tb.sshBin}:${Deno.env.get("PATH")}`,
    E2E_PW: secret,
  };
  try {
    await app.push("v1");
    app.stage(`    environment: { PW: "\${E2E_PW}" }\n`, "confirm: false\n");
    assert.equal((await app.run(["deploy", "dev"], env)).code, 0);
    const three = await app.run(["run", "dev", "-n", "web", "--", "sh", "-c", "exit 3"], env);
    assert.equal(three.code, 3, three.stderr);
    const cat = await app.run(["exec", "dev", "-n", "web", "--", "cat"], env, "hello stdin\n");
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, "hello stdin\n");
    assert.match(cat.stderr, /exec in .*web.* \(1 of 1\)/);
    const pw = await app.run(["exec", "dev", "-n", "web", "--", "sh", "-c", "echo $PW"], env);
    assert.equal(pw.stdout.trim(), secret, "the secret reached the container by its environment");
    const ran = await app.run(["run", "dev", "-n", "web", "--", "cat", "/www/index.html"], env);
    assert.equal(ran.stdout.trim(), "v1");
    const e = await app.run(["exec", "dev", "-n", "web", "--", "sh", "-c", "exit 5"], env);
    assert.equal(e.code, 5);
    assert.ok(!shim.calls().some((c) => c.includes(secret)), "no docker argv holds the secret");
  } finally {
    await app.cleanup();
  }
});

e2e("after keep + 5 deploys, exactly keep records remain", async (tb) => {
  const app = makeApp(tb);
  try {
    await app.push("v1");
    app.stage("", "confirm: false\nhistory: { keep: 3 }\n");
    for (let i = 0; i < 8; i++) {
      const r = await app.run(["deploy", "dev"]);
      assert.equal(r.code, 0, r.stderr);
    }
    const h = await app.run(["history", "dev"]);
    const rows = h.stdout.trim().split("\n").slice(1, -1);
    assert.equal(rows.length, 3, h.stdout);
    assert.match(h.stdout, /3 releases on .* \(the newest 3 are kept: history\.keep\)/);
  } finally {
    await app.cleanup();
  }
});
