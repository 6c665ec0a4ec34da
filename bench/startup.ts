/**
 * Scenario 4, start-up: fleet's quick commands under `deno run` (warm cache) against
 * `docker compose config` on the same rendered Compose model; then the single-file bundles of
 * `deno task release` against the sources they are made from.
 */
import { join } from "node:path";
import { exec, fleetArgv, fmtMs, type Group, measure, median, ROOT } from "./lib.ts";
import { writeBundles } from "../ship/dist.ts";
import type { Row, Side } from "./lib.ts";
import type { Ctx } from "./lib.ts";

const COMMANDS = [
  ["--help"],
  ["stages"],
  ["config", "dev"],
  ["deploy", "local", "--dry-run"],
] as const;

/** Bundle (in the project dir, as a user copies it) against its source, same arguments. */
const BUNDLED = [
  ["fleet.js", "mod.ts", "--help"],
  ["fleet.js", "mod.ts", "stages"],
  ["deploy.js", "scripts/deploy.ts", "--help"],
] as const;

/** A project's own compose.yaml (anchors, networks, a job, a profile, variables) of 12 services. */
function composeProject(): string {
  const svc = (i: number) =>
    `  svc${i}:\n    <<: *common\n    image: busybox:\${TAG:-latest}\n` +
    `    command: ["sleep", "${i}"]\n    networks: { back: { aliases: [a${i}] }, front: {} }\n` +
    `    depends_on: { migrate: { condition: service_completed_successfully } }\n`;
  return "x-common: &common\n  restart: unless-stopped\n  environment: { A: '1' }\n" +
    "services:\n  migrate:\n    image: busybox\n    restart: 'no'\n" +
    "  debug:\n    image: busybox\n    profiles: [debug]\n" +
    Array.from({ length: 10 }, (_, i) => svc(i)).join("") +
    "networks:\n  front: {}\n  back: { internal: true }\n";
}

/** `fleet stages` and `fleet config` on a stage with `compose_file:` (issue 23's target). */
async function composeFileRows(parent: string, runs: number, ctx: Ctx): Promise<Row[]> {
  const dir = join(parent, "compose-project");
  Deno.mkdirSync(join(dir, "stages"), { recursive: true });
  Deno.writeTextFileSync(join(dir, "compose.yaml"), composeProject());
  Deno.writeTextFileSync(
    join(dir, "stages/_base.yaml"),
    "project: bench\ncompose_file: compose.yaml\n",
  );
  Deno.writeTextFileSync(join(dir, "stages/local.yaml"), "services:\n  svc0: { user: '1' }\n");
  const baseline: Side = {
    name: "compose config",
    run: async () =>
      (await exec(["docker", "compose", "-f", "compose.yaml", "config"], { cwd: dir })).ms,
  };
  return await commandRows(
    [["stages"], ["config", "local"]],
    dir,
    baseline,
    runs,
    ctx,
    ", compose_file",
  );
}

/**
 * Each command, in `dir`, against `baseline`: a row each. Target (issues 23 and 27): no slower
 * than `docker compose config` on the same model; `--help` keeps issue 16's 150 ms.
 */
async function commandRows(
  commands: readonly (readonly string[])[],
  dir: string,
  baseline: Side,
  runs: number,
  ctx: Ctx,
  what = "",
  env: Record<string, string> = {},
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const args of commands) {
    const label = `start-up${what}: \`fleet ${args.join(" ")}\` vs \`docker compose config\``;
    const fleet: Side = {
      name: "fleet",
      run: async () => (await exec(fleetArgv(...args), { cwd: dir, env })).ms,
    };
    const s = await measure(label, [fleet, baseline], runs, ctx.log);
    rows.push({
      label,
      fleet: s.fleet,
      baseline: s[baseline.name],
      target: args[0] === "--help"
        ? { kind: "ms", max: 150 }
        : Object.keys(env).length
        ? { kind: "none" }
        : { kind: "ratio", max: 1, why: "no slower than docker compose config" },
    });
  }
  return rows;
}

