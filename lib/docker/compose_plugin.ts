/**
 * `docker compose …` without the docker CLI in front (issue 16): the CLI's start and its search
 * for plugins cost ~45 ms per call before Compose runs (measured: `docker compose config` 107 ms,
 * the plugin binary itself 62 ms), and a deploy makes four such calls. A runner decorator: a
 * plain `docker compose …` step (no global flags such as `--context`, no terminal handed over)
 * runs the plugin binary the docker CLI would pick (the same directories, in the same order) the
 * way the CLI launches a plugin (docker/cli's cli-plugins/manager PluginRunCommand): the argv
 * after `docker` as it is, `compose` first, and DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set to the
 * CLI, so Compose runs as a plugin (not standalone, whose argument conversion differs) and reads
 * the same DOCKER_HOST, DOCKER_CONTEXT and config. The step's title, argv in errors and diagnosis
 * stay `docker compose …`. No plugin found, or FLEET_DIRECT_COMPOSE=0: the docker CLI as before.
 */
import { join } from "../core/paths.ts";
import { SetupError } from "../core/errors.ts";
import { failed, type Runner, type RunOptions, type RunResult, type Step } from "../core/run.ts";
import { diagnose } from "./diagnose.ts";
import { userDockerConfig, userDockerConfigDir } from "./docker_config.ts";
import { logDirect } from "./engine_socket.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Where the docker CLI looks for plugins after the config's extra dirs and the user's dir. */
export const SYSTEM_PLUGIN_DIRS = [
  "/usr/local/lib/docker/cli-plugins",
  "/usr/local/libexec/docker/cli-plugins",
  "/usr/lib/docker/cli-plugins",
  "/usr/libexec/docker/cli-plugins",
] as const;

/**
 * The directories the docker CLI searches for plugins, in its order: config.json's
 * `cliPluginsExtraDirs`, then `<config dir>/cli-plugins`, then the system ones.
 */
export function pluginDirs(env: Env, config: Readonly<Record<string, unknown>>): string[] {
  const extra = Array.isArray(config.cliPluginsExtraDirs)
    ? config.cliPluginsExtraDirs.map(String)
    : [];
  return [...extra, join(userDockerConfigDir(env), "cli-plugins"), ...SYSTEM_PLUGIN_DIRS];
}

/** The compose plugin binary the docker CLI would run, or undefined. */
export function composePlugin(env: Env): string | undefined {
  for (const dir of pluginDirs(env, userDockerConfig(env))) {
    const file = join(dir, "docker-compose");
    try {
      const st = Deno.statSync(file); // follows symlinks (Docker Desktop links its plugins)
      if (st.isFile && (st.mode ?? 0o755) & 0o111) return file;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Whether `docker` is on a PATH: without the CLI, fleet says so rather than go around it. */
export function dockerOnPath(path: string | undefined): boolean {
  for (const dir of (path ?? "").split(":").filter(Boolean)) {
    try {
      if (Deno.statSync(join(dir, "docker")).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/**
 * The argv that runs a `docker compose …` step through the plugin itself, as the docker CLI does
 * (`compose` first), or undefined when the step is anything else (global docker flags before
 * `compose` included).
 * @example directArgv(["docker", "compose", "-p", "x", "up"], "/p/docker-compose") // ["/p/docker-compose", "compose", "-p", "x", "up"]
 */
export function directArgv(argv: readonly string[], plugin: string): string[] | undefined {
  return argv[0] === "docker" && argv[1] === "compose" ? [plugin, ...argv.slice(1)] : undefined;
}

/**
 * The environment the docker CLI adds for a plugin it runs: the command that ran the CLI (the
 * plugin re-runs it for what it asks the CLI), which also tells Compose it runs as a plugin.
 */
export const PLUGIN_ENV = { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: "docker" } as const;

/** A runner that runs plain `docker compose` steps through the plugin binary (see above). */
export function withDirectCompose(inner: Runner, env: Env): Runner {
  const found = new Map<string, string | undefined>();
  const pluginFor = (e: Env) => {
    const key = `${e.DOCKER_CONFIG ?? ""}\0${e.PATH ?? ""}`;
    if (!found.has(key)) found.set(key, dockerOnPath(e.PATH) ? composePlugin(e) : undefined);
    return found.get(key);
  };
  return {
    async run(step: Step, ro: RunOptions = {}): Promise<RunResult> {
      const e = { ...env, ...step.env };
      const plugin = !ro.inherit && e.FLEET_DIRECT_COMPOSE !== "0" ? pluginFor(e) : undefined;
      const argv = plugin ? directArgv(step.argv, plugin) : undefined;
      if (!argv) return inner.run(step, ro);
      let res: RunResult;
      try {
        res = await inner.run({ ...step, argv, env: { ...step.env, ...PLUGIN_ENV } }, {
          ...ro,
          check: false,
        });
      } catch (err) {
        // the plugin would not start after all: the docker CLI says what is wrong
        if (err instanceof SetupError) return inner.run(step, ro);
        throw err;
      }
      logDirect(env, step.argv.slice(1).join(" "));
      if (res.code === 0) return res;
      const why = diagnose(step, res, e);
      if (why) throw why;
      if (ro.check !== false) throw failed(step, res);
      return res;
    },
  };
}
