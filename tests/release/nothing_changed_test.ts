/**
 * Tier 3: a release the engine never switched (NothingChangedByEngine: the proxy's blue/green
 * failed before the switch) is recorded failed, exits 1, and rolls nothing back.
 */
import assert from "node:assert/strict";
import { CommandError } from "../../lib/core/errors.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { NothingChangedByEngine } from "../../lib/engine/engine.ts";
import type { Engine } from "../../lib/engine/engine.ts";
import { proxied } from "../../lib/engine/proxy.ts";
import { runRelease } from "../../lib/release/flow.ts";
import type { ReleaseResult } from "../../lib/release/types.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";

const root = tempProject({
  "stages/dev.yaml": "project: shop\nconfirm: false\nproxy: { tls: off }\nservices:\n" +
    "  web:\n    image: shop/web:2\n    proxy: { port: 3000 }\n",
});

Deno.test("a release never switched: recorded failed, exit 1, no rollback", async () => {
  const applied: string[] = [];
  const engine: Engine = {
    ...proxied,
    keepsImages: false,
    check: (_d, ctx) => Promise.resolve(ctx),
    resolve: (_d, ctx) =>
      Promise.resolve({ images: { web: { ref: "shop/web:2", id: "sha256:new" } }, ctx }),
    running: () => Promise.resolve({ web: { ref: "shop/web:2", id: "sha256:old" } }),
    apply: (_d, ctx) => {
      applied.push(ctx.model);
      return Promise.reject(
        new NothingChangedByEngine("service web did not become ready; nothing was switched"),
      );
    },
  };
  const deps = testDeps(root, { runner: recordingRunner() });
  const ctx = engine.context(loadStage(root, "dev"), {});
  const sel = {
    kind: "deploy" as const,
    services: ["web"],
    images: { web: "shop/web:2" },
    toPull: [],
    unpullable: [],
  };
  const o = {
    yes: true,
    dryRun: false,
    timeout: 30,
    rollback: true,
    changedOnly: false,
    lockWait: 0,
    only: false,
    pull: false,
  };
  const e = await runRelease(deps, engine, ctx, sel, o).catch((e) => e);
  assert.ok(e instanceof CommandError, String(e));
  assert.equal(e.exitCode, 1);
  // no "nothing to roll back to", no rollback attempted: what ran before serves on
  assert.equal(
    e.message,
    "deploy of dev failed: service web did not become ready; nothing was switched",
  );
  assert.equal((e.result as ReleaseResult).result, "failed");
  assert.equal(applied.length, 1, "applied once: no rollback on top");
  const records = deps.runner.argvs().filter((a) =>
    a.includes("record") || a.includes("volume create")
  );
  assert.equal(records.length, 1, deps.runner.argvs().join("\n"));
  assert.match(records[0], /dev\.fleet\.release\.result=failed/);
  assert.ok(deps.runner.argvs().some((a) => a === "docker rm --force fleet-lock-shop-dev"));
});
