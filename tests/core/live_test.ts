/** The live block's exact bytes: drawn, redrawn in place, lines above it, left as its final state. */
import assert from "node:assert/strict";
import { createLive } from "../../lib/core/live.ts";
import { screen } from "../terminal.ts";

const W = { service: "web", text: "pulling…", phase: "working" } as const;
const A = { service: "api", text: "pulling…", phase: "working" } as const;

/** A renderer on a fake terminal: what it wrote, a clock to move, the ticker to fire. */
function terminal(columns?: number) {
  const written: string[] = [];
  let now = 0;
  let tick: (() => void) | undefined;
  const live = createLive({
    write: (s) => written.push(s),
    now: () => now,
    columns: () => columns,
    every: (fn) => {
      tick = fn;
      return () => (tick = undefined);
    },
  });
  return {
    live,
    written,
    take: () => written.splice(0).join(""),
    at: (ms: number) => (now = ms),
    tick: () => tick?.(),
    ticking: () => tick !== undefined,
  };
}

Deno.test("live: a block is drawn, ticks, and is redrawn in place with cursor-up and erase-line", () => {
  const t = terminal();
  t.live.print("==> pull");
  assert.equal(t.take(), "==> pull\n", "no block: a plain line, no escape code");
  const p = t.live.start([W, A]);
  assert.equal(t.take(), "\x1b[2K  web  pulling…  0s\n\x1b[2K  api  pulling…  0s\n\x1b[J");
  t.at(4200);
  t.tick();
  assert.equal(
    t.take(),
    "\r\x1b[2A\x1b[2K  web  pulling…  4s\n\x1b[2K  api  pulling…  4s\n\x1b[J",
  );
  p.update({ service: "web", text: "pulled", phase: "done" });
  assert.equal(t.take(), "\r\x1b[2A\x1b[2K  web  pulled\n\x1b[2K  api  pulling…  4s\n\x1b[J");
  p.update({ service: "web", text: "pulled", phase: "done" });
  assert.equal(t.take(), "", "the same state again draws nothing");
});

Deno.test("live: other lines print above the block, which is drawn again below them", () => {
  const t = terminal();
  t.live.start([W]);
  t.take();
  t.live.print("up | Network app_default  Created");
  assert.equal(
    t.take(),
    "\r\x1b[1A\x1b[2Kup | Network app_default  Created\n\x1b[2K  web  pulling…  0s\n\x1b[J",
  );
});

Deno.test("live: the end leaves the final state on screen, stops the ticker, and lines are plain again", () => {
  const t = terminal();
  const p = t.live.start([W, A]);
  p.update({ service: "api", text: "exited", phase: "failed" });
  t.at(2000);
  p.end("pulled");
  assert.ok(!t.ticking(), "the ticker is stopped");
  const out = t.written.join("");
  assert.ok(out.endsWith("\r\x1b[2A\x1b[2K  web  pulled\n\x1b[2K  api  exited\n\x1b[J"), out);
  p.end("again");
  p.update({ service: "web", text: "late", phase: "done" });
  t.live.print("deployed");
  assert.deepEqual(screen(t.written.join("")), ["  web  pulled", "  api  exited", "deployed", ""]);
  assert.ok(t.written.at(-1) === "deployed\n");
});

Deno.test("live: an interrupted step's end keeps working rows as they were; the ^C echo goes", () => {
  const t = terminal();
  const p = t.live.start([{ service: "web", text: "waiting for healthy…", phase: "working" }]);
  t.at(7000);
  t.written.push("^C"); // what the terminal echoes at the cursor, below the block
  p.end();
  assert.deepEqual(screen(t.written.join("")), ["  web  waiting for healthy…  7s", ""]);
});

Deno.test("live: a new block ends the one before (its handle then does nothing)", () => {
  const t = terminal();
  const first = t.live.start([W]);
  const second = t.live.start([{ service: "web", text: "starting…", phase: "working" }]);
  first.update({ service: "web", text: "pulled", phase: "done" });
  first.end("pulled");
  second.end("ready");
  assert.deepEqual(screen(t.written.join("")), ["  web  pulling…  0s", "  web  ready", ""]);
});

Deno.test("live: a row wider than the terminal is cut, so one row stays one line", () => {
  const t = terminal(20);
  t.live.start([{ service: "web", text: "updating, 1/2 running…", phase: "working" }]);
  assert.equal(
    t.take(),
    "\x1b[2K  web  updating, 1…\n\x1b[J",
    "19 columns: the last one stays free",
  );
});
