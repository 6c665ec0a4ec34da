/** The side-effect deps of every script, with real defaults; tests pass their own. */
import { sleep } from "./clock.ts";
import { createRunner, type Diagnose, type Runner } from "./run.ts";
import { createUi, type Ui } from "./ui.ts";

export interface Deps {
  readonly runner: Runner;
  readonly ui: Ui;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
  /** The clock: every reading of the time goes through here. */
  readonly now: () => Date;
  /** Wait `ms` (rejects with InterruptedError when `signal` aborts). */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** HTTP requests (a registry's API); default: the global fetch. */
  readonly fetch?: typeof fetch;
  /**
   * Ask a local engine's bookkeeping questions over its socket rather than the docker CLI
   * (lib/docker/engine_of.ts). Real deps say yes; tests whose runner stands for docker leave it out.
   */
  readonly engineApi?: boolean;
}

/**
 * Real deps: processes through zx, the terminal, this process's env and cwd. `diagnose` names
 * failures of the machine rather than of a command (the edge passes lib/docker/diagnose.ts's,
 * so core knows nothing of docker).
 */
export function defaultDeps(signal?: AbortSignal, opts: { diagnose?: Diagnose } = {}): Deps {
  const env = Deno.env.toObject();
  const cwd = Deno.cwd();
  return {
    runner: createRunner({ env, cwd, signal, diagnose: opts.diagnose }),
    ui: createUi(env, signal),
    env,
    cwd,
    signal,
    now: () => new Date(),
    sleep,
  };
}
