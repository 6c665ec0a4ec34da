/**
 * The real deps of a command that talks to Docker: processes through the runner, failures of the
 * machine named (diagnose.ts), `docker compose` run as the plugin itself (compose_plugin.ts), and
 * the local engine's bookkeeping questions answered over its socket (engine_api.ts).
 */
import { defaultDeps, type Deps } from "../core/deps.ts";
import { type CallUi, libraryUi } from "../core/ui.ts";

export { libraryUi };
import { withDirectCompose } from "./compose_plugin.ts";
import { diagnose } from "./diagnose.ts";
import { withEngineApi } from "./engine_api.ts";

/** Real deps for a command; `signal` aborts (Ctrl-C, SIGTERM). */
export function realDeps(signal?: AbortSignal): Deps {
  const deps = defaultDeps(signal, { diagnose });
  const runner = withEngineApi(withDirectCompose(deps.runner, deps.env), deps.env, signal);
  return { ...deps, runner };
}

/** Real deps for a library call: as a command's, but it never prompts (and is `quiet` if asked). */
export function libraryDeps(o: CallUi & { signal?: AbortSignal }): Deps {
  const deps = realDeps(o.signal);
  return { ...deps, ui: libraryUi(deps.ui, o) };
}
