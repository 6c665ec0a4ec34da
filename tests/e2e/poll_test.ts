/**
 * The poller (testbed/poll.ts) against local servers: it tries the next node when one does not
 * answer, counts a round where none answers as a failure, and is bounded. No test bed needed.
 */
import assert from "node:assert/strict";
import { poll, startPoll } from "../../testbed/poll.ts";

function server(body: string) {
  const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(body));
  return { url: `http://127.0.0.1:${s.addr.port}/`, stop: () => s.shutdown() };
}

/** A URL where nothing listens. */
function deadUrl(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}/`;
}

Deno.test("poll: a node that does not answer is passed over, not a failure", async () => {
  const a = server("a");
  const dead = deadUrl();
  try {
    const r = await poll({ urls: [dead, a.url], durationMs: 400 });
    assert.equal(r.failures, 0, JSON.stringify(r));
    assert.ok(r.rounds > 5, JSON.stringify(r));
    assert.ok(r.answers >= r.rounds - 1); // a round cut short by the end is no failure
    assert.equal(r.perUrl[0].answers, 0);
    assert.ok(r.perUrl[0].errors > 0);
    assert.deepEqual(r.bodies, ["a"]);
    assert.equal(r.stoppedBy, "duration");
  } finally {
    await a.stop();
  }
});

Deno.test("poll: rounds with no answer are failures, and the gap runs to the end", async () => {
  const a = server("a");
  const p = startPoll({ urls: [a.url], durationMs: 5000 });
  while (p.snapshot().answers < 3) await new Promise((r) => setTimeout(r, 10));
  await a.stop();
  // a request already in flight when the server stopped may still land: count from after it
  await new Promise((r) => setTimeout(r, 100));
  const down = performance.now();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.answersSince(down), 0);
  const r = await p.stop();
  assert.equal(r.stoppedBy, "stop");
  assert.ok(r.failures > 0, JSON.stringify(r));
  assert.ok(r.firstFailureMs !== undefined);
  assert.ok(r.longestGapMs >= 250, JSON.stringify(r));
  assert.ok(r.durationMs < 5000);
});

Deno.test("poll: bounded by maxRequests and by its duration", async () => {
  const dead = deadUrl();
  const r = await poll({ urls: [dead, dead], durationMs: 2000, maxRequests: 7 });
  assert.equal(r.requests, 7);
  assert.equal(r.stoppedBy, "maxRequests");
  const t = performance.now();
  const s = await poll({ urls: [dead], durationMs: 200 });
  assert.ok(performance.now() - t < 1500);
  assert.equal(s.answers, 0);
  assert.ok(s.failures >= s.rounds - 1 && s.failures > 0);
  assert.equal(s.longestGapMs, s.durationMs);
  assert.throws(() => startPoll({ urls: [dead], durationMs: 0 }));
  assert.throws(() => startPoll({ urls: [], durationMs: 100 }));
});
