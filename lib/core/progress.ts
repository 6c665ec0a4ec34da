/**
 * Live progress as data (pure): one row per service with its state and since when it holds, and
 * the text lines a terminal shows for them (`  web   pulling…  4s`). What turns a tool's output
 * into observations lives with the tool (lib/engine/compose_progress.ts); lib/core/live.ts draws.
 */

/** Whether a state is still under way (its seconds tick), reached, or a failure. */
export type Phase = "working" | "done" | "failed";

/** What is known of one service now: `pulling…` (working), `healthy` (done), `exited` (failed). */
export interface Observation {
  readonly service: string;
  readonly text: string;
  readonly phase: Phase;
}

/** A service's row: its latest observation and when (ms) that state began. */
export interface Row extends Observation {
  readonly since: number;
}

/**
 * How a step's output becomes rows (Step.progress): the services it starts with, in what state,
 * the states one output line tells (none: it is no service's state and prints as any other line),
 * and what a row still under way becomes when the step succeeds.
 */
export interface StepProgress {
  readonly services: readonly string[];
  readonly start: string;
  readonly read: (line: string) => readonly Observation[];
  readonly settled: string;
}

/**
 * The rows after an observation: a new service is added at the end; a changed state restarts its
 * clock; the same state again changes nothing.
 * @example observe([], { service: "web", text: "pulling…", phase: "working" }, 0) // [{ …, since: 0 }]
 */
export function observe(rows: readonly Row[], o: Observation, now: number): Row[] {
  const i = rows.findIndex((r) => r.service === o.service);
  if (i < 0) return [...rows, { ...o, since: now }];
  const r = rows[i];
  if (r.text === o.text && r.phase === o.phase) return [...rows];
  return rows.map((x, j) => (j === i ? { ...o, since: now } : x));
}

/**
 * The rows once the work is over: each row still working becomes done with `text`.
 * @example settle(rows, "pulled")
 */
export function settle(rows: readonly Row[], text: string, now: number): Row[] {
  return rows.map((r) => (r.phase === "working" ? { ...r, text, phase: "done", since: now } : r));
}

/**
 * The lines of a block of rows: the names in one column, a working row with its whole seconds.
 * `paint` may colour a part (the terminal's UI passes one unless NO_COLOR).
 * @example rowLines([{ service: "web", text: "pulling…", phase: "working", since: 0 }], 4000)
 * // ["  web  pulling…  4s"]
 */
export function rowLines(
  rows: readonly Row[],
  now: number,
  paint: (phase: Phase | "name" | "time", s: string) => string = (_p, s) => s,
): string[] {
  const width = Math.max(0, ...rows.map((r) => r.service.length));
  return rows.map((r) => {
    const secs = Math.max(0, Math.floor((now - r.since) / 1000));
    const time = r.phase === "working" ? `  ${paint("time", `${secs}s`)}` : "";
    return `  ${paint("name", r.service.padEnd(width))}  ${paint(r.phase, r.text)}${time}`;
  });
}
