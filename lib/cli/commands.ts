/**
 * Command-line definitions shared by the router (mod.ts) and the scripts run directly, and
 * the edge that turns errors into exit codes. Light on purpose: importing it loads no zx or dax.
 */
import {
  Command,
  InvalidArgumentError,
  Option,
  type OptionValues,
} from "@commander-js/extra-typings";
import { DEFAULTS } from "../core/defaults.ts";
import { CliExit } from "./edge.ts";

export { CliExit, parseAndLeave, runEdge, stageArg } from "./edge.ts";

// commander's generics track each command's arguments and options; these helpers take any command
// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any, any, any>;

/** A repeatable option's values, in order. */
export const collect = (v: string, prev: string[]) => [...prev, v];
/** The help of --profile, the same on every command that has it. */
export const PROFILE_HELP =
  "activate a Compose profile (repeatable; besides the stage's profiles:)";
/** The help of --host, the same on every command that has it. */
export const HOST_HELP =
  "a stage with several hosts (hosts:): only this host (repeatable; default: every host)";
/** The help of --json, the same on every command that has it. */
export const JSON_HELP = "print the result as one JSON document on stdout (docs/json.md)";
// commander reports an InvalidArgumentError as a usage error (exit 2, with the option's name and,
// with --json, the failure document); any other error thrown here would escape uncaught
const seconds = (v: string) => {
  const n = v.trim() === "" ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("it takes a number of seconds, 0 or more (e.g. 30, 1.5)");
  }
  return n;
};
/** A whole number, 1 or more (`--index`, `-j`); `what` says what it counts. */
const count = (what: string) => (v: string) => {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`it takes a whole number, 1 or more (${what})`);
  }
  return n;
};

/** -C/--dir and --verbose, accepted by every command. */
export function withGlobals<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  cmd: Command<A, O, G>,
) {
  return cmd
    .addOption(
      new Option("-C, --dir <path>", "project root (default: nearest dir with stages/)").env(
        "FLEET_DIR",
      ),
    )
    .option("--verbose", "show stack traces and causes of errors");
}

/** `build [stage]` and its options (SPEC §4). */
export function buildCommand() {
  return withGlobals(
    new Command("build")
      .description("build the images of a stage (docker build for local, buildx otherwise)")
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .option("-n, --service <name>", "only this service (repeatable)", collect, [] as string[])
      .option("--push", "push the images (not for local)")
      .option(
        "--tag <tag>",
        "image tag, repeatable: one build, every tag (default: the stage's tag, else latest)",
        collect,
        [] as string[],
      )
      .option("--registry <registry>", "registry prefix, e.g. ghcr.io/myorg")
      .option(
        "--platform <platforms>",
        "target platform(s): linux/amd64, or linux/amd64,linux/arm64",
      )
      .option("--no-cache", "build without cache")
      .option("--dry-run", "print the commands, run nothing")
      .option("--json", JSON_HELP)
      .option(
        "-j, --jobs <n>",
        "services built at once",
        count("services built at once"),
        DEFAULTS.jobs,
      ),
  );
}

/** `deploy [stage]` and its options (SPEC §5). */
export function deployCommand() {
  return withGlobals(
    new Command("deploy")
      .description("deploy a stage: pull → stop → rm → up, then wait until healthy")
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .option("-n, --service <name>", "only this service (repeatable)", collect, [] as string[])
      .option("--no-pull", "use the images the host already has")
      .option("-y, --yes", "do not ask for confirmation")
      .option("--dry-run", "print the plan and the commands, change nothing")
      .option(
        "--timeout <seconds>",
        `how long to wait for running/healthy (default: ${DEFAULTS.timeout}; Swarm stages 300)`,
        seconds,
      )
      .option("--no-rollback", "on a failed release, leave it as it is (Swarm: pause it)")
      .option("--changed-only", "redeploy only services whose image changed")
      .option("--tag <tag>", "deploy this tag of the built services instead of the stage's")
      .option("--json", JSON_HELP)
      .option(
        "--lock-wait <seconds>",
        "wait this long for another deploy's lock",
        seconds,
        DEFAULTS.lockWait,
      )
      .option("--prune", "Swarm: remove the stack's services the stage no longer has")
      .option("--profile <name>", PROFILE_HELP, collect, [] as string[]),
  );
}

