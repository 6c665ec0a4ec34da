/**
 * The ONLY module that prompts or draws progress. Progress and messages go to stderr;
 * results (tables, rendered config) go to stdout. NO_COLOR is respected.
 */
import process from "node:process";
import { FleetError, InterruptedError } from "./errors.ts";
import type { StepKind } from "./run.ts";

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

/** The real UI, writing to stdout/stderr; its prompt gives way to Ctrl-C and SIGTERM (`signal`). */
export function createUi(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
  signal?: AbortSignal,
): Ui {
  const color = useColor(env);
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const err = (s: string) => Deno.stderr.writeSync(enc.encode(s + "\n"));
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
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
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
