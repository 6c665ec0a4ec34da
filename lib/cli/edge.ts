/**
 * The edge every command leaves through, with no command-line parser loaded (the quick commands
 * of lib/cli/quick.ts start without commander): Ctrl-C and SIGTERM abort, errors print as
 * `error:`/`hint:`, and the process ends with the exit code (0, 1, 2, 130). Also the stage
 * argument's rule, the same for commander's actions and the quick commands.
 */
import { exitCodeOf, formatError, InterruptedError, UsageError } from "../core/errors.ts";
import { heldOpen } from "../core/leave.ts";

/**
 * Run a command at the edge: Ctrl-C aborts `signal`, errors print as `error:`/`hint:`, and the
 * returned number is the exit code (0, 1, 2, 130). The caller exits with it.
 */
export async function runEdge(
  fn: (signal: AbortSignal) => Promise<unknown>,
  verbose = () => Deno.args.includes("--verbose"),
): Promise<number> {
  const ctl = new AbortController();
  let interrupts = 0;
  // the first signal aborts (its reason says which, for the record); the cleanup that follows
  // (the task's container, the lock, the record) is not skipped by a second Ctrl-C, which
  // only says so; a third leaves at once
  const onSignal = (how: string) => () => {
    if (++interrupts === 1) return ctl.abort(new InterruptedError(`interrupted (${how})`));
    if (interrupts > 2) Deno.exit(130);
    console.error(
      "still cleaning up (the deploy lock, the record); Ctrl-C once more leaves at once, " +
        "and a lock left behind needs fleet unlock",
    );
  };
  const onInt = onSignal("Ctrl-C");
  const onTerm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const r = await fn(ctl.signal);
    if (ctl.signal.aborted) return 130;
    return typeof r === "number" ? r : 0; // a passed-through exit code (exec, run)
  } catch (err) {
    console.error(formatError(err, verbose()));
    return ctl.signal.aborted ? 130 : exitCodeOf(err);
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/** Commander asked to leave (help shown, version, a usage error): the exit code to leave with. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Parse and run, then leave with the exit code by letting the process end on its own (so Deno
 * keeps its compiled-code cache of fleet's modules: the next start is faster); a handle left
 * open cannot hold it: an unref'd timer exits after a moment (armed when the command opened
 * something that could hold it, lib/core/leave.ts).
 */
export async function parseAndLeave(
  parse: () => Promise<unknown>,
  code: () => number,
): Promise<void> {
  let exit: number;
  try {
    await parse();
    exit = code();
  } catch (e) {
    if (!(e instanceof CliExit)) throw e;
    exit = e.code;
  }
  Deno.exitCode = exit;
  if (heldOpen()) Deno.unrefTimer(setTimeout(() => Deno.exit(exit), 3000));
}

/** The stage argument, else FLEET_STAGE, else a usage error. */
export function stageArg(
  stage: string | undefined,
  env: Record<string, string | undefined>,
): string {
  const s = stage ?? env.FLEET_STAGE;
  if (!s) {
    throw new UsageError("missing <stage>", {
      hint: "name a stage (see `fleet stages`) or set FLEET_STAGE",
    });
  }
  return s;
}
