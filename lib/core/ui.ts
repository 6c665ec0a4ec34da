/**
 * The ONLY module that prompts or draws progress (dax). Progress and messages go to stderr;
 * results (tables, rendered config) go to stdout. NO_COLOR is respected.
 */
import { FleetError } from "./errors.ts";

export interface Ui {
  /** A result line, on stdout. */
  out(text: string): void;
  /** A progress message, on stderr. */
  info(text: string): void;
  /** A step heading (`==> …`), on stderr. */
  step(text: string): void;
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

/** The real UI, writing to stdout/stderr and prompting with dax. */
export function createUi(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
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
    async confirm(question) {
      // loaded on first use: most commands never prompt, and dax costs ~40 ms to load
      const { default: $ } = await import("dax");
      return $.confirm(question, { default: false, noClear: true });
    },
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
