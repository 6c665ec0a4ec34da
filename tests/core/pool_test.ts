/** runPool (lib/core/pool.ts): the bound, failures that stop nothing else, and an abort. */
import assert from "node:assert/strict";
import { runPool } from "../../lib/core/pool.ts";
import { InterruptedError } from "../../lib/core/errors.ts";

/** A job that stays open until released by hand, so concurrency is observed, not timed. */
function gate() {
  const waiting: { item: string; release: () => void }[] = [];
  let active = 0;
  let most = 0;
  const started: string[] = [];
  const fn = (item: string) => {
    started.push(item);
    most = Math.max(most, ++active);
    return new Promise<string>((resolve) => {
      waiting.push({ item, release: () => (active--, resolve(item.toUpperCase())) });
    });
  };
  /** Let pending callbacks run, then release the oldest open job. */
  const step = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    waiting.shift()?.release();
  };
  return { fn, step, started, most: () => most, open: () => waiting.length };
}

async function drain(g: ReturnType<typeof gate>, done: { v: boolean }) {
  while (!done.v) await g.step();
}

Deno.test("runPool: at most `limit` at a time, results in input order", async () => {
  const g = gate();
  const done = { v: false };
  const p = runPool(["a", "b", "c", "d", "e"], 2, g.fn).finally(() => (done.v = true));
  await drain(g, done);
  assert.equal(g.most(), 2);
  assert.deepEqual((await p).map((r) => r.status === "fulfilled" && r.value), [
    "A",
    "B",
    "C",
    "D",
    "E",
  ]);
});

Deno.test("runPool: a limit of 0 or less, or not a number, runs one at a time", async () => {
  for (const limit of [0, -3, NaN]) {
    const g = gate();
    const done = { v: false };
    const p = runPool(["a", "b", "c"], limit, g.fn).finally(() => (done.v = true));
    await drain(g, done);
    assert.equal(g.most(), 1, String(limit));
    assert.equal((await p).length, 3);
  }
  assert.deepEqual(await runPool([], 3, () => Promise.resolve(1)), []);
});

Deno.test("runPool: one failure does not stop the others", async () => {
  const calls: string[] = [];
  const res = await runPool(["a", "bad", "c", "d"], 2, async (x) => {
    calls.push(x);
    await Promise.resolve();
    if (x === "bad") throw new Error(`no ${x}`);
    return x;
  });
  assert.deepEqual(calls.toSorted(), ["a", "bad", "c", "d"]);
  assert.deepEqual(res.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  assert.equal((res[1] as PromiseRejectedResult).reason.message, "no bad");
});

Deno.test("runPool: after an abort, items not yet started are rejected as interrupted", async () => {
  const ctl = new AbortController();
  const calls: string[] = [];
  const res = await runPool(["a", "b", "c", "d"], 1, async (x) => {
    calls.push(x);
    if (x === "b") ctl.abort();
    await Promise.resolve();
    return x;
  }, ctl.signal);
  assert.deepEqual(calls, ["a", "b"], "what started finishes; nothing new starts");
  assert.deepEqual(res.map((r) => r.status), ["fulfilled", "fulfilled", "rejected", "rejected"]);
  assert.ok((res[2] as PromiseRejectedResult).reason instanceof InterruptedError);
});
