/** Issue #5 end to end: automatic rollback, history, `fleet rollback`, the lock, Ctrl-C. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e } from "./harness.ts";
import { makeApp } from "./app.ts";
import { matrix } from "./engines.ts";
import { tempProject } from "../helpers.ts";

const HEALTHY =
  `    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"], interval: 1s, retries: 3 }\n`;
const FAILING =
  `    healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: 1s, retries: 2 }\n`;
// healthy only after ~3s: keeps a deploy inside its wait long enough to race or interrupt it
const SLOW =
  `    healthcheck: { test: ["CMD", "sh", "-c", "[ $(( $(date +%s) - $(stat -c %Y /proc/1) )) -ge 3 ]"], interval: 1s, retries: 30 }\n`;

matrix("a release that fails its healthcheck is rolled back; history shows both", async (tb) => {
  const app = makeApp(tb);
  app.stage(HEALTHY);
  try {
    await app.push("good");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    await app.push("bad");
    app.stage(FAILING);
    const r = await app.run(["deploy", "dev", "--yes", "--timeout", "60"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /error: deploy of dev failed and was rolled back: service web did not become ready: healthcheck failed/,
    );
    assert.equal(await app.get(), "good", "the previous content is served again");
    const h = await app.run(["history", "dev"]);
    assert.equal(h.code, 0, h.stderr);
    const rows = h.stdout.trim().split("\n").slice(1, -1);
    assert.equal(rows.length, 3, h.stdout);
    assert.match(rows[0], /\sauto-rollback\s+ok\s/);
    assert.match(rows[1], /\sdeploy\s+rolled-back\s/);
    assert.match(rows[2], /\sdeploy\s+ok\s/);
  } finally {
    await app.cleanup();
  }
});

e2e(
  "a config-only change that fails rolls back to the same image and the old config",
  async (tb) => {
    const app = makeApp(tb);
    app.stage(HEALTHY);
    try {
      await app.push("same-image");
      assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
      app.stage(FAILING);
      const r = await app.run(["deploy", "dev", "--yes", "--timeout", "60"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /failed and was rolled back: service web did not become ready: healthcheck failed/,
      );
      assert.equal(await app.get(), "same-image");
      const c = (await app.containers()).web;
      const health = await docker(app.host, ["inspect", "-f", "{{.State.Health.Status}}", c]);
      assert.equal(health.trim(), "healthy", "the old healthcheck is back");
    } finally {
      await app.cleanup();
    }
  },
);

matrix("fleet rollback after two good releases serves the first again", async (tb) => {
  const app = makeApp(tb);
  app.stage(HEALTHY);
  try {
    await app.push("first");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    await app.push("second");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    assert.equal(await app.get(), "second");
    const r = await app.run(["rollback", "dev", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await app.get(), "first");
    assert.match(r.stdout, /rolled back .* to dev: release r/);
    const h = await app.run(["history", "dev"]);
    assert.match(h.stdout.split("\n")[1], /\srollback\s+ok\s.*rollback to r/);
    // and --to goes to a named release: the second one
    const second = h.stdout.split("\n")[2].split(/\s+/)[0];
    const t = await app.run(["rollback", "dev", "--yes", "--to", second]);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(await app.get(), "second");
  } finally {
    await app.cleanup();
  }
});

e2e("two deploys at once: exactly one runs, the other names the lock holder", async (tb) => {
  const app = makeApp(tb);
  app.stage(SLOW);
  try {
    await app.push("v1");
    const [a, b] = await Promise.all([
      app.run(["deploy", "dev", "--yes", "--timeout", "60"]),
      app.run(["deploy", "dev", "--yes", "--timeout", "60"]),
    ]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `${a.stderr}\n---\n${b.stderr}`);
    const loser = a.code === 1 ? a : b;
    assert.match(loser.stderr, /error: dev is locked by .+ \(deploy\) since \d{4}-\d\d-\d\dT/);
    assert.match(
      loser.stderr,
      /hint: wait for it \(--lock-wait <seconds>\), or if that process is gone: fleet unlock dev/,
    );
    // the lock is gone afterwards, and --lock-wait lets a second deploy queue behind the first
    const [c, d] = await Promise.all([
      app.run(["deploy", "dev", "--yes", "--timeout", "60", "--lock-wait", "60"]),
      app.run(["deploy", "dev", "--yes", "--timeout", "60", "--lock-wait", "60"]),
    ]);
    assert.deepEqual([c.code, d.code], [0, 0], `${c.stderr}\n---\n${d.stderr}`);
  } finally {
    await app.cleanup();
  }
});

e2e("SIGINT during the wait releases the lock and reports the state", async (tb) => {
  const app = makeApp(tb);
  app.stage(
    `    healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: 60s, start_period: 60s }\n`,
  );
  try {
    await app.push("v1");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        join(new URL("../../", import.meta.url).pathname, "mod.ts"),
        "deploy",
        "dev",
        "--yes",
        "--timeout",
        "120",
      ],
      cwd: app.dir,
      env: { NO_COLOR: "1", PATH: `${tb.sshBin}:${Deno.env.get("PATH")}` },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let err = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    while (!/up \| .*Waiting/.test(err)) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
    const st = await child.status;
    await child.stdout.cancel();
    assert.equal(st.code, 130, err);
    assert.match(
      err,
      /interrupted: the deploy lock is released; state of dev:\n.*web: new release/,
    );
    await assert.rejects(docker(app.host, ["inspect", `fleet-lock-${app.project}-dev`]), /No such/);
    const h = await app.run(["history", "dev"]);
    assert.match(h.stdout.split("\n")[1], /\sdeploy\s+interrupted\s/);
  } finally {
    await app.cleanup();
  }
});

e2e(
  "history written from one checkout is read from another; unlock clears a stale lock",
  async (tb) => {
    const app = makeApp(tb);
    try {
      await app.push("v1");
      assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
      const other = tempProject({
        "stages/dev.yaml": Deno.readTextFileSync(join(app.dir, "stages/dev.yaml")),
      });
      const clone = makeApp(tb, { dir: other, project: app.project });
      clone.stage();
      const h = await clone.run(["history", "dev"]);
      assert.equal(h.code, 0, h.stderr);
      assert.match(h.stdout, /\sdeploy\s+ok\s+web@sha256:[0-9a-f]{12}/, "the digest deployed");
      // a lock left by a killed process: reported, never stolen, cleared by unlock --yes
      await docker(app.host, [
        "create",
        "--name",
        `fleet-lock-${app.project}-dev`,
        "--label",
        "dev.fleet.lock.holder=ghost",
        "--label",
        "dev.fleet.lock.since=then",
        "--entrypoint",
        "x",
        `${app.repo}:latest`,
      ]);
      const d = await clone.run(["deploy", "dev", "--yes"]);
      assert.equal(d.code, 1);
      assert.match(d.stderr, /dev is locked by ghost \(deploy\) since then/);
      const u = await clone.run(["unlock", "dev", "--yes"]);
      assert.equal(u.code, 0, u.stderr);
      assert.match(u.stdout, /lock of ghost removed/);
      assert.equal((await clone.run(["deploy", "dev", "--yes"])).code, 0);
    } finally {
      await app.cleanup();
    }
  },
);