/** `rollback [stage]`: back to the previous successful release. */
export function rollbackCommand() {
  return withGlobals(
    new Command("rollback")
      .description("go back to the previous successful release (or --to <release>)")
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .option("-n, --service <name>", "only this service (repeatable)", collect, [] as string[])
      .option("--to <release>", "release id from `fleet history`")
      .option(
        "--host <name>",
        "a stage with several hosts (hosts:): the host",
        collect,
        [] as string[],
      )
      .option("--json", JSON_HELP)
      .option("-y, --yes", "do not ask for confirmation")
      .option("--dry-run", "print the plan, change nothing")
      .option(
        "--timeout <seconds>",
        `how long to wait for running/healthy (default: ${DEFAULTS.timeout}; Swarm stages 300)`,
        seconds,
      )
      .option(
        "--lock-wait <seconds>",
        "wait this long for another deploy's lock",
        seconds,
        DEFAULTS.lockWait,
      ),
  );
}

/** `promote <from> <to>` and its options (SPEC §9). */
export function promoteCommand() {
  return withGlobals(
    new Command("promote")
      .description("point <to>'s images at the very manifests of <from>, by digest (no rebuild)")
      .argument("<from>", "the stage whose images are promoted")
      .argument("<to>", "the stage whose image references are pointed at them")
      .option("-n, --service <name>", "only this service (repeatable)", collect, [] as string[])
      .option("--tag <tag>", "this tag on both sides instead of each stage's tag")
      .option("--dry-run", "print the commands, run nothing")
      .option("--json", JSON_HELP),
  );
}

/** `logs [stage]` and its options. */
export function logsCommand() {
  return withGlobals(
    new Command("logs")
      .description("show the logs of the stage's services")
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .option("-n, --service <name>", "only this service (repeatable)", collect, [] as string[])
      .option("-f, --follow", "follow the output")
      .option("--tail <n>", "lines from the end of each log", DEFAULTS.tail)
      .option(
        "--host <name>",
        "a stage with several hosts (hosts:): the host",
        collect,
        [] as string[],
      ),
  );
}

/** `exec|run [stage] -n svc [--index N] [--] cmd…` (SPEC §11). */
export function interactiveCommand(mode: "exec" | "run") {
  const cmd = withGlobals(
    new Command(mode)
      .description(
        mode === "exec"
          ? "run a command in a running container of a service (exit code passed through)"
          : "run a one-off container of a service's image and config, removed afterwards",
      )
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .argument("[command...]", "the command (after --)")
      .option("-n, --service <name>", "the service", collect, [] as string[])
      .option(
        "--host <name>",
        "a stage with several hosts (hosts:): the host",
        collect,
        [] as string[],
      ),
  );
  return mode === "exec"
    ? cmd.option(
      "--index <n>",
      "which running container (1-based)",
      count("the container's number"),
    )
    : cmd;
}

/** `doctor [stage]`: is this machine, and each stage's host, ready for fleet? */
export function doctorCommand() {
  return withGlobals(
    new Command("doctor")
      .description("check this machine and the stages' hosts: docker, plugins, engines, registries")
      .argument("[stage]", "only this stage (or FLEET_STAGE; default: every stage)")
      .option("--json", "one JSON document on stdout: { checks: [{ name, ok, detail, fix }], ok }"),
  );
}

/**
 * Commander's own usage errors (unknown option, missing argument) exit 2, like ours; with
 * --json they print the failure document too (the shape of lib/report/json.ts errorJson).
 */
export function usageExits<C extends AnyCommand>(cmd: C): C {
  cmd.exitOverride((e) => {
    const done = e.code === "commander.helpDisplayed" || e.code === "commander.version" ||
      e.code === "commander.help";
    if (!done && Deno.args.includes("--json")) {
      const message = e.message.replace(/^error: /, "");
      const error = { message, hint: null, exitCode: 2, kind: "usage", problems: [] };
      console.log(JSON.stringify({ command: cmd.name(), result: "failed", error }, null, 2));
    }
    throw new CliExit(done ? 0 : 2);
  });
  return cmd;
}
