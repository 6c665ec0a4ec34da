#!/usr/bin/env -S deno run -A
/**
 * fleet's benchmark (issue #6): fleet against the obvious alternatives, in the same run, on the
 * e2e test bed (tests/e2e/testbed.sh).
 *
 *   deno task bench                      every scenario
 *   deno task bench startup builds       some of: overhead outage swarm proxy builds startup promote hosts
 *   deno task bench --runs 7             measured runs per side (default 5; start-up ≥ 10)
 *
 * Prints the results table and writes bench/RESULTS.md (scenarios not run keep their last rows).
 * Timing assertions live here only, never in the test suite.
 */
import { join } from "node:path";
import { testbed } from "../testbed/bed.ts";
import { type Ctx, exec, type Group, ROOT } from "./lib.ts";
import { merge, readStored, render, type Stored } from "./report.ts";
import { overhead } from "./overhead.ts";
import { outage } from "./outage.ts";
import { swarm } from "./swarm.ts";
import { proxy } from "./proxy.ts";
import { builds } from "./builds.ts";
import { startup } from "./startup.ts";
import { promote } from "./promote.ts";
import { hosts } from "./hosts.ts";

const SCENARIOS: Record<string, (ctx: Ctx) => Promise<Group>> = {
  overhead,
  outage,
  swarm,
  proxy,
  builds,
  startup,
  promote,
  hosts,
};
const ORDER = Object.keys(SCENARIOS);
const RESULTS = join(ROOT, "bench/RESULTS.md");

function parseArgs(args: readonly string[]): { names: string[]; runs: number } {
  const names: string[] = [];
  let runs = 5;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--runs") {
      runs = Number(args[++i]);
      // fewer than 5 runs make a rough median: for a quick look at one scenario only
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: need an integer ≥ 1`);
    } else if (a === "-h" || a === "--help") {
      console.log(`usage: deno task bench [${ORDER.join("|")} …] [--runs N]`);
      Deno.exit(0);
    } else if (a in SCENARIOS) {
      names.push(a);
    } else {
      throw new Error(`unknown scenario "${a}" (scenarios: ${ORDER.join(", ")})`);
    }
  }
  return { names: names.length ? ORDER.filter((n) => names.includes(n)) : ORDER, runs };
}

async function machine(): Promise<string> {
  const v = async (argv: string[]) =>
    (await exec(argv, { check: false })).stdout.trim().split("\n")[0] || "?";
  const [engine, buildx, compose] = await Promise.all([
    v(["docker", "version", "-f", "{{.Server.Version}}"]),
    v(["docker", "buildx", "version"]),
    v(["docker", "compose", "version", "--short"]),
  ]);
  return `${navigator.hardwareConcurrency} CPUs, ${Deno.build.os}/${Deno.build.arch}, ` +
    `deno ${Deno.version.deno}, Docker engine ${engine}, buildx ${buildx.split(" ")[1] ?? "?"}, ` +
    `compose ${compose}`;
}

/** The 1-minute load average (other work on the machine shows in the numbers). */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

async function revision(): Promise<string> {
  const sha = (await exec(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], { check: false }))
    .stdout.trim();
  const dirty = (await exec(["git", "-C", ROOT, "status", "--porcelain"], { check: false }))
    .stdout.trim();
  return `${sha || "?"}${dirty ? " (+ uncommitted changes)" : ""}`;
}

async function main(): Promise<number> {
  let names: string[], runs: number;
  try {
    ({ names, runs } = parseArgs(Deno.args));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  const tb = await testbed();
  if (typeof tb === "string") {
    console.error(`error: the bench needs the test bed: ${tb}`);
    console.error("hint: bash tests/e2e/testbed.sh up");
    return 1;
  }
  const t0 = performance.now();
  const log = (line: string) => console.error(`bench: ${line}`);
  const [mach, rev] = [await machine(), await revision()];
  const done: Stored[] = [];
  let failed = false;
  for (const name of names) {
    log(`== ${name}`);
    try {
      const [at, t, before] = [new Date().toISOString(), performance.now(), loadAverage()];
      const group = await SCENARIOS[name]({ tb, runs, log });
      const seconds = (performance.now() - t) / 1000;
      const load = `${before} at the start, ${loadAverage()} at the end`;
      log(`${name} took ${seconds.toFixed(0)} s`);
      done.push({ ...group, at, seconds, machine: mach, revision: rev, load });
    } catch (e) {
      failed = true;
      console.error(`error: scenario ${name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  const all = merge(readStored(RESULTS), done, ORDER);
  Deno.writeTextFileSync(RESULTS, render(all));
  console.log(render(done, false));
  log(`${names.join(", ")} in ${((performance.now() - t0) / 1000).toFixed(0)} s; wrote ${RESULTS}`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
