/**
 * A fake `docker` for CLI tests that need no engine: a shell script put first on PATH that logs
 * each call and answers what fleet asks (a deploy of a stage whose images are there, doctor's
 * probes). It can lack a plugin, worded as docker 20.10 or 28.x does, or fail every call with a
 * given stderr (what the real client says in that situation).
 */
import { join } from "node:path";

export interface FakeDockerOptions {
  /** Behave as a docker without this CLI plugin. */
  readonly lacks?: "compose" | "buildx";
  /** Whose wording: docker 20.10 or 28.x (default). */
  readonly style?: "20.10" | "28";
  /** Fail every call but `--version` with this stderr (exit 1). */
  readonly fail?: string;
}

const TOP_USAGE = {
  "28": "\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\nRun 'docker --help' for more information",
  "20.10":
    "See 'docker --help'.\n\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers",
};

/** Write the fake; `calls()` are its argv lines, in order. */
export function fakeDocker(
  opts: FakeDockerOptions = {},
): { bin: string; env: Record<string, string>; calls: () => string[] } {
  const bin = Deno.makeTempDirSync({ prefix: "fleet-fake-docker-" });
  const log = join(bin, "calls.log");
  const style = opts.style ?? "28";
  const unknownCommand = style === "28"
    ? `docker: unknown command: docker $1\\n\\nRun 'docker --help' for more information`
    : `docker: '$1' is not a docker command.\\nSee 'docker --help'`;
  const missing = opts.lacks
    ? `if [ "$1" = "${opts.lacks}" ]; then
  for a in "$@"; do case "$a" in
    --*) printf 'unknown flag: %s\\n%s\\n' "$a" "${TOP_USAGE[style]}" >&2; exit 125;;
    -*) printf "unknown shorthand flag: '%s' in %s\\n%s\\n" "\${a#-}" "$a" "${
      TOP_USAGE[style]
    }" >&2; exit 125;;
  esac; done
  printf "${unknownCommand}\\n" >&2; exit 1
fi`
    : "";
  const fail = opts.fail
    ? `[ "$1" = "--version" ] || { printf '%s\\n' '${
      opts.fail.replaceAll("'", "'\\''")
    }' >&2; exit 1; }`
    : "";
  Deno.writeTextFileSync(
    join(bin, "docker"),
    `#!/bin/sh
# one write per call (calls run concurrently): arguments with newlines are folded
printf '%s\\n' "$(printf '%s' "$*" | tr '\\n' ' ')" >> "${log}"
[ "$1" = "--context" ] && shift 2
${fail}
${missing}
case "$1 $2" in
  "--version "*) echo "Docker version 28.2.2, build e6534b4" ;;
  "version "*) echo "20.10.24" ;;
  "compose version") echo "Docker Compose version v2.26.1" ;;
  "buildx version") echo "github.com/docker/buildx v0.13.1 0000000" ;;
  "compose "*) cat > /dev/null ;;
  "image inspect") echo "sha256:1111111111111111111111111111111111111111111111111111111111111111" ;;
  "inspect "*) echo "Error: No such object" >&2; exit 1 ;;
  "info "*) echo "inactive false" ;;
  *) ;;
esac
`,
  );
  Deno.chmodSync(join(bin, "docker"), 0o755);
  Deno.writeTextFileSync(log, "");
  return {
    bin,
    // a fake docker stands for the engine too: fleet must not ask the real one over its API
    env: {
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      FLEET_ENGINE_API: "0",
      FLEET_DIRECT_COMPOSE: "0",
    },
    calls: () => Deno.readTextFileSync(log).split("\n").filter(Boolean),
  };
}