/** Time each quick command against `docker compose config`, at least 10 runs each. */
export async function startup(ctx: Ctx): Promise<Group> {
  const runs = Math.max(10, ctx.runs);
  // a copy of the repo's demo project, so nothing here reads or touches the checkout's state
  const dir = Deno.makeTempDirSync({ prefix: "fleet-bench-startup-" });
  try {
    for (const d of ["stages", "demo"]) {
      await exec(["cp", "-R", join(ROOT, d), join(dir, d)]);
    }
    const model = await exec(fleetArgv("config", "dev", "--compose"), { cwd: dir });
    Deno.writeTextFileSync(join(dir, "compose.yml"), model.stdout);
    const baseline: Side = {
      name: "compose config",
      run: async () =>
        (await exec(["docker", "compose", "-f", "compose.yml", "config"], { cwd: dir })).ms,
    };
    // the floor under any deno CLI on this machine: `deno run` of an empty module
    Deno.writeTextFileSync(join(dir, "empty.ts"), "export {};\n");
    const empty = [Deno.execPath(), "run", "-A", "empty.ts"];
    await exec(empty, { cwd: dir });
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) floor.push((await exec(empty, { cwd: dir })).ms);
    // and under the quick commands: the libraries they load (yaml, valibot), nothing else
    Deno.writeTextFileSync(join(dir, "libs.ts"), 'import "yaml";\nimport "valibot";\n');
    const libs = [Deno.execPath(), "run", "-A", "--config", join(ROOT, "deno.json"), "libs.ts"];
    await exec(libs, { cwd: dir });
    const libFloor: number[] = [];
    for (let i = 0; i < runs; i++) libFloor.push((await exec(libs, { cwd: dir })).ms);
    // what any node: module costs first (Deno's Node layer), which the quick commands avoid
    Deno.writeTextFileSync(join(dir, "node.ts"), 'import "node:path";\n');
    const node = [Deno.execPath(), "run", "-A", "node.ts"];
    await exec(node, { cwd: dir });
    const nodeFloor: number[] = [];
    for (let i = 0; i < runs; i++) nodeFloor.push((await exec(node, { cwd: dir })).ms);
    const rows = await commandRows(COMMANDS, dir, baseline, runs, ctx);
    rows.push(...await composeFileRows(dir, runs, ctx));
    // context: with the YAML cache off, every run parses each file and writes each value anew
    // (the first run after a file changes)
    rows.push(
      ...await commandRows(
        [["config", "dev"], ["deploy", "local", "--dry-run"]],
        dir,
        baseline,
        runs,
        ctx,
        ", YAML cache off (`FLEET_CACHE_DIR=`)",
        { FLEET_CACHE_DIR: "" },
      ),
    );
    await writeBundles(dir, ["fleet.js", "deploy.js"]);
    for (const [bundle, source, ...args] of BUNDLED) {
      const label = `start-up: \`${bundle} ${args.join(" ")}\` vs \`${source} ${args.join(" ")}\``;
      const deno = (file: string) => ({
        name: file,
        run: async () =>
          (await exec([Deno.execPath(), "run", "-A", file, ...args], { cwd: dir })).ms,
      });
      const s = await measure(label, [deno(bundle), deno(join(ROOT, source))], runs, ctx.log);
      rows.push({
        label,
        fleet: s[bundle],
        baseline: s[join(ROOT, source)],
        target: { kind: "ms", max: 150 },
      });
    }
    return {
      name: "startup",
      title: "4. Start-up",
      rows,
      notes: [
        "fleet runs as `deno run -A mod.ts <command>` (the module graph is cached by the warm-up run, " +
        "no type check), in a copy of the repo's `stages/` + `demo/` project; `deploy local --dry-run` " +
        "prints the plan and runs nothing that changes state.",
        "The compose_file rows: a project whose stages carry its own compose.yaml (12 services, " +
        "anchors and merge keys, two networks, a one-shot job, a profile, a variable image tag); " +
        "the baseline is `docker compose -f compose.yaml config` on that file.",
        "Baseline: `docker compose -f compose.yml config` on `fleet config dev --compose`'s output " +
        "(the Docker CLI plus the Compose plugin parsing, interpolating and printing the same model).",
        "The last rows run the single files of `deno task release` (built from this checkout into " +
        "the project copy, which has no deno.json) with `deno run -A <file> …`; their baseline is " +
        "the source they are made from, run the same way from the checkout.",
        "Target: `stages`, `config` and `deploy --dry-run` no slower than `docker compose config` " +
        "on the same model (ratio ≤ 1, issues 23 and 27); `--help` and the single files ≤ 150 ms " +
        "(issue 16). The floor: " +
        `\`deno run\` of an empty module took ${fmtMs(median(floor))} (median of ${runs}; ` +
        `${fmtMs(Math.min(...floor))}–${fmtMs(Math.max(...floor))}) in the same run; ` +
        "one that only imports the libraries the quick commands load (yaml, valibot) took " +
        `${fmtMs(median(libFloor))} (${fmtMs(Math.min(...libFloor))}–` +
        `${fmtMs(Math.max(...libFloor))}), and one that only imports node:path ` +
        `${fmtMs(median(nodeFloor))} (${fmtMs(Math.min(...nodeFloor))}–` +
        `${fmtMs(Math.max(...nodeFloor))}): the first node: module starts Deno's Node layer.`,
        "How the quick commands start (issues 23 and 27): a plain command line of `stages`, " +
        "`config` or `deploy --dry-run` is read without commander (lib/cli/quick.ts: ~25 ms), " +
        "no node: module is on their path (paths in lib/core/paths.ts, release models gzipped " +
        "with CompressionStream, node:process loaded with a child process or a question, and no " +
        "exit timer unless something was opened: a timer loads Deno's Node timers), docker's " +
        "runner parts load with the first step, and the YAML cache (lib/config/yaml_cache.ts) " +
        "keeps parsed files and written values between runs: yaml's parser and stringifier run " +
        "cold in every process (~10 ms for two small stage files, ~5 ms for a small model). The " +
        "warm-up run fills the cache, so the rows above are the usual case; the cache-off rows " +
        "(context) are the first run after a file changes.",
        "Earlier (issue 16): yaml's ES-module build, vendored in one file (vendor/yaml.js), loads " +
        "~35 ms faster than the npm package's CommonJS entry; what is left is mostly loading " +
        "fleet's own modules (~0.2 ms each: a dry run loads ~80) and valibot's checks.",
      ],
    };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
