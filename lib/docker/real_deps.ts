/**
 * The real deps of a command that talks to Docker: processes through the runner, failures of the
 * machine named (diagnose.ts), and the local engine's bookkeeping questions answered over its
 * socket instead of a process each (engine_api.ts).
 */
import { defaultDeps, type Deps } from "../core/deps.ts";
import { diagnose } from "./diagnose.ts";
import { withEngineApi } from "./engine_api.ts";

/** Real deps for a command; `signal` aborts (Ctrl-C, SIGTERM). */
export function realDeps(signal?: AbortSignal): Deps {
  const deps = defaultDeps(signal, { diagnose });
  return { ...deps, runner: withEngineApi(deps.runner, deps.env, signal) };
}
