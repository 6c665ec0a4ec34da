/**
 * The real deps of a command that talks to Docker: processes through the runner, failures of the
 * machine named (diagnose.ts), `docker compose` run as the plugin itself (compose_plugin.ts), and
 * the local engine's bookkeeping questions answered over its socket (engine_of.ts).
 */
import { defaultDeps, type Deps } from "../core/deps.ts";
import type { Runner } from "../core/run.ts";
import { type CallUi, libraryUi } from "../core/ui.ts";

export { libraryUi };
import { withDirectCompose } from "./compose_plugin.ts";
import { diagnose } from "./diagnose.ts";
import { warmEngine } from "./engine_socket.ts";
import { apiSocket } from "./engine_of.ts";

/** Real deps for a command; `signal` aborts (Ctrl-C, SIGTERM). */
export function realDeps(signal?: AbortSignal): Deps {
  const deps = defaultDeps(signal, { diagnose });
  const runner = warming(withDirectCompose(deps.runner, deps.env), deps);
  return { ...deps, runner, engineApi: true };
}

/**
 * The runner, which connects to the local engine's socket at its first step: that step (git,
 * the model check) comes before the first question, which then finds the connection open.
 */
function warming(inner: Runner, deps: Deps): Runner {
  let warm = false;
  return {
    run(step, ro) {
      if (!warm) {
        warm = true;
        const socket = apiSocket({ env: { ...deps.env, ...step.env }, engineApi: true }, {
          env: {},
          dockerArgv: ["docker"],
          label: "",
        });
        if (socket) warmEngine(socket);
      }
      return inner.run(step, ro);
    },
  };
}

/** Real deps for a library call: as a command's, but it never prompts (and is `quiet` if asked). */
export function libraryDeps(o: CallUi & { signal?: AbortSignal }): Deps {
  const deps = realDeps(o.signal);
  return { ...deps, ui: libraryUi(deps.ui, o) };
}
