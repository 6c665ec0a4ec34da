/** Bounded history (history.keep) against a recording runner: exactly `keep` records stay. */
import assert from "node:assert/strict";
import type { Step } from "../../lib/core/run.ts";
import type { EngineContext } from "../../lib/engine/engine.ts";
import { excess, pruneHistory } from "../../lib/release/retention.ts";
import { recordingRunner, stageFixture, testDeps } from "../helpers.ts";

const P = "dev.fleet.release.";
const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `r2026010${1 + Math.floor(i / 10)}T0000${i % 10}0Z-0000`);

/** A host with these release records (labels by volume name); `volume rm` removes them. */
function host(records: Record<string, Record<string, string>>) {
  const vols = new Map(Object.entries(records));
  const runner = recordingRunner((s: Step) => {
    const a = s.argv.slice(1);
    if (a[0] === "volume" && a[1] === "ls") return { stdout: [...vols.keys()].join("\n") };
    if (a[0] === "volume" && a[1] === "inspect") {
      return { stdout: a.slice(4).map((v) => JSON.stringify(vols.get(v))).join("\n") };
    }
    if (a[0] === "volume" && a[1] === "rm") { for (const v of a.slice(3)) vols.delete(v); }
    return {};
  });
  return { vols, runner };
}

function record(id: string, services = `{"web":{"ref":"reg/web:latest","id":"sha256:${id}"}}`) {
  return [`fleet-release-app-dev-${id}`, {
    [P + "id"]: id,
    [P + "project"]: "app-dev",
    [P + "result"]: "ok",
    [P + "services"]: services,
  }] as const;
}

function ctx(keep: number): EngineContext {
  return {
    stage: stageFixture([], { keep }),
    target: { env: {}, dockerArgv: ["docker"], label: "local engine" },
    project: "app-dev",
    model: "",
    secretEnv: {},
  };
}

Deno.test("excess keeps exactly the newest `keep`", () => {
  assert.deepEqual(excess(["r5", "r4", "r3", "r2", "r1"].map((id) => ({ id })), 3), [
    { id: "r2" },
    { id: "r1" },
  ]);
  assert.deepEqual(excess([{ id: "r1" }], 1), []);
  assert.deepEqual(excess([{ id: "r1" }], 0), [{ id: "r1" }]);
});

for (const keep of [1, 3, 5]) {
  Deno.test(`keep ${keep}: after a new record, exactly ${keep} records stay, the newest`, async () => {
    const all = ids(8);
    const h = host(Object.fromEntries(all.map((id) => record(id))));
    const deps = testDeps("/p", { runner: h.runner });
    // the newest is the one being written (it counts as one of the kept)
    const dropped = await pruneHistory(deps, ctx(keep), all.at(-1));
    assert.equal(dropped, 8 - keep);
    assert.deepEqual(
      [...h.vols.keys()].sort(),
      all.slice(-keep).map((id) => `fleet-release-app-dev-${id}`),
    );
    const rmi = deps.runner.steps.find((s) => s.argv[1] === "rmi")!;
    assert.deepEqual(
      rmi.argv.slice(2).sort(),
      all.slice(0, 8 - keep).map((id) => `reg/web:fleet-${id}`),
      "the kept image tags of the dropped records go too",
    );
  });
}

Deno.test("without a record being written, keep counts the listed records", async () => {
  const all = ids(4);
  const h = host(Object.fromEntries(all.map((id) => record(id))));
  const deps = testDeps("/p", { runner: h.runner });
  assert.equal(await pruneHistory(deps, ctx(4)), 0);
  assert.equal(h.vols.size, 4);
  assert.equal(await pruneHistory(deps, ctx(3)), 1);
  assert.deepEqual(
    [...h.vols.keys()].sort(),
    all.slice(1).map((id) => `fleet-release-app-dev-${id}`),
  );
});

Deno.test("an unreadable record counts toward keep and goes in its turn, without tags", async () => {
  const all = ids(4);
  const h = host(
    Object.fromEntries([record(all[0], "null"), ...all.slice(1).map((id) => record(id))]),
  );
  const deps = testDeps("/p", { runner: h.runner });
  assert.equal(await pruneHistory(deps, ctx(2), all[3]), 2);
  assert.deepEqual(
    [...h.vols.keys()].sort(),
    all.slice(2).map((id) => `fleet-release-app-dev-${id}`),
  );
  const rmi = deps.runner.steps.find((s) => s.argv[1] === "rmi")!;
  assert.deepEqual(rmi.argv.slice(2), [`reg/web:fleet-${all[1]}`]);
});
