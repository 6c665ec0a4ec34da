/**
 * Issue 26, bug 3 end to end: a deploy releases only the lock it took, and `fleet unlock` refuses
 * while the lock's holder still runs on this machine (`--force` removes it anyway).
 */
import assert from "node:assert/strict";
import { docker, e2e } from "./harness.ts";
import { makeApp } from "./app.ts";

// healthy only after ~3s: keeps a deploy inside its wait long enough to unlock under it
const SLOW =
  `    healthcheck: { test: ["CMD", "sh", "-c", "[ $(( $(date +%s) - $(stat -c %Y /proc/1) )) -ge 3 ]"], interval: 1s, retries: 30 }\n`;

e2e("a deploy does not remove the lock another deploy took after an unlock", async (tb) => {
  const app = makeApp(tb);
  app.stage(SLOW);
  const lock = `fleet-lock-${app.project}-dev`;
  const path = { PATH: `${tb.sshBin}:${Deno.env.get("PATH")}` };
  try {
    await app.push("v1");
    const a = app.run(["deploy", "dev", "--yes", "--timeout", "60"]);
    // A holds the lock and waits for its container to get healthy
    for (let i = 0; i < 300 && !(await app.containers()).web; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok((await app.containers()).web, "A reached its wait");
    const refused = await app.run(["unlock", "dev", "--yes"]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /that fleet is still running \(process \d+ here\)/);
    assert.match(refused.stderr, /--force removes the lock anyway/);
    const forced = await app.run(["unlock", "dev", "--yes", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    // B takes the lock (as fleet does: a never-started container of that name)
    await docker(app.host, [
      "create",
      "--name",
      lock,
      "--label",
      "dev.fleet.lock.holder=B",
      "--network",
      "none",
      "--entrypoint",
      "/fleet-lock-never-started",
      `${app.repo}:latest`,
    ], path);
    const done = await a;
    assert.equal(done.code, 0, done.stderr);
    const holder = await docker(app.host, [
      "inspect",
      "--format",
      '{{index .Config.Labels "dev.fleet.lock.holder"}}',
      lock,
    ], path);
    assert.equal(holder.trim(), "B", "B's lock is still there, still B's");
  } finally {
    await app.cleanup();
  }
});
