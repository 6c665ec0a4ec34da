#!/usr/bin/env -S deno run -A
/**
 * Makes dist/: the single-file bundles and SHA256SUMS (`deno task release`), fleet.js alone
 * (`deno task bundle`), or the executables for four targets (`deno task compile`).
 *
 *   deno run -A ship/dist.ts [fleet.js|build.js|deploy.js]… [--out <dir>] [--minify]
 *   deno run -A ship/dist.ts --compile [--target <target>]… [--out <dir>]
 *
 * Dev tooling like bench/: it runs from a checkout. `deno bundle` (esbuild) inlines every module,
 * the literal `import()`s of mod.ts, run.ts and ui.ts and the npm packages included, into one
 * file that imports only `node:` built-ins; this script checks that and fails otherwise.
 * SHA256SUMS is rewritten after each run over every artifact present in the output directory.
 */
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { VERSION } from "../lib/core/version.ts";
import {
  artifactNames,
  BUNDLES,
  executableName,
  finishBundle,
  foreignImports,
  sha256sums,
  SUMS,
  TARGETS,
} from "./artifacts.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Writes the bundle of `entry` (relative to the repo root) into the directory `outDir`. */
export type Bundler = (entry: string, outDir: string) => Promise<void>;

/** Run a deno subcommand in the repo root; throws with the end of its stderr when it fails. */
async function deno(args: readonly string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    const tail = dec.decode(out.stderr).trimEnd().split("\n").slice(-8).join("\n");
    throw new Error(`deno ${args.join(" ")} failed (exit ${out.code}):\n${tail}`);
  }
  return dec.decode(out.stdout);
}

/** `deno bundle` for Deno, ESM, one file; the repo's deno.json gives the imports. */
export function denoBundle(opts: { minify?: boolean } = {}): Bundler {
  return (entry, outDir) =>
    deno([
      "bundle",
      "--quiet",
      "--config",
      join(ROOT, "deno.json"),
      "--platform",
      "deno",
      "--format",
      "esm",
      ...(opts.minify ? ["--minify"] : []),
      "--outdir",
      outDir,
      entry,
    ]).then(() => {});
}

/** How esbuild names npm modules here: the npm cache relative to the repo root. */
async function npmPrefix(): Promise<string> {
  const info = JSON.parse(await deno(["info", "--json"])) as { npmCache: string };
  return relative(ROOT, join(info.npmCache, "registry.npmjs.org")) + "/";
}

/**
 * Bundle the named files (default: all) into `out`, each with its header, executable, written
 * whole or not at all; then rewrite SHA256SUMS. Returns the paths written.
 */
export async function writeBundles(
  out: string,
  files: readonly string[] = BUNDLES.map((b) => b.file),
  opts: { bundler?: Bundler; npmPrefix?: string } = {},
): Promise<string[]> {
  const unknown = files.filter((f) => !BUNDLES.some((b) => b.file === f));
  if (unknown.length) {
    throw new Error(`unknown bundle "${unknown[0]}" (bundles: ${BUNDLES.map((b) => b.file)})`);
  }
  const bundler = opts.bundler ?? denoBundle();
  const prefix = opts.npmPrefix ?? await npmPrefix();
  Deno.mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const b of BUNDLES.filter((x) => files.includes(x.file))) {
    const tmp = Deno.makeTempDirSync({ dir: out, prefix: `.${b.file}-` });
    try {
      await bundler(b.entry, tmp);
      const made = [...Deno.readDirSync(tmp)].map((e) => e.name);
      if (made.length !== 1) {
        throw new Error(`bundling ${b.entry} wrote ${made.length} files (${made}); dist needs one`);
      }
      const code = finishBundle(b, VERSION, Deno.readTextFileSync(join(tmp, made[0])), prefix);
      const foreign = await foreignImports(code);
      if (foreign.length) {
        throw new Error(`${b.file} still imports ${foreign.join(", ")}: it must inline them`);
      }
      Deno.writeTextFileSync(join(tmp, made[0]), code);
      Deno.chmodSync(join(tmp, made[0]), 0o755);
      Deno.renameSync(join(tmp, made[0]), join(out, b.file));
      written.push(join(out, b.file));
    } finally {
      Deno.removeSync(tmp, { recursive: true });
    }
  }
  await writeSums(out);
  return written;
}

/** `deno compile` mod.ts for each target into `out` (downloads a runtime per target). */
export async function writeExecutables(
  out: string,
  targets: readonly string[] = TARGETS,
): Promise<string[]> {
  const unknown = targets.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length) {
    throw new Error(`unknown target "${unknown[0]}" (targets: ${TARGETS.join(", ")})`);
  }
  Deno.mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const t of targets) {
    const file = join(out, executableName(t));
    await deno([
      "compile",
      "-A",
      "--config",
      join(ROOT, "deno.json"),
      "--target",
      t,
      "-o",
      file,
      "mod.ts",
    ]);
    written.push(file);
  }
  await writeSums(out);
  return written;
}

/** Rewrite `out`/SHA256SUMS over the artifacts present there. */
export async function writeSums(out: string): Promise<void> {
  const present = artifactNames().filter((n) => exists(join(out, n)));
  const files = present.map((name) => ({ name, bytes: Deno.readFileSync(join(out, name)) }));
  Deno.writeTextFileSync(join(out, SUMS), await sha256sums(files));
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const USAGE = `usage: deno run -A ship/dist.ts [${
  BUNDLES.map((b) => b.file).join("|")
}]… [--out <dir>] [--minify]
       deno run -A ship/dist.ts --compile [--target <target>]… [--out <dir>]
targets: ${TARGETS.join(", ")}`;

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: "string", default: join(ROOT, "dist") },
        compile: { type: "boolean", default: false },
        minify: { type: "boolean", default: false },
        target: { type: "string", multiple: true },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const written = v.compile
      ? await writeExecutables(v.out, v.target ?? TARGETS)
      : await writeBundles(v.out, positionals.length ? positionals : undefined, {
        bundler: denoBundle({ minify: v.minify }),
      });
    for (const f of [...written, join(v.out, SUMS)]) {
      console.log(`${relative(Deno.cwd(), f) || f}  ${Deno.statSync(f).size} bytes`);
    }
    return 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`error: ${msg}`);
    if (v.compile && !msg.startsWith("unknown target")) {
      console.error(
        "hint: deno compile downloads a runtime per target from dl.deno.land; where that is " +
          "blocked, ship the bundles (deno task release): they need only Deno",
      );
    }
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
