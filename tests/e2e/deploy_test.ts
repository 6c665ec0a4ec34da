/** Issue #4 end to end: deploys to the test bed's second engine, over its socket and over ssh. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, dockerShim, e2e } from "./harness.ts";
import { composeOrder, makeApp } from "./app.ts";
import { matrix } from "./engines.ts";

matrix("deploy to the second engine serves HTTP; pull < stop < rm < up", async (tb) => {
  const app = makeApp(tb);
  try {
    await app.push("v1");
    const shim = dockerShim();
    const r = await app.run(["deploy", "dev", "--yes"], {
      ...shim.env,
      PATH: `${shim.bin}:${tb.sshBin}:${Deno.env.get("PATH")}`,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await app.get(), "v1");
    const calls = shim.calls();
    const [pull, stop, rm, up] = ["pull", "stop", "rm", "up"].map((s) => composeOrder(calls, s));
    assert.ok(pull.length && stop.length && rm.length && up.length, calls.join("\n"));
    assert.ok(Math.max(...pull) < Math.min(...stop), "every pull before every stop");
    assert.ok(Math.max(...stop) < Math.min(...rm), "every stop before every rm");
    assert.ok(Math.max(...rm) < Math.min(...up), "every rm before every up");
    assert.ok(!calls.some((c) => / rm .*(-v|--volumes)\b/.test(c)), "volumes are never removed");
    assert.match(r.stdout, new RegExp(`deployed ${app.project} to dev: release r\\d+`));
  } finally {
    await app.cleanup();
  }
});

e2e("deploy over ssh:// brings the service up", async (tb) => {
  const app = makeApp(tb, { ssh: true });
  try {
    await app.push("over-ssh");
    const r = await app.run(["deploy", "dev", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await app.get(), "over-ssh");
    const ps = await app.run(["ps", "dev"]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${app.project}-dev-web-1`));
  } finally {
    await app.cleanup();
  }
});

e2e("deploy through a Docker context (context: in the stage file)", async (tb) => {
  const app = makeApp(tb);
  const ctxName = `fleet-${app.project}`;
  await docker(tb.engine1, ["context", "create", ctxName, "--docker", `host=${tb.engine2}`]);
  try {
    await app.push("via-context");
    const file = join(app.dir, "stages/dev.yaml");
    Deno.writeTextFileSync(
      file,
      Deno.readTextFileSync(file).replace(/^host: .*$/m, `context: ${ctxName}`),
    );
    const shim = dockerShim();
    const r = await app.run(["deploy", "dev", "--yes"], {
      ...shim.env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await app.get(), "via-context");
    // Compose's check of the model reads no engine: it alone runs without the context
    const stray = shim.calls().filter((c) =>
      !c.startsWith(`--context ${ctxName} `) && !c.endsWith(" config --quiet")
    );
    assert.deepEqual(stray, [], "every docker call goes through the context");
    assert.ok((await app.containers()).web, "the container runs on engine 2");
  } finally {
    await app.cleanup();
    await docker(tb.engine1, ["context", "rm", "-f", ctxName]).catch(() => "");
  }
});

e2e(
  "redeploy: new content, the named volume keeps its data, -n leaves others alone, --no-pull",
  async (tb) => {
    const app = makeApp(tb);
    const side = `  side:\n    image: busybox\n    command: ["sleep", "3600"]\n`;
    app.stage("", "", side);
    try {
      await app.push("v1");
      // busybox is not in the registry: the side service uses the host's own copy, so the first
      // deploy is --no-pull, with web's image pulled by hand
      await docker(app.host, ["pull", "-q", `${app.repo}:latest`]);
      let r = await app.run(["deploy", "dev", "--yes", "--no-pull"]);
      assert.equal(r.code, 0, r.stderr);
      const before = await app.containers();
      await docker(app.host, ["exec", before.web, "sh", "-c", "echo kept > /data/file"]);

      await app.push("v2");
      r = await app.run(["deploy", "dev", "--yes", "-n", "web"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await app.get(), "v2");
      const after = await app.containers();
      assert.notEqual(after.web, before.web, "web was redeployed");
      assert.equal(after.side, before.side, "-n web leaves side's container as it was");
      assert.equal(
        (await docker(app.host, ["exec", after.web, "cat", "/data/file"])).trim(),
        "kept",
      );

      await app.push("v3");
      r = await app.run(["deploy", "dev", "--yes", "-n", "web", "--no-pull"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await app.get(), "v2", "--no-pull serves the image the host already has");
    } finally {
      await app.cleanup();
    }
  },
);

e2e("a tag that does not exist fails (exit 1) and the old release still serves", async (tb) => {
  const app = makeApp(tb);
  try {
    await app.push("old");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    const before = await app.containers();
    app.stage("", "tag: does-not-exist\n");
    const r = await app.run(["deploy", "dev", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: pull failed/);
    assert.match(r.stderr, /command: docker compose .* pull/);
    assert.equal(await app.get(), "old");
    assert.deepEqual(await app.containers(), before);
  } finally {
    await app.cleanup();
  }
});

e2e("a healthcheck that never passes fails within the timeout, with its logs", async (tb) => {
  const app = makeApp(tb);
  app.stage(
    `    healthcheck: { test: ["CMD", "sh", "-c", "echo probe-says-no; exit 1"], interval: 60s, start_period: 60s }\n    command: ["sh", "-c", "echo booting-web; exec httpd -f -p 8080 -h /www"]\n`,
  );
  try {
    await app.push("never-healthy");
    const t0 = Date.now();
    const r = await app.run(["deploy", "dev", "--yes", "--timeout", "4"]);
    const took = (Date.now() - t0) / 1000;
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /error: deploy of dev failed: service web did not become ready: not ready after 4s \(web: running, starting\)/,
    );
    assert.match(r.stderr, /booting-web/, "the container's last log lines are shown");
    assert.ok(took < 30, `gave up after ${took}s`);
    const logs = await app.run(["logs", "dev", "-n", "web", "--tail", "5"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /booting-web/);
  } finally {
    await app.cleanup();
  }
});

e2e("no terminal and no --yes: exit 2, no container changed", async (tb) => {
  const app = makeApp(tb);
  try {
    await app.push("v1");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    const before = await app.containers();
    assert.ok(before.web, "a container to compare");
    const shim = dockerShim();
    const r = await app.run(["deploy", "dev"], { ...shim.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stdin is not a terminal\nhint: pass --yes/);
    assert.deepEqual(shim.calls(), []);
    assert.deepEqual(await app.containers(), before);
  } finally {
    await app.cleanup();
  }
});

e2e("a ${VAR} secret reaches the container, and no command line, output or file", async (tb) => {
  const app = makeApp(tb);
  const secret = `s3cr3t-${crypto.randomUUID()}`;
  app.stage(`    environment: { API_TOKEN: "\${FLEET_E2E_TOKEN}" }\n`);
  try {
    await app.push("v1");
    const shim = dockerShim();
    const r = await app.run(["deploy", "dev", "--yes"], {
      FLEET_E2E_TOKEN: secret,
      ...shim.env,
    });
    assert.equal(r.code, 0, r.stderr);
    const c = await app.containers();
    const inside = await docker(app.host, ["exec", c.web, "sh", "-c", "echo $API_TOKEN"]);
    assert.equal(inside.trim(), secret);
    assert.ok(!shim.calls().join("\n").includes(secret), "not on any docker command line");
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), "not in output");
    for (
      const cmd of [["config", "dev"], ["config", "dev", "--compose"], [
        "deploy",
        "dev",
        "--dry-run",
      ]]
    ) {
      const o = await app.run(cmd, { FLEET_E2E_TOKEN: secret });
      assert.ok(!o.stdout.includes(secret) && !o.stderr.includes(secret), cmd.join(" "));
    }
    for (const f of walk(app.dir)) assert.ok(!Deno.readTextFileSync(f).includes(secret), f);
  } finally {
    await app.cleanup();
  }
});

function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}
