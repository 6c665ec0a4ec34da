/** Live progress as data: rows by service, their clocks, and the lines a block shows. */
import assert from "node:assert/strict";
import { observe, type Row, rowLines, settle } from "../../lib/core/progress.ts";

const pulling = { service: "web", text: "pulling…", phase: "working" } as const;

Deno.test("observe: a new service is added at the end; a changed state restarts its clock", () => {
  let rows: Row[] = observe([], pulling, 0);
  rows = observe(rows, { service: "api", text: "pulling…", phase: "working" }, 1000);
  assert.deepEqual(rows.map((r) => [r.service, r.since]), [["web", 0], ["api", 1000]]);
  const same = observe(rows, pulling, 5000);
  assert.equal(same[0], rows[0], "the same state again keeps its row (and its clock)");
  const pulled = observe(rows, { service: "web", text: "pulled", phase: "done" }, 6000);
  assert.deepEqual(pulled[0], { service: "web", text: "pulled", phase: "done", since: 6000 });
  assert.equal(pulled[1], rows[1]);
});

Deno.test("settle: rows still working are done with the text given; the others stay", () => {
  const rows: Row[] = [
    { ...pulling, since: 0 },
    { service: "api", text: "exited", phase: "failed", since: 0 },
    { service: "db", text: "healthy", phase: "done", since: 0 },
  ];
  assert.deepEqual(settle(rows, "pulled", 9).map((r) => `${r.service} ${r.text} ${r.phase}`), [
    "web pulled done",
    "api exited failed",
    "db healthy done",
  ]);
});

Deno.test("rowLines: names in one column; only working rows show their whole seconds", () => {
  const rows: Row[] = [
    { ...pulling, since: 1000 },
    { service: "worker", text: "pulled", phase: "done", since: 0 },
  ];
  assert.deepEqual(rowLines(rows, 5999), ["  web     pulling…  4s", "  worker  pulled"]);
  const painted = rowLines(rows, 5999, (p, s) => `<${p}>${s}`);
  assert.deepEqual(painted, [
    "  <name>web     <working>pulling…  <time>4s",
    "  <name>worker  <done>pulled",
  ]);
  assert.deepEqual(rowLines([], 0), []);
});
