/** Issue 10 end to end: signals at the prompt, a 1 MiB model, an unreachable host. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, fleet } from "./harness.ts";
import { makeApp } from "./app.ts";
import { tempProject } from "../helpers.ts";

const MOD = join(new URL("../../", import.meta.url).pathname, "mod.ts");

/** Run `fleet deploy dev` on a terminal (a pty through `script`) and stop it at the prompt. */
async function stopAtPrompt(dir: string, path: string, how: "ctrl-c" | "sigterm") {
  const cmd = `${Deno.execPath()} run -A --quiet ${MOD} deploy dev -C ${dir}`;
  const child = new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    env: { NO_COLOR: "1", PATH: path, TERM: "dumb" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("(y/N)")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  assert.match(out, /\(y\/N\)/, out);
  if (how === "ctrl-c") {
    await writer.write(new TextEncoder().encode("\x03")); // the terminal turns it into SIGINT
  } else {
    // the deno process itself: not `script` nor a shell, whose command lines hold the same words
    const pattern = `^${Deno.execPath()} run .*deploy dev -C ${dir}$`;
    const pg = await new Deno.Command("pkill", { args: ["-TERM", "-f", pattern] }).output();
    assert.ok(pg.success, "the fleet process was found");
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await writer.close().catch(() => {});
  await child.stderr.cancel();
  return { code: (await child.status).code, out };
}

for (const how of ["ctrl-c", "sigterm"] as const) {
  e2e(`${how} at the confirmation prompt releases the lock and exits 130`, async (tb) => {
    const app = makeApp(tb);
    try {
      await app.push("v1");
      const path = `${tb.sshBin}:${Deno.env.get("PATH")}`;
      const r = await stopAtPrompt(app.dir, path, how);
      assert.equal(r.code, 130, r.out);
      assert.match(r.out, /error: interrupted at the confirmation/);
      await assert.rejects(
        docker(app.host, ["inspect", `fleet-lock-${app.project}-dev`]),
        /No such/,
        "the lock is gone",
      );
      assert.deepEqual(await app.containers(), {}, "nothing was started");
    } finally {
      await app.cleanup();
    }
  });
}

e2e("a 1 MiB model is recorded, listed and rolled back to", async (tb) => {
  const app = makeApp(tb);
  // ten 100 KiB values: one environment variable may not pass 128 KiB at exec
  let env = "    environment:\n";
  for (let v = 0; v < 10; v++) {
    let big = "";
    for (let i = 0; big.length < 100 * 1024; i++) {
      big += (((i + v * 7919) * 2654435761) >>> 0).toString(36);
    }
    env += `      BIG${v}: "${big}"\n`;
  }
  try {
    app.stage(env);
    await app.push("one");
    const first = await app.run(["deploy", "dev", "--yes"]);
    assert.equal(first.code, 0, first.stderr.slice(-2000));
    assert.ok(first.stderr.length < 100_000, "no huge argv printed");
    app.stage();
    await app.push("two");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    const h = await app.run(["history", "dev"]);
    assert.equal(h.code, 0, h.stderr.slice(-2000));
    assert.equal(h.stdout.trim().split("\n").length, 4, h.stdout.slice(0, 2000));
    const rb = await app.run(["rollback", "dev", "--yes"]);
    assert.equal(rb.code, 0, rb.stderr.slice(-2000));
    assert.equal(await app.get(), "one");
    const c = (await app.containers()).web;
    const envs = await docker(app.host, [
      "inspect",
      "-f",
      "{{range .Config.Env}}{{println .}}{{end}}",
      c,
    ]);
    assert.equal(
      envs.split("\n").filter((l) => l.startsWith("BIG")).length,
      10,
      "the model came back",
    );
  } finally {
    await app.cleanup();
  }
});

e2e("unlock on a host that cannot be reached is an error with the cause (exit 1)", async () => {
  const dir = tempProject({
    "stages/dev.yaml":
      "project: x\nhost: unix:///nonexistent/fleet-e2e.sock\nservices:\n  web:\n    image: busybox\n",
  });
  const r = await fleet(["unlock", "dev", "--yes"], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: no Docker engine answers at unix:\/\/\/nonexistent/);
  assert.match(r.stderr, /Cannot connect to the Docker daemon|no such file/i);
  assert.doesNotMatch(r.stdout, /not locked/);
});
