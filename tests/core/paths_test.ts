import assert from "node:assert/strict";
import * as node from "node:path";
import * as paths from "../../lib/core/paths.ts";

// generated paths from parts that exercise every branch: roots, dots, empty and repeated slashes
const PARTS = [
  "",
  "/",
  "//",
  ".",
  "..",
  "a",
  "b",
  "a.b",
  "...",
  ".a",
  "a/",
  "/a",
  "../a",
  "a/..",
  "a//b",
];

/** Every path of up to `n` parts (deterministic, distinct: over a thousand). */
function generated(n: number): string[] {
  let level = [""];
  const all = new Set<string>(level);
  for (let i = 0; i < n; i++) {
    level = level.flatMap((p) => PARTS.map((q) => p + q));
    level.forEach((p) => all.add(p));
  }
  return [...all];
}

Deno.test("paths: join, normalize, dirname, isAbsolute agree with node:path on generated paths", () => {
  const all = generated(3);
  assert.ok(all.length > 1000, `${all.length} paths`);
  for (const p of all) {
    assert.equal(paths.normalize(p), node.normalize(p), `normalize ${JSON.stringify(p)}`);
    assert.equal(paths.dirname(p), node.dirname(p), `dirname ${JSON.stringify(p)}`);
    assert.equal(paths.isAbsolute(p), node.isAbsolute(p), `isAbsolute ${JSON.stringify(p)}`);
  }
  for (const a of generated(2)) {
    for (const b of generated(2)) {
      const w = JSON.stringify([a, b]);
      assert.equal(paths.join(a, b), node.join(a, b), `join ${w}`);
      assert.equal(paths.resolve(a, b), node.resolve(a, b), `resolve ${w}`);
      assert.equal(paths.relative(a, b), node.relative(a, b), `relative ${w}`);
    }
  }
  assert.equal(paths.join(), node.join());
  assert.equal(paths.resolve(), node.resolve());
  assert.equal(
    paths.join("a", "", "b", "/c/", "..", "d"),
    node.join("a", "", "b", "/c/", "..", "d"),
  );
});
