/**
 * The ONLY module that starts processes (through zx, with a spawn that starts the argv itself:
 * no shell in between). Every step is an argv array, with secrets passed in the child's environment or stdin and redacted from
 * every line shown and every error raised. A child's colours and cursor codes are stripped
 * (Compose's `logs` writes `ESC[2K` even with --no-color): fleet prefixes and colours lines itself.
 */
import type { SpawnOptions } from "node:child_process";
import { CommandError, type FleetError, InterruptedError, SetupError } from "./errors.ts";
import { holdsOpen } from "./leave.ts";
import type { StepProgress } from "./progress.ts";

/** What a step does; code branches on this, never on a step's title. */
export type StepKind =
  | "pull"
  | "stop"
  | "rm"
  | "up"
  | "down"
  | "deploy"
  | "logs"
  | "ps"
  | "query"
  | "lock"
  | "record"
  | "tag"
  | "build"
  | "push"
  | "login"
  | "git"
  | "check"
  | "task"
  | "hook"
  | "exec"
  | "switch";

/** One command to run: argv plus environment; `secretEnv` values and `input` are redacted. */
export interface Step {
  readonly kind: StepKind;
  /** For people: progress lines and error messages. */
  readonly title: string;
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly secretEnv?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Working directory (default: fleet's own). */
  readonly cwd?: string;
  /** How its output tells each service's state, for a live block on a terminal (runStep). */
  readonly progress?: StepProgress;
}

/** An interrupt that came while a step ran: the step says which phase was under way. */
export class StepInterrupted extends InterruptedError {
  constructor(readonly step: Step) {
    super(`interrupted during: ${step.title}`);
  }
}

/** Seconds of silence after which a running step says it is still at work. */
export const QUIET_SECONDS = 5;

export interface RunOptions {
  /** Called with each output line (redacted) as it arrives. */
  readonly onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Called every QUIET_SECONDS while the process prints nothing, with the seconds it has run. */
  readonly onQuiet?: (seconds: number) => void;
  /**
   * Throw a CommandError on a non-zero exit (default true). With false the caller reads the
   * exit code as an answer; a failure the runner's `diagnose` names (the machine, not the
   * command) is thrown all the same, since no caller can read it as an answer.
   */
  readonly check?: boolean;
  /** Hand the child this process's stdin, stdout and stderr (exec, run): nothing captured. */
  readonly inherit?: boolean;
  /** Run even after an interrupt, and do not kill it on one (cleanup: unlock, report). */
  readonly uninterruptible?: boolean;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Runner {
  run(step: Step, opts?: RunOptions): Promise<RunResult>;
}

/**
 * Names what is wrong with the machine from a failed step (a missing tool, an engine out of
 * reach), or returns undefined when the failure is the command's own. Pure; given the step, its
 * (redacted) result and the environment it ran with. Core knows no tool: the edge passes one in
 * (lib/docker/diagnose.ts for docker).
 */
export type Diagnose = (
  step: Step,
  res: RunResult,
  env: Readonly<Record<string, string | undefined>>,
) => FleetError | undefined;

/**
 * Replace each secret in a text with `***` (longest first, so overlapping secrets vanish whole).
 * @example redact("pw=hunter2", ["hunter2"]) // "pw=***"
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // 1–2 character values would mask every such letter in the output; they are no secrets
  for (const s of [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("***");
  }
  return out;
}

/** The secrets of a step: its secretEnv values and its stdin. */
export function secretsOf(step: Step): string[] {
  const s = Object.values(step.secretEnv ?? {});
  if (step.input) s.push(step.input.trim(), step.input);
  return s;
}

/** ANSI escape sequences (node:util's stripVTControlCharacters pattern; node:util loads slowly). */
const ANSI = new RegExp(
  "[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]+)*" +
    "|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]*)*)?\\u0007)" +
    "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))",
  "g",
);

/** Text without its ANSI escape sequences (colours, cursor moves). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** A child's output as fleet shows it: secrets redacted, escape sequences (colour, cursor) gone. */
function clean(text: string, secrets: readonly string[]): string {
  return redact(stripAnsi(text), secrets);
}

/** The last `n` lines of a text. */
export function tail(text: string, n = 15): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/**
 * Quote one argument for a POSIX shell.
 * @example shQuote("it's") // "'it'\\''s'"
 */
export function shQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Why a program did not start, as a shell says it (`x: command not found`: exit 127). */
function notStarted(file: string, cause: Error): string {
  return (cause as { code?: string }).code === "ENOENT"
    ? `${file}: command not found`
    : `${file}: cannot start: ${cause.message}`;
}

/** A runner that spawns real processes; `signal` aborts (kills) whatever is running. */
export function createRunner(opts: {
  env: Readonly<Record<string, string>>;
  cwd: string;
  signal?: AbortSignal;
  diagnose?: Diagnose;
}): Runner {
  return {
    async run(step, ro = {}) {
      const signal = ro.uninterruptible ? undefined : opts.signal;
      if (signal?.aborted) throw new InterruptedError("interrupted");
      const secrets = secretsOf(step);
      // loaded on first use: --help, config and dry runs start no process. zx/core, not zx: the
      // rest (globby, fetch, fs-extra, … 0.7 MB) is never used, and halves the single-file bundles
      holdsOpen();
      const [{ $ }, { spawn }, { default: process }] = await Promise.all([
        import("zx/core"),
        import("node:child_process"),
        import("node:process"),
      ]);
      // zx's kill (an interrupt) lists the child's process tree with `ps` run through a shell,
      // and Node warns about that pattern once per process
      (process as unknown as { noDeprecation: boolean }).noDeprecation = true;
      // zx builds a shell command line (it wants a shell and a quote function for that, and
      // has neither where there is no bash); fleet's spawn ignores that line and starts the
      // argv itself: no shell process per step (~5 ms each), no quoting to get wrong
      const [file, ...args] = step.argv;
      const p = $({
        shell: "/bin/sh",
        quote: shQuote,
        prefix: "",
        spawn: ((_cmd: string, _args: unknown, o: SpawnOptions) =>
          spawn(file, args, { ...o, shell: false })) as typeof spawn,
        env: { ...opts.env, ...step.env, ...step.secretEnv },
        cwd: step.cwd ?? opts.cwd,
        input: step.input,
        quiet: true,
        nothrow: true,
        ...(ro.inherit ? { stdio: "inherit" as const } : {}),
      })`${step.argv}`;
      // a child that exits without reading its stdin (docker without the compose plugin) makes
      // the write fail with EPIPE: its exit code says what happened, not an uncaught error
      p.stdin?.on("error", () => {});
      const kill = () => p.kill("SIGTERM").catch(() => {});
      signal?.addEventListener("abort", kill);
      const started = Date.now();
      let heard = started;
      const quiet = ro.onQuiet &&
        setInterval(() => {
          if (Date.now() - heard < QUIET_SECONDS * 1000) return;
          heard = Date.now();
          ro.onQuiet!(Math.round((heard - started) / 1000));
        }, 1000);
      if (ro.onLine) {
        const onLine = ro.onLine;
        for (const stream of ["stdout", "stderr"] as const) {
          let buf = "";
          p[stream]?.on("data", (d: Uint8Array) => {
            buf += new TextDecoder().decode(d);
            const lines = buf.split(/\r?\n|\r/);
            buf = lines.pop() ?? "";
            heard = Date.now();
            for (const l of lines) onLine(clean(l, secrets), stream);
          });
          p[stream]?.on("end", () => buf && onLine(clean(buf, secrets), stream));
        }
      }
      const r = await p.finally(() => quiet && clearInterval(quiet));
      signal?.removeEventListener("abort", kill);
      if (signal?.aborted) throw new StepInterrupted(step);
      // a process that never started has no exit code, only a cause (127: "command not found")
      const cause = r.exitCode === null && !r.signal ? r.cause : undefined;
      const res = {
        code: cause ? 127 : r.exitCode ?? 1,
        stdout: clean(r.stdout, secrets),
        stderr: clean(cause ? notStarted(step.argv[0], cause) : r.stderr, secrets),
      };
      if (res.code === 0) return res;
      const why = opts.diagnose?.(step, res, { ...opts.env, ...step.env });
      // Ctrl-C at a terminal signals the whole process group: a child it ended (docker says
      // "error during connect: … context canceled") failed because of the interrupt, not of the
      // machine; its exit may be seen before fleet's own handler ran, so give that a moment
      if (why && !opts.signal?.aborted) await new Promise((ok) => setTimeout(ok, 150));
      if (r.signal === "SIGINT" || r.signal === "SIGTERM" || opts.signal?.aborted) {
        if (ro.check !== false) throw new StepInterrupted(step);
        return res; // the caller reads the code (a cleanup step, a query polled again)
      }
      if (why) throw why;
      if (cause && ro.check !== false) {
        throw new SetupError(`cannot start ${step.argv[0]}: ${cause.message}`, [], "", {
          hint: `is ${step.argv[0]} installed, and on PATH?`,
          cause,
        });
      }
      if (ro.check !== false) throw failed(step, res);
      return res;
    },
  };
}

/**
 * A step as a shell line for people (`--dry-run`): env names first, secret values as `***`.
 * @example showStep({ kind: "build", title: "t", argv: ["docker", "build", "."], secretEnv: { A: "x" } }) // "A=*** docker build ."
 */
export function showStep(step: Step): string {
  const env = [
    ...Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`),
    ...Object.keys(step.secretEnv ?? {}).map((k) => `${k}=***`),
  ];
  const stdin = step.input !== undefined ? " < (stdin)" : "";
  return [...env, ...step.argv.map(quote)].join(" ") + stdin;
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : shQuote(s);
}

/** The CommandError for a failed step: its title, redacted argv and stderr tail. */
export function failed(step: Step, res: RunResult): CommandError {
  const secrets = secretsOf(step);
  return new CommandError(
    `${step.title} failed (exit ${res.code})`,
    step.argv.map((a) => redact(a, secrets)),
    tail(res.stderr || res.stdout),
  );
}
