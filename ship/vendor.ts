#!/usr/bin/env -S deno run -A
/**
 * Makes vendor/yaml.js (`deno task vendor`): the yaml package pinned in deno.json
 * (`yaml-npm`), its own ES-module build (the one it ships for browsers) bundled into one file.
 *
 * Why: yaml's npm entry for Deno is its CommonJS build, 60 modules loaded through Deno's
 * `require()`; every command that reads a stage file pays for that at start-up. The same
 * library's ES-module build, one file, loads without it (bench/RESULTS.md, start-up). The
 * types stay the package's own (`@ts-self-types`); the code is yaml's, not edited.
 *
 *   deno run -A ship/vendor.ts [--check]   (--check: exit 1 when the file is not what this makes)
 */
import { join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
export const VENDORED = join(ROOT, "vendor/yaml.js");

/** The pinned specifier (`npm:yaml@x.y.z`) from deno.json. */
export function pinnedYaml(): string {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const spec = config.imports?.["yaml-npm"];
  if (typeof spec !== "string" || !/^npm:yaml@\d+\.\d+\.\d+$/.test(spec)) {
    throw new Error(`deno.json: imports["yaml-npm"] must pin npm:yaml@x.y.z (it is ${spec})`);
  }
  return spec;
}

/** The vendored file's text, made from the pinned package. */
export async function vendoredYaml(): Promise<string> {
  const spec = pinnedYaml();
  const dir = await Deno.makeTempDir({ prefix: "fleet-vendor-" });
  try {
    const entry = join(dir, "entry.js");
    const out = join(dir, "yaml.js");
    Deno.writeTextFileSync(entry, `export * from "${spec}";\n`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--no-config", "--platform", "browser", "-o", out, entry],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`deno bundle ${spec} failed:\n${new TextDecoder().decode(r.stderr)}`);
    }
    // esbuild names each source in a comment by its path in this machine's npm cache
    const code = Deno.readTextFileSync(out).replace(
      /^\/\/ .*?registry\.npmjs\.org\/yaml\/[^/]+\//gm,
      "// yaml/",
    );
    const version = spec.slice("npm:yaml@".length);
    const licence = "ISC, Copyright Eemeli Aro <eemeli@gmail.com>";
    return `// @ts-self-types="${spec}"\n` +
      `// yaml ${version} (https://eemeli.org/yaml/, ${licence}): its ES-module build in one\n` +
      `// file, made by \`deno task vendor\` (ship/vendor.ts) from deno.json's pin. Do not edit.\n` +
      code;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const text = await vendoredYaml();
  if (Deno.args.includes("--check")) {
    const now = await Deno.readTextFile(VENDORED).catch(() => "");
    if (now !== text) {
      console.error(`${VENDORED} is not what ${pinnedYaml()} makes: run deno task vendor`);
      Deno.exit(1);
    }
    console.log(`${VENDORED}: ${pinnedYaml()}, up to date`);
  } else {
    Deno.writeTextFileSync(VENDORED, text);
    console.log(`wrote ${VENDORED} from ${pinnedYaml()}`);
  }
}
