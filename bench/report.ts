/**
 * bench/RESULTS.md: one table over every scenario, notes on what each row ran, and the raw
 * samples in a trailing comment, so a run of some scenarios keeps the others' last results.
 */
import { type Group, table } from "./lib.ts";

/** A scenario's results as stored: plus the machine and fleet revision they were measured on. */
export interface Stored extends Group {
  /** When the scenario started (ISO) and how long it took. */
  readonly at: string;
  readonly seconds: number;
  readonly machine: string;
  readonly revision: string;
  /** The 1-minute load average at the start and end of the scenario. */
  readonly load?: string;
}

const DATA_OPEN = "<!-- bench-data";
const DATA_CLOSE = "-->";

/** The stored results in an existing RESULTS.md (none if the file is absent or unreadable). */
export function readStored(path: string): Stored[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return [];
  }
  const i = text.lastIndexOf(DATA_OPEN);
  if (i < 0) return [];
  const json = text.slice(i + DATA_OPEN.length, text.indexOf(DATA_CLOSE, i)).trim();
  try {
    return JSON.parse(json) as Stored[];
  } catch {
    return [];
  }
}

/** Replace the stored groups that ran now, keep the others, in the scenarios' order. */
export function merge(old: readonly Stored[], now: readonly Stored[], order: readonly string[]) {
  const by = new Map(old.map((g) => [g.name, g]));
  for (const g of now) by.set(g.name, g);
  return order.flatMap((n) => by.get(n) ?? []);
}

/** The whole RESULTS.md text; without `data`, only what people read (what the bench prints). */
export function render(groups: readonly Stored[], data = true): string {
  const machines = [...new Set(groups.map((g) => g.machine))];
  const out = [
    "# fleet benchmark results",
    "",
    "Written by `deno task bench` (`bench/run.ts`; `deno task bench startup builds` runs some",
    "scenarios and keeps the others' last results). Each row: one warm-up run per side, then the",
    "measured runs, fleet and baseline alternating; medians and min–max of the measured runs.",
    "ratio = fleet median / baseline median (below 1: fleet is faster or its gap shorter). The",
    "machine may be shared: each scenario says the load average it ran under.",
    "",
    `Machine: ${machines.join("; ")}.`,
    "",
    table(groups.flatMap((g) => g.rows)),
    "",
  ];
  for (const g of groups) {
    const load = g.load ? ` Load average (1 min): ${g.load}.` : "";
    out.push(
      `## ${g.title}`,
      "",
      `Measured ${g.at}${
        g.seconds ? ` (${Math.round(g.seconds)} s)` : ""
      } on fleet ${g.revision}.${load}`,
      "",
    );
    for (const n of g.notes) out.push(`- ${n}`);
    out.push("");
  }
  const round = (_k: string, v: unknown) => (typeof v === "number" ? Math.round(v * 10) / 10 : v);
  if (data) out.push(DATA_OPEN, JSON.stringify(groups, round), DATA_CLOSE, "");
  return out.join("\n");
}
