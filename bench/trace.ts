/**
 * Which processes a command starts and how long each takes: `docker` and `git` shims first on
 * PATH log every call. Explains where a deploy's time goes; never used in a timed run.
 */
import { join } from "node:path";
import { composePlugin } from "../lib/docker/compose_plugin.ts";
import { exec, type ExecOptions, fmtMs } from "./lib.ts";

/** One process a traced run started: what it was (`docker compose up`, `git rev-parse`) and its ms. */
export interface Call {
  readonly kind: string;
  readonly ms: number;
}

const COMPOSE_SUBS = new Set([
  "pull",
  "stop",
  "rm",
  "up",
  "ps",
  "logs",
  "down",
  "config",
  "create",
]);

/** `docker compose -p x … up …` → `docker compose up`; `docker image inspect …` → `docker image inspect`. */
export function callKind(argv: readonly string[]): string {
  const [bin, ...rest] = argv;
  let args = rest;
  while (args[0] === "--context" || args[0] === "-C") args = args.slice(2);
  if (args[0] === "compose") {
    return `${bin} compose ${args.find((a) => COMPOSE_SUBS.has(a)) ?? "?"}`;
  }
  const group = ["image", "volume", "container", "buildx"].includes(args[0]);
  return [bin, args[0], group ? args[1] : undefined].filter(Boolean).join(" ");
}

/**
 * A shell script at `file` that runs `real` with its arguments and logs the call to `log`: start
 * and end in ns, `name`, the arguments, tab-separated on one line (`first` runs before it all).
 */
function writeShim(file: string, real: string, name: string, log: string, first = ""): void {
  Deno.writeTextFileSync(
    file,
    [
      "#!/bin/sh",
      ...(first ? [first] : []),
      "s=$(date +%s%N)",
      `"${real}" "$@"`,
      "rc=$?",
      `line="$s $(date +%s%N) ${name}"`,
      'for a in "$@"; do line="$line\t$a"; done',
      // one line per call: newlines inside arguments (labels, templates) become spaces
      `printf '%s' "$line" | tr '\\n' ' ' >> "${log}"`,
      `echo >> "${log}"`,
      "exit $rc",
      "",
    ].join("\n"),
  );
  Deno.chmodSync(file, 0o755);
}

/**
 * Run argv once (untimed) with `docker` and `git` shims first on PATH that log every call and
 * its duration: which processes a command starts, and how much of its time they take.
 */
export async function traceCalls(
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<{ calls: Call[]; ms: number; api: number }> {
  const bin = Deno.makeTempDirSync({ prefix: "fleet-bench-trace-" });
  try {
    const log = join(bin, "calls.log");
    for (const tool of ["docker", "git"]) {
      const real = (await exec(["sh", "-c", `command -v ${tool}`])).stdout.trim();
      writeShim(join(bin, tool), real, tool, log);
    }
    // the Compose plugin fleet runs without the docker CLI (lib/docker/compose_plugin.ts): a
    // shim in a plugin dir of a DOCKER_CONFIG made for the run logs it as `docker compose …`
    // (the docker CLI's own calls of the plugin, and its metadata query, are not logged again)
    const plugin = composePlugin(Deno.env.toObject());
    const config = join(bin, "docker-config");
    const plugins: Record<string, string> = {};
    if (plugin && !opts.env?.DOCKER_CONFIG) {
      Deno.mkdirSync(join(config, "plugins"), { recursive: true });
      Deno.writeTextFileSync(
        join(config, "config.json"),
        JSON.stringify({ cliPluginsExtraDirs: [join(config, "plugins")] }),
      );
      // fleet runs it as the CLI does (`compose` first) but says the CLI is plain `docker`; the
      // CLI itself (through the shim above) names its own path
      const skip = `case "$1" in docker-cli-plugin-metadata) exec "${plugin}" "$@";; esac\n` +
        `[ "$DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND" = docker ] || exec "${plugin}" "$@"`;
      writeShim(join(config, "plugins", "docker-compose"), plugin, "docker", log, skip);
      plugins.DOCKER_CONFIG = config;
    }
    Deno.writeTextFileSync(log, "");
    const path = `${bin}:${opts.env?.PATH ?? Deno.env.get("PATH") ?? ""}`;
    const apiLog = join(bin, "api.log");
    Deno.writeTextFileSync(apiLog, "");
    const { ms } = await exec(argv, {
      ...opts,
      env: { FLEET_ENGINE_API_LOG: apiLog, ...plugins, ...opts.env, PATH: path },
    });
    // what was answered over the engine API (the plugin's own calls are in the log above)
    const api = Deno.readTextFileSync(apiLog).split("\n").filter((l) =>
      l && !l.startsWith("compose ")
    )
      .length;
    const calls = Deno.readTextFileSync(log).split("\n").filter(Boolean).map((line) => {
      const [head, ...args] = line.split("\t");
      const [s, e, tool] = head.split(" ");
      return { kind: callKind([tool, ...args]), ms: (Number(e) - Number(s)) / 1e6 };
    });
    return { calls, ms, api };
  } finally {
    Deno.removeSync(bin, { recursive: true });
  }
}

/** `4.1 s: 12 processes, 3.4 s in them: docker compose up ×1 (1.2 s), docker tag ×5 (0.9 s), …`. */
export function callSummary(
  { calls, ms, api }: { calls: readonly Call[]; ms: number; api?: number },
): string {
  const by = new Map<string, { n: number; ms: number }>();
  for (const c of calls) {
    const b = by.get(c.kind) ?? { n: 0, ms: 0 };
    by.set(c.kind, { n: b.n + 1, ms: b.ms + c.ms });
  }
  const total = calls.reduce((a, c) => a + c.ms, 0);
  const parts = [...by].sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, b]) => `\`${k}\` ×${b.n} (${fmtMs(b.ms)})`);
  const asked = api
    ? `, and ${api} docker command${api > 1 ? "s" : ""} answered over the engine API`
    : "";
  return `${fmtMs(ms)} in all (${
    fmtMs(Math.max(0, ms - total))
  } outside the processes below), ${calls.length} docker/git processes ${fmtMs(total)}: ${
    parts.join(", ")
  }${asked}`;
}
