/**
 * vendor/yaml.js is yaml's own ES-module build of the version deno.json pins, unedited: what
 * `deno task vendor` makes now is byte for byte the file in the repo.
 */
import assert from "node:assert/strict";
import { pinnedYaml, VENDORED, vendoredYaml } from "../../ship/vendor.ts";

Deno.test("vendor/yaml.js is what deno task vendor makes from the pinned yaml", async () => {
  const text = await vendoredYaml();
  assert.match(text, new RegExp(`^// @ts-self-types="${pinnedYaml()}"\n`));
  assert.ok(text === Deno.readTextFileSync(VENDORED), "vendor/yaml.js differs: deno task vendor");
});

Deno.test("the vendored yaml reads and writes as the npm package does", async () => {
  const vendored = await import("yaml");
  const pkg = await import(pinnedYaml());
  const text = "a: &x { b: [1, 2] }\nc: *x\nd: !!str 3\n";
  assert.deepEqual(vendored.parse(text), pkg.parse(text));
  assert.equal(vendored.stringify({ a: [1, "x: y"] }), pkg.stringify({ a: [1, "x: y"] }));
});
