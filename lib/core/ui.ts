/**
 * The ONLY module that prompts or draws progress. Progress and messages go to stderr;
 * results (tables, rendered config) go to stdout. NO_COLOR is respected.
 */
import { FleetError, InterruptedError } from "./errors.ts";
import { holdsOpen } from "./leave.ts";
import type { StepKind } from "./run.ts";
import { createLive, type LiveProgress } from "./live.ts";
import type { Observation, Phase } from "./progress.ts";

export type { LiveProgress };

export interface Ui {
  /** A result line, on stdout. */
  out(text: string): void;
  /** A progress message, on stderr. */
  info(text: string): void;
  /**
   * A step heading (`==> …`), on stderr. `kind`: the step it announces (runStep), which the
   * GitHub Actions mode shows as that step's group instead (lib/report/github.ts).
   */
  step(text: string, kind?: StepKind): void;
  warn(text: string): void;
  /** A line of a child's output, prefixed with who it is from (`web | …`). */
  line(prefix: string, text: string): void;
  /** Ask a yes/no question on the terminal; default no. */
  confirm(question: string): Promise<boolean>;
  /** True when stdin is a terminal, so confirm() can ask. */
  readonly interactive: boolean;
  /**
   * A live block of one row per service, redrawn in place while a wait lasts (pull, health
   * wait, Swarm convergence). Only on a terminal that can draw (drawsLive): elsewhere it is
   * absent and progress stays lines.
   */
  progress?(rows: readonly Observation[]): LiveProgress;
}

const enc = new TextEncoder();

/** Colors on stderr only when it is a terminal and NO_COLOR is unset. */
export function useColor(env: Readonly<Record<string, string | undefined>>): boolean {
  return !env.NO_COLOR && Deno.stderr.isTerminal();
}

/** Colors on stdout (results) only when it is a terminal and NO_COLOR is unset. */
export function useColorOut(env: Readonly<Record<string, string | undefined>>): boolean {
  return !env.NO_COLOR && Deno.stdout.isTerminal();
}

/**
 * Whether progress is drawn live: stderr is a terminal that moves its cursor (not TERM=dumb), and
 * not GitHub Actions (its log is no terminal). NO_COLOR drops the colours only.
 */
export function drawsLive(
  env: Readonly<Record<string, string | undefined>>,
  isTerminal: boolean = Deno.stderr.isTerminal(),
): boolean {
  return isTerminal && env.TERM !== "dumb" && env.GITHUB_ACTIONS !== "true";
}

function writeAll(file: { writeSync(p: Uint8Array): number }, s: string): void {
  let bytes = enc.encode(s);
  while (bytes.length) bytes = bytes.subarray(file.writeSync(bytes));
}

function columns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/** The real UI, writing to stdout/stderr; its prompt gives way to Ctrl-C and SIGTERM (`signal`). */
export function createUi(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
  signal?: AbortSignal,
): Ui {
  const color = useColor(env);
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const phases: Record<Phase | "name" | "time", string> = {
    working: "",
    done: "32",
    failed: "31",
    name: "1",
    time: "2",
  };
  const live = createLive({
    write: (s) => writeAll(Deno.stderr, s),
    now: Date.now,
    columns,
    paint: (p, s) => (phases[p] ? paint(phases[p], s) : s),
  });
  const err = (s: string) => live.print(s);
  const palette = ["36", "35", "33", "32", "34", "96", "95", "93"];
  const colors = new Map<string, string>();
  return {
    out: (s) => Deno.stdout.writeSync(enc.encode(s + "\n")),
    info: (s) => err(s),
    step: (s) => err(paint("1", `==> ${s}`)),
    warn: (s) => err(paint("33", `warning: ${s}`)),
    line(prefix, text) {
      if (!colors.has(prefix)) colors.set(prefix, palette[colors.size % palette.length]);
      err(`${paint(colors.get(prefix)!, prefix)} | ${text}`);
    },
    confirm: (question) => askYesNo(question, signal),
    interactive: Deno.stdin.isTerminal(),
    ...(drawsLive(env) ? { progress: (rows: readonly Observation[]) => live.start(rows) } : {}),
  };
}

/** How a library call talks: quietly or not, and who answers its questions (never a prompt). */
export interface CallUi {
  /** No progress (steps, lines, live blocks); warnings still go to stderr. */
  readonly quiet?: boolean;
  /** Answers a confirmation question; without it, nothing is asked and the answer is no. */
  readonly confirm?: (question: string) => boolean | Promise<boolean>;
}

/**
 * The UI of a library call: `ui`'s output (or none, `quiet`), and questions answered by the
 * caller's `confirm` callback, never by a prompt on the terminal.
 * @example libraryUi(createUi(), { quiet: true, confirm: () => true })
 */
export function libraryUi(ui: Ui, o: CallUi): Ui {
  const { progress, ...rest } = ui;
  const none = () => {};
  return {
    ...rest,
    ...(o.quiet ? { out: none, info: none, step: none, line: none } : progress ? { progress } : {}),
    interactive: o.confirm !== undefined,
    confirm: async (question) => o.confirm ? (await o.confirm(question)) === true : false,
  };
}

/**
 * Ask unless `yes`; a "no" is a FleetError saying nothing was changed (exit 1).
 * @example await confirmOrCancel(ui, "deploy live?", "deploy cancelled: nothing was changed", false)
 */
export async function confirmOrCancel(
  ui: Ui,
  question: string,
  cancelled: string,
  yes: boolean,
): Promise<void> {
  if (yes || await ui.confirm(question)) return;
  throw new FleetError(cancelled);
}

/**
 * Ask `question (y/N)` on stderr and read one line from stdin (line mode, so Ctrl-C stays a
 * signal). An abort of `signal` (Ctrl-C, SIGTERM) ends the wait at once with InterruptedError;
 * end of input is "no".
 */
export async function askYesNo(
  question: string,
  signal?: AbortSignal,
  input?: NodeJS.ReadableStream,
  output?: NodeJS.WritableStream,
): Promise<boolean> {
  // loaded when a question is asked: Node's streams are no part of a command that asks nothing
  holdsOpen();
  const [{ createInterface }, { default: process }] = await Promise.all([
    import("node:readline/promises"),
    import("node:process"),
  ]);
  input ??= process.stdin;
  output ??= process.stderr;
  const rl = createInterface({ input, output, terminal: false });
  const closed = new Promise<string>((resolve) => rl.once("close", () => resolve("")));
  try {
    const answer = await Promise.race([rl.question(`${question} (y/N) `, { signal }), closed]);
    return /^y(es)?$/i.test(answer.trim());
  } catch (e) {
    if (signal?.aborted) throw new InterruptedError("interrupted at the confirmation");
    throw e;
  } finally {
    rl.close();
  }
}
