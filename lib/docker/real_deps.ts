/**
 * The real deps of a command that talks to Docker: processes through the runner, failures of the
 * machine named (diagnose.ts), `docker compose` run as the plugin itself (compose_plugin.ts), and
 * the local engine's bookkeeping questions answered over its socket (engine_of.ts). Those modules
 * load with the first step: a command that starts no process (stages, config, a dry run) never
 * loads them.
 */
import { defaultDeps, type Deps } from "../core/deps.ts";
import type { Diagnose, Runner } from "../core/run.ts";
import { type CallUi, libraryUi } from "../core/ui.ts";

export { libraryUi };

/** Real deps for a command; `signal` aborts (Ctrl-C, SIGTERM). */
export function realDeps(signal?: AbortSignal): Deps {
  // set with the runner, before its first step ends (the only time it is asked)
  let diagnose: Diagnose | undefined;
  const deps = defaultDeps(signal, { diagnose: (step, res, env) => diagnose?.(step, res, env) });
  let loaded: Promise<Runner> | undefined;
  const load = async (): Promise<Runner> => {
    const [plugin, diagnosis, socket, of] = await Promise.all([
      import("./compose_plugin.ts"),
      import("./diagnose.ts"),
      import("./engine_socket.ts"),
      import("./engine_of.ts"),
    ]);
    diagnose = diagnosis.diagnose;
    return warming(plugin.withDirectCompose(deps.runner, deps.env), deps, socket, of);
  };
  const runner: Runner = { run: async (step, ro) => (await (loaded ??= load())).run(step, ro) };
  return { ...deps, runner, engineApi: true };
}

/**
 * The runner, which connects to the local engine's socket at its first step: that step (git,
 * the model check) comes before the first question, which then finds the connection open.
 */
function warming(
  inner: Runner,
  deps: Deps,
  { warmEngine }: typeof import("./engine_socket.ts"),
  { apiSocket }: typeof import("./engine_of.ts"),
): Runner {
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
