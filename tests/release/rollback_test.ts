/**
 * pickRollback (lib/release/rollback.ts): which release `fleet rollback` returns to, and with
 * which image, against a fake host that answers volume ls/inspect, ps and image inspect.
 */
import assert from "node:assert/strict";
import { FleetError, UsageError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { compose } from "../../lib/engine/compose.ts";
import { type Release, releaseLabels } from "../../lib/release/history.ts";
import { pickRollback } from "../../lib/release/rollback.ts";
import { recordingRunner, stageFixture, testDeps } from "../helpers.ts";

const REF = "reg.example/team/app-web-dev:latest";
const stage = stageFixture([
  { name: "web", build: { context: "/p", args: {} } },
  { name: "db", image: "postgres:16" },
]);
const ctx = compose.context(stage, {});

const rel = (id: string, result: Release["result"], webId: string, model?: string): Release => ({
  id,
  project: "app-dev",
  time: "2026-01-02T03:04:05.000Z",
  who: "ann",
  commit: "-",
  kind: "deploy",
  result,
  services: { web: { ref: REF, id: webId } },
  ...(model ? { model } : {}),
});

const OLD_MODEL = `name: app-dev
services:
  web:
    image: ${REF}
    environment: { MODE: "\${MODE:-old}" }
`;

/** A host with these releases, running `running` (web's image ID), holding `images` (ref or ID). */
async function host(releases: Release[], running: string, images: string[]) {
  const labels = await Promise.all(releases.map((r) => releaseLabels(r)));
  return testDeps("/p", {
    runner: recordingRunner((s: Step) => {
      const a = s.argv.slice(1);
      if (a[0] === "volume" && a[1] === "ls") {
        return { stdout: releases.map((r) => `fleet-release-app-dev-${r.id}\n`).join("") };
      }
      if (a[0] === "volume" && a[1] === "inspect") {
        return { stdout: labels.map((l) => JSON.stringify(l) + "\n").join("") };
      }
      if (a[0] === "ps") {
        return {
          stdout: JSON.stringify({
            ID: "c1",
            Names: "app-dev-web-1",
            Image: REF,
            State: "running",
            Labels: `com.docker.compose.service=web,com.docker.compose.image=${running}`,
          }) + "\n",
        };
      }
      if (a[0] === "image" && a[1] === "inspect") {
        const refs = a.slice(4);
        const have = refs.filter((r) => images.includes(r));
        const out = have.map((r) => (r.startsWith("sha256:") ? r : `sha256:of-${r}`)).join("\n");
        return { code: have.length === refs.length ? 0 : 1, stdout: out };
      }
      return undefined;
    }),
  });
}

const history = [
  rel("r3", "failed", "sha256:ccc"),
  rel("r2", "ok", "sha256:bbb"),
  rel("r1", "ok", "sha256:aaa", OLD_MODEL),
];

Deno.test("pickRollback: the newest good release that differs from what runs, by its kept tag", async () => {
  const deps = await host(history, "sha256:bbb", [
    "reg.example/team/app-web-dev:fleet-r1",
    "sha256:aaa",
  ]);
  const r = await pickRollback(deps, compose, ctx, ["web"]);
  assert.equal(r.release.id, "r1", "r3 failed, r2 is what runs now");
  assert.deepEqual(r.images, { web: "reg.example/team/app-web-dev:fleet-r1" });
  // the recorded model comes back (its environment too), pinned to the kept image
  assert.match(r.ctx.model, /image: reg\.example\/team\/app-web-dev:fleet-r1\n/);
  assert.match(r.ctx.model, /MODE: \$\{MODE:-old\}/);
});

Deno.test("pickRollback: without its kept tag, the image ID if the host still has it", async () => {
  const deps = await host(history, "sha256:bbb", ["sha256:aaa"]);
  assert.deepEqual((await pickRollback(deps, compose, ctx, ["web"])).images, { web: "sha256:aaa" });
});

Deno.test("pickRollback: an image the host no longer has is an error that names it", async () => {
  const deps = await host(history, "sha256:bbb", []);
  await assert.rejects(pickRollback(deps, compose, ctx, ["web"]), {
    message: "the image of web in release r1 is no longer on local engine",
  });
});

Deno.test("pickRollback --to: that release, even one that runs now; an unknown id lists the known", async () => {
  const deps = await host(history, "sha256:bbb", ["sha256:bbb"]);
  const r = await pickRollback(deps, compose, ctx, ["web"], "r2");
  assert.equal(r.release.id, "r2");
  assert.deepEqual(r.images, { web: "sha256:bbb" });
  // a release without a recorded model: the stage file's, with the image pinned
  assert.match(r.ctx.model, /image: sha256:bbb\n/);
  await assert.rejects(pickRollback(deps, compose, ctx, ["web"], "nope"), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, `unknown release "nope" (releases: r3, r2, r1)`);
    return true;
  });
});

Deno.test("pickRollback: nothing to go back to, or a release without the service, says so", async () => {
  const deps = await host(history.slice(0, 2), "sha256:bbb", ["sha256:bbb"]);
  await assert.rejects(pickRollback(deps, compose, ctx, ["web"]), (e: Error) => {
    assert.ok(e instanceof FleetError);
    assert.equal(e.message, "no earlier successful release of dev differs from what runs now");
    assert.equal(e.hint, "fleet history dev");
    return true;
  });
  await assert.rejects(pickRollback(deps, compose, ctx, ["db"], "r2"), {
    message: "release r2 has none of: db",
  });
});
