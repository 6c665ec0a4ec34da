/**
 * Errors that fleet throws in lib/ and turns into exit codes at the edge (mod.ts, scripts).
 * 2 = usage or configuration (nothing ran), 1 = an operation failed, 130 = interrupted.
 */

/** Base class: a message people can act on, plus an optional hint (the next step). */
export class FleetError extends Error {
  readonly exitCode: number = 1;
  readonly hint?: string;
  /** The command's result up to the failure (rendered at the edge: --json, GitHub). */
  result?: unknown;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
  }
}

/** Attach a command's result to an error on its way to the edge (any error: wrapped if need be). */
export function withResult(err: unknown, result: unknown): unknown {
  const e = err instanceof FleetError
    ? err
    : new FleetError(String((err as Error)?.message ?? err), { cause: err });
  e.result = result;
  return e;
}

/** Where a configuration problem is: the file (as shown), and its line and column when known. */
export interface ConfigProblem {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** The problem after the position: `services.api.prots: unknown key …`. */
  readonly message: string;
}

// `stages/live.yaml:7:5: services.api.prots: unknown key …` (line and column optional)
const LOCATED = /^(\S+?\.ya?ml)(?::(\d+)(?::(\d+))?)?: (.+)$/;

/**
 * The positions in a config error's message: one per line that starts with a stage file.
 * @example configProblems("stages/a.yaml:7:5: tag: bad") // [{ file: "stages/a.yaml", line: 7, col: 5, message: "tag: bad" }]
 */
export function configProblems(message: string): ConfigProblem[] {
  return message.split("\n").flatMap((l) => {
    const m = l.match(LOCATED);
    if (!m) return [];
    return [{
      file: m[1],
      ...(m[2] ? { line: Number(m[2]) } : {}),
      ...(m[3] ? { col: Number(m[3]) } : {}),
      message: m[4],
    }];
  });
}

/**
 * A stage file is wrong: names the file, the key path and what would be valid. Each line of
 * its message starts with the position (`stages/live.yaml:7:5: …`); `problems` holds them,
 * and `file`, `line`, `col` are the first one's (GitHub annotations).
 */
export class ConfigError extends FleetError {
  override readonly exitCode = 2;
  readonly problems: readonly ConfigProblem[];
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts);
    this.problems = configProblems(message);
  }
  get file(): string | undefined {
    return this.problems[0]?.file;
  }
  get line(): number | undefined {
    return this.problems[0]?.line;
  }
  get col(): number | undefined {
    return this.problems[0]?.col;
  }
}

/** The command line is wrong (unknown stage, bad flag combination, no terminal for a prompt). */
export class UsageError extends FleetError {
  override readonly exitCode = 2;
}

/** A docker command failed: carries its (redacted) argv and the end of its stderr. */
export class CommandError extends FleetError {
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly argv: readonly string[] = [],
    readonly stderrTail = "",
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

/**
 * The machine is not ready for the command: a missing tool or plugin, an engine out of reach.
 * Nothing the command asked for is at fault, so there is nothing to roll back or retry.
 */
export class SetupError extends CommandError {}

/** The user pressed Ctrl-C (SIGINT) or sent SIGTERM. */
export class InterruptedError extends FleetError {
  override readonly exitCode = 130;
}

/**
 * Any thrown value as a FleetError, for library callers: a FleetError as it is; anything else
 * wrapped (exit 1), or an InterruptedError (130) once `signal` has aborted; its result kept.
 */
export function asFleetError(err: unknown, signal?: AbortSignal): FleetError {
  if (err instanceof FleetError) return err;
  const message = String((err as Error)?.message ?? err);
  const e = signal?.aborted
    ? new InterruptedError(message, { cause: err })
    : new FleetError(message, { cause: err });
  const result = (err as { result?: unknown })?.result;
  if (result !== undefined) e.result = result;
  return e;
}

/** The exit code for any thrown value: FleetError's own, 1 for anything else. */
export function exitCodeOf(err: unknown): number {
  return err instanceof FleetError ? err.exitCode : 1;
}

/** Render an error for stderr: `error: …`, the docker command and stderr tail, `hint: …`. */
export function formatError(err: unknown, verbose = false): string {
  const lines: string[] = [];
  if (err instanceof FleetError) {
    lines.push(`error: ${err.message}`);
    if (err instanceof CommandError && err.argv.length > 0) {
      lines.push(`  command: ${err.argv.map((a) => cut(a)).join(" ")}`);
    }
    if (err instanceof CommandError && err.stderrTail.trim() !== "") {
      lines.push(...err.stderrTail.trimEnd().split("\n").map((l) => `  | ${l}`));
    }
    if (err.hint) lines.push(`hint: ${err.hint}`);
  } else {
    lines.push(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (verbose) {
    let cause: unknown = err;
    while (cause instanceof Error) {
      if (cause.stack) lines.push(cause.stack);
      cause = cause.cause;
      if (cause) lines.push("caused by:");
    }
  }
  return lines.join("\n");
}

/**
 * An argument cut for display: a huge one (a model, a label) would bury the error.
 * @example cut("x".repeat(500)) // "xxxx…(500 bytes)"
 */
export function cut(arg: string, max = 200): string {
  return arg.length <= max ? arg : `${arg.slice(0, 60)}…(${arg.length} bytes)`;
}
