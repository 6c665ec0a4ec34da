/** The confirmation prompt: a line answer, end of input, and an abort that ends the wait. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { askYesNo, createUi, drawsLive } from "../../lib/core/ui.ts";
import { InterruptedError } from "../../lib/core/errors.ts";

function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d) => (shown += String(d)));
  return { input, output, shown: () => shown };
}

Deno.test("askYesNo: y and yes are yes; anything else, and end of input, are no", async () => {
  for (const [answer, want] of [["y\n", true], ["YES\n", true], ["n\n", false], ["\n", false]]) {
    const s = streams();
    const p = askYesNo("deploy live?", undefined, s.input, s.output);
    s.input.write(answer);
    assert.equal(await p, want, JSON.stringify(answer));
    assert.match(s.shown(), /^deploy live\? \(y\/N\) /);
  }
  const s = streams();
  const p = askYesNo("deploy live?", undefined, s.input, s.output);
  s.input.end();
  assert.equal(await p, false);
});

Deno.test("askYesNo: an abort (Ctrl-C, SIGTERM) ends the wait at once with InterruptedError", async () => {
  const s = streams();
  const ctl = new AbortController();
  const p = askYesNo("deploy live?", ctl.signal, s.input, s.output);
  ctl.abort();
  await assert.rejects(p, InterruptedError);
});

Deno.test("drawsLive: only on a terminal that moves its cursor, not in GitHub Actions; NO_COLOR allows it", () => {
  assert.equal(drawsLive({}, true), true);
  assert.equal(drawsLive({ NO_COLOR: "1", TERM: "xterm" }, true), true);
  assert.equal(drawsLive({}, false), false);
  assert.equal(drawsLive({ TERM: "dumb" }, true), false);
  assert.equal(drawsLive({ GITHUB_ACTIONS: "true" }, true), false);
});

Deno.test("createUi: no live block off a terminal (the tests' stderr is a pipe)", () => {
  if (Deno.stderr.isTerminal()) return; // run by hand on a terminal: nothing to show here
  assert.equal(createUi({}).progress, undefined);
});
