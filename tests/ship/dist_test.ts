/**
 * dist/: each bundle's header and SHA256SUMS, on a stand-in bundler (fast; the real
 * `deno bundle` runs in tests/e2e/bundle_test.ts, which checks the same on its output).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundler, writeBundles } from "../../ship/dist.ts";
import { BUNDLES, foreignImports, SUMS } from "../../ship/artifacts.ts";
import { assertHeader, assertSums } from "./dist_assert.ts";

const PREFIX = "../../home/ci/.cache/deno/npm/registry.npmjs.org/";

/** A stand-in for `deno bundle`: one file shaped like esbuild's output, plus `extra` lines. */
function fakeBundler(extra = "", files = 1): Bundler {
  return (entry, outDir) => {
    for (let i = 0; i < files; i++) {
      Deno.writeTextFileSync(
        join(outDir, `${i}.js`),
        `#!/usr/bin/env -S deno run -A\nimport { join } from "node:path";\n` +
          `// ${PREFIX}yaml/2.9.1/dist/index.js\nvar entry = ${JSON.stringify(entry)};\n${extra}`,
      );
    }
    return Promise.resolve();
  };
}

/** A test with a fresh output directory, removed afterwards. */
function distTest(name: string, fn: (out: string) => Promise<void>): void {
  Deno.test(name, async () => {
    const out = Deno.makeTempDirSync({ prefix: "fleet-dist-" });
    try {
      await fn(out);
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  });
}

distTest(
  "release: each bundle opens with its header; SHA256SUMS matches the files",
  async (out) => {
    const written = await writeBundles(out, undefined, {
      bundler: fakeBundler(),
      npmPrefix: PREFIX,
    });
    assert.deepEqual(written, ["fleet.js", "build.js", "deploy.js"].map((f) => join(out, f)));
    for (const b of BUNDLES) {
      const path = join(out, b.file);
      assertHeader(path, b.file);
      const text = Deno.readTextFileSync(path);
      assert.equal(text.match(/^#!/gm)?.length, 1, "one #! line, the first");
      assert.ok(text.includes(`var entry = "${b.entry}";`), "made from its own entry");
      assert.ok(
        text.includes("// npm/yaml/2.9.1/dist/index.js"),
        "the builder's cache path is gone",
      );
      assert.ok(!text.includes(".cache/deno"));
      assert.equal(Deno.statSync(path).mode! & 0o111, 0o111, "executable");
    }
    assertSums(out, ["build.js", "deploy.js", "fleet.js"]);
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
      SUMS,
      "build.js",
      "deploy.js",
      "fleet.js",
    ]);
  },
);

distTest("bundle: fleet.js alone; SHA256SUMS follows what dist holds", async (out) => {
  const opts = { bundler: fakeBundler(), npmPrefix: PREFIX };
  await writeBundles(out, ["fleet.js"], opts);
  assertSums(out, ["fleet.js"]);
  await writeBundles(out, ["deploy.js"], { ...opts, bundler: fakeBundler("var changed = 1;") });
  assertSums(out, ["deploy.js", "fleet.js"]);
  await assert.rejects(writeBundles(out, ["nope.js"], opts), /unknown bundle "nope.js"/);
});

distTest("release fails when a bundle still imports a package or was split", async (out) => {
  const lazy = fakeBundler('const { $ } = await import("npm:zx@8.8.5");');
  await assert.rejects(
    writeBundles(out, ["deploy.js"], { bundler: lazy, npmPrefix: PREFIX }),
    /deploy\.js still imports npm:zx@8\.8\.5: it must inline them/,
  );
  await assert.rejects(
    writeBundles(out, ["fleet.js"], { bundler: fakeBundler("", 2), npmPrefix: PREFIX }),
    /bundling mod\.ts wrote 2 files .*dist needs one/,
  );
  assert.deepEqual([...Deno.readDirSync(out)], [], "nothing half-written is left");
});

Deno.test("foreignImports: everything but node: built-ins, read by a lexer", async () => {
  const code = [
    'import { join } from "node:path";',
    'import "node:process";',
    'import x, { y } from "yaml";',
    'export * from "./lib/x.ts";',
    'import "jsr:@std/path";',
    'const m = await import("https://example.com/m.js");',
    'const n = await import("node:fs");',
    '// import { x } from "commented"; is not an import',
    '/**\n * import { Buffer } from "@std/io/buffer";\n */',
    "const s = \"import y from 'in-a-string'\";",
    "const computed = await import(name);",
    "import.meta.url;",
    'import{a as b}from"minified";',
    'const zx = globalThis.Deno ? globalThis.require("./core.cjs") : __module__;',
    'var fs = __require("node:fs");',
  ].join("\n");
  assert.deepEqual((await foreignImports(code)).sort(), [
    "./core.cjs",
    "./lib/x.ts",
    "https://example.com/m.js",
    "import(name)",
    "jsr:@std/path",
    "minified",
    "yaml",
  ]);
});

distTest("zx's run-time require of its CommonJS build becomes the bundled module", async (out) => {
  const zx = '({ $, cd } = globalThis.Deno ? globalThis.require("./core.cjs") : __module__);';
  await writeBundles(out, ["build.js"], { bundler: fakeBundler(zx), npmPrefix: PREFIX });
  const text = Deno.readTextFileSync(join(out, "build.js"));
  assert.ok(text.includes("({ $, cd } = __module__);"), text.slice(-200));
  assert.deepEqual(await foreignImports(text), []);
});
