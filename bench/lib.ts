/**
 * The bench's toolkit: run a process and time it (performance.now() around Deno.Command),
 * alternate fleet and baseline runs, reduce samples to medians and ranges, render the table.
 */
import { join } from "node:path";
import type { Testbed } from "../testbed/bed.ts";

/** The repo root (the bench is dev tooling: it only runs from a checkout). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** What every scenario gets: the test bed, the number of measured runs, a progress log. */
export interface Ctx {
  readonly tb: Testbed;
  readonly runs: number;
  readonly log: (line: string) => void;
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  readonly ms: number;
}

export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Throw on a non-zero exit (default true). */
  readonly check?: boolean;
}

const dec = new TextDecoder();

/** Run an argv to completion, timed; throws with the end of stderr on failure unless check=false. */
export async function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<Ran> {
  const cmd = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: opts.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const t0 = performance.now();
  const child = cmd.spawn();
  if (opts.input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
  }
  const out = await child.output();
  const ran = {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - t0,
  };
  if (ran.code !== 0 && opts.check !== false) {
    const tail = (ran.stderr || ran.stdout).trimEnd().split("\n").slice(-12).join("\n");
    throw new Error(`exit ${ran.code}: ${argv.join(" ")}\n${tail}`);
  }
  return ran;
}

/** The argv of fleet as a user runs it from a checkout: `deno run -A mod.ts …`. */
export function fleetArgv(...args: string[]): string[] {
  return [Deno.execPath(), "run", "-A", join(ROOT, "mod.ts"), ...args];
}

/** One contender of a comparison: runs once and returns its measurement (ms). */
export interface Side {
  readonly name: string;
  readonly run: () => Promise<number>;
}

/**
 * Warm up every side once, then `runs` rounds in which each side runs once, in the given order
 * (so fleet and baseline alternate). Returns the measured samples by side name.
 */
export async function measure(
  what: string,
  sides: readonly Side[],
  runs: number,
  log: (line: string) => void,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (const s of sides) log(`${what}: warm-up ${s.name} ${fmtMs(await s.run())}`);
  for (let i = 1; i <= runs; i++) {
    for (const s of sides) {
      const ms = await s.run();
      samples[s.name].push(ms);
      log(`${what}: ${s.name} ${i}/${runs} ${fmtMs(ms)}`);
    }
  }
  return samples;
}

/** The median of a list of numbers (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** What a row must show: fleet/baseline ratio at most `max`, or fleet's median at most `max` ms. */
export type Target =
  | { readonly kind: "ratio"; readonly max: number; readonly why?: string }
  | { readonly kind: "ms"; readonly max: number; readonly why?: string }
  | { readonly kind: "none"; readonly why?: string };

/** One line of the table: fleet's samples against a baseline's. */
export interface Row {
  readonly label: string;
  readonly fleet: readonly number[];
  readonly baseline: readonly number[];
  readonly target: Target;
  /** What the samples count: milliseconds (default), or failed requests. */
  readonly unit?: "ms" | "failed";
}

/** A scenario's outcome: its rows and notes on what was run. */
export interface Group {
  readonly name: string;
  readonly title: string;
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
}

/** `850 ms` below 10 s, `12.3 s` above. */
export function fmtMs(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A sample in the row's unit. */
const fmtIn = (r: Row) => (x: number) => r.unit === "failed" ? `${x} failed` : fmtMs(x);
const range = (r: Row, xs: readonly number[]) =>
  `${fmtIn(r)(Math.min(...xs))}–${fmtIn(r)(Math.max(...xs))}`;
/** fleet's median over the baseline's; none when the baseline's is 0. */
const ratioText = (r: Row) => {
  const b = median(r.baseline);
  return b === 0 ? "—" : `${(median(r.fleet) / b).toFixed(2)}×`;
};

/** The target in words and whether the row meets it (with the margin). */
export function verdict(row: Row): { target: string; verdict: string } {
  const f = median(row.fleet);
  const ratio = f / median(row.baseline);
  const t = row.target;
  if (t.kind === "ratio") {
    const ok = ratio <= t.max;
    const d = Math.abs(ratio - t.max);
    const by = d < 0.005 ? "<0.01×" : `${d.toFixed(2)}×`;
    return {
      target: `ratio ≤ ${t.max.toFixed(2)}`,
      verdict: ok ? `met (${by} spare)` : `MISSED by ${by}`,
    };
  }
  if (t.kind === "ms") {
    const ok = f <= t.max;
    const by = fmtMs(Math.abs(f - t.max));
    return { target: `fleet ≤ ${t.max} ms`, verdict: ok ? `met (${by} spare)` : `MISSED by ${by}` };
  }
  return { target: "—", verdict: "(context)" };
}

/** The results table (Markdown) of a list of rows. */
export function table(rows: readonly Row[]): string {
  const head = [
    "scenario",
    "fleet median",
    "baseline median",
    "ratio",
    "fleet min–max",
    "baseline min–max",
    "runs",
    "target",
    "verdict",
  ];
  const lines = rows.map((r) => {
    const v = verdict(r);
    return [
      r.label,
      fmtIn(r)(median(r.fleet)),
      fmtIn(r)(median(r.baseline)),
      ratioText(r),
      range(r, r.fleet),
      range(r, r.baseline),
      `${r.fleet.length}+${r.baseline.length}`,
      v.target,
      v.verdict,
    ];
  });
  return [head, head.map(() => "---"), ...lines].map((l) => `| ${l.join(" | ")} |`).join("\n");
}

/** Write files (relative path → text) into a fresh temp dir; returns its path. */
export function tempProject(prefix: string, files: Readonly<Record<string, string>>): string {
  const dir = Deno.makeTempDirSync({ prefix });
  writeFiles(dir, files);
  return dir;
}

/** Write (or overwrite) files under `dir`, making parent dirs. */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    Deno.mkdirSync(join(p, ".."), { recursive: true });
    Deno.writeTextFileSync(p, text);
  }
}

/** A name unique to this run (engines keep state): prefix + time + random, [a-z0-9]. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${
    Math.floor(Math.random() * 1296).toString(36)
  }`;
}
