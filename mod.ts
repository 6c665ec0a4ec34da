#!/usr/bin/env -S deno run -A
/**
 * fleet — build a project's Docker images per stage and deploy them to the stage's host.
 *
 *   fleet stages | config <stage> [--compose] | build <stage> | deploy <stage> | ps | logs | down
 *   fleet history <stage> | rollback <stage> | unlock <stage> | doctor [stage]
 *   fleet promote <from> <to>
 *   fleet init [--from compose.yaml [--copy]] | schema | completions bash|zsh|fish
 *
 * The router: defines commands, imports each command's code lazily (so --help stays fast and
 * `deno compile` still bundles it), and turns errors into exit codes (0, 1, 2, 130).
 *
 * Also the library (importing it runs nothing; the router runs only as the main module):
 *
 *   import { build, deploy, ps } from "…/mod.ts";
 *   const [web] = await build("dev", { push: true });
 *   const release = await deploy("dev", { yes: true });
 *
 * Each function returns the result `--json` renders and throws a FleetError (exitCode, hint);
 * none exits or prompts. See README "Use it as a library".
 */
import { Argument, Command } from "@commander-js/extra-typings";
import {
  buildCommand,
  collect,
  deployCommand,
  doctorCommand,
  HOST_HELP,
  interactiveCommand,
  JSON_HELP,
  logsCommand,
  parseAndLeave,
  PROFILE_HELP,
  promoteCommand,
  rollbackCommand,
  runEdge,
  stageArg,
  usageExits,
  withGlobals,
} from "./lib/cli/commands.ts";
import type { CommandName, CommandResults, EdgeOptions } from "./lib/cli/output.ts";
import type { Deps } from "./lib/core/deps.ts";
import { asFleetError, UsageError, withResult } from "./lib/core/errors.ts";
import { VERSION } from "./lib/core/version.ts";
import type { Built } from "./lib/images/build_run.ts";
import type { PromoteResult } from "./lib/images/promotion.ts";
import type { DownResult, HistoryResult, PsResult } from "./lib/release/results.ts";
import type { ReleaseResult } from "./lib/release/types.ts";
import type { ConfigResult, StageSummary } from "./lib/report/stage_text.ts";
import type { BuildCliOptions } from "./scripts/build.ts";
import type { DeployOptions as DeployCliOptions } from "./scripts/deploy.ts";
import type { PromoteCliOptions } from "./scripts/promote.ts";

// ─── The library: `import { build, deploy } from "…/mod.ts"` ──────────────────────────────────
// Each function loads its stage, runs like its command and returns the result `--json` renders
// (docs/json.md); it throws a FleetError (exitCode, hint), never exits and never prompts.

export {
  CommandError,
  ConfigError,
  FleetError,
  InterruptedError,
  SetupError,
  UsageError,
} from "./lib/core/errors.ts";
export type { Built } from "./lib/images/build_run.ts";
export type { Promoted, PromoteResult } from "./lib/images/promotion.ts";
export type { Stage } from "./lib/config/stage.ts";
export type { Deps } from "./lib/core/deps.ts";
export type { Release } from "./lib/release/history.ts";
export type { DownResult, HistoryResult, PsResult, UnlockResult } from "./lib/release/results.ts";
export type { ReleaseResult, ServiceOutcome } from "./lib/release/types.ts";
export type { ConfigResult, StageSummary } from "./lib/report/stage_text.ts";

/** What every library call takes besides its own options. */
export interface CallOptions {
  /** The project root (default: the nearest directory with stages/, from the current one). */
  readonly dir?: string;
  /** Aborts the call as Ctrl-C aborts the command: an InterruptedError (exit 130), lock freed. */
  readonly signal?: AbortSignal;
  /** No progress on stderr (warnings still show). */
  readonly quiet?: boolean;
  /** The side effects (runner, ui, env, cwd, clock): real ones by default; tests pass fakes. */
  readonly deps?: Deps;
}

/** The options of calls that change a stage: `yes: true`, or a `confirm` that answers. */
export interface ConfirmOptions {
  /** Go ahead without asking (the CLI's --yes). */
  readonly yes?: boolean;
  /** Asked where the CLI would ask (the stage's `confirm:`); true goes ahead. */
  readonly confirm?: (question: string) => boolean | Promise<boolean>;
}

/** `fleet build`'s options: services (`-n`), `push`, `tag` (one or several), `registry`, … */
export type BuildOptions = Omit<BuildCliOptions, "dir"> & CallOptions;
/** `fleet deploy`'s options: `service`, `pull`, `dryRun`, `timeout`, `changedOnly`, `tag`, … */
export type DeployOptions = Omit<DeployCliOptions, "dir" | "yes"> & ConfirmOptions & CallOptions;
/** `fleet rollback`'s options: `to` (a release id from `history`), `service`, `dryRun`, … */
export type RollbackOptions = DeployOptions & { readonly to?: string };
/** `fleet promote`'s options: `service`, `tag` (on both sides), `dryRun`. */
export type PromoteOptions = Omit<PromoteCliOptions, "dir"> & CallOptions;
/** `fleet down`'s options. */
export type DownOptions = ConfirmOptions & CallOptions;

/**
 * Every stage of the project, loaded. Throws a ConfigError (exit 2) naming each broken stage
 * file; the list, good stages included, is on the error's `result`.
 * @example (await stages()).map((s) => s.name) // ["dev", "live", "local"]
 */
export function stages(options: CallOptions = {}): Promise<StageSummary[]> {
  return call(options, async (deps) => {
    const { stages, stageErrors } = await import("./scripts/inspect.ts");
    const list = stages(options, deps.cwd);
    const bad = stageErrors(list);
    if (bad) throw withResult(bad, list);
    return list;
  });
}

/**
 * A stage resolved (`_base.yaml` merged, defaults filled) and the model its engine deploys.
 * @example (await config("dev")).stage.registry // "ghcr.io/example-org"
 */
export function config(stage: string, options: CallOptions = {}): Promise<ConfigResult> {
  return call(options, async (deps) => {
    const { config } = await import("./scripts/inspect.ts");
    return await config(stage, options, deps.cwd, deps);
  });
}

/**
 * Build a stage's images (and push them with `push: true`); one `Built` per service.
 * @example const [web] = await build("dev", { push: true, tag: ["latest", "sha-1a2b3c"] })
 */
export function build(stage: string, options: BuildOptions = {}): Promise<Built[]> {
  return call(options, async (deps) => {
    const { build } = await import("./scripts/build.ts");
    return await build(stage, options, deps);
  });
}

/**
 * Deploy a stage: pull, replace, wait until healthy, record the release; rolled back when it
 * fails. Needs `yes: true` or a `confirm` callback (else a UsageError, exit 2, nothing run).
 * @example const r = await deploy("dev", { yes: true }); r.release // "r20260102T030405Z-1a2b"
 */
export function deploy(stage: string, options: DeployOptions = {}): Promise<ReleaseResult> {
  return call(options, async (deps) => {
    refuseUnasked("deploy", stage, options);
    const { deploy } = await import("./scripts/deploy.ts");
    return await deploy(stage, { ...options, yes: options.yes ?? false }, deps);
  });
}

/**
 * Go back to the previous successful release (or `to`), through the same flow as `deploy`.
 * @example await rollback("live", { yes: true, to: "r20260102T030405Z-1a2b" })
 */
export function rollback(stage: string, options: RollbackOptions = {}): Promise<ReleaseResult> {
  return call(options, async (deps) => {
    refuseUnasked("rollback", stage, options);
    const { rollback } = await import("./scripts/deploy.ts");
    return await rollback(stage, { ...options, yes: options.yes ?? false }, deps);
  });
}

/**
 * Point `to`'s image references at the very manifests of `from`'s, by digest (no rebuild).
 * @example await promote("dev", "live")
 */
export function promote(
  from: string,
  to: string,
  options: PromoteOptions = {},
): Promise<PromoteResult> {
  return call(options, async (deps) => {
    const { promote } = await import("./scripts/promote.ts");
    return await promote(from, to, options, deps);
  });
}

/**
 * The stage's containers (a Swarm stage: its services and tasks).
 * @example (await ps("dev")).containers.map((c) => `${c.service} ${c.state}`)
 */
export function ps(stage: string, options: CallOptions = {}): Promise<PsResult> {
  return call(options, async (deps) => (await import("./scripts/ops.ts")).ps(stage, options, deps));
}

/**
 * The releases recorded on the stage's host, newest first.
 * @example (await history("live")).releases[0]?.id
 */
export function history(stage: string, options: CallOptions = {}): Promise<HistoryResult> {
  return call(
    options,
    async (deps) => (await import("./scripts/ops.ts")).history(stage, options, deps),
  );
}

/**
 * Stop and remove the stage's containers (a Swarm stage: its stack); volumes are kept.
 * Needs `yes: true` or a `confirm` callback, as `deploy`.
 * @example await down("preview-fix-login", { yes: true })
 */
export function down(stage: string, options: DownOptions = {}): Promise<DownResult> {
  return call(options, async (deps) => {
    refuseUnasked("take down", stage, options);
    return await (await import("./scripts/ops.ts")).down(stage, options, deps);
  });
}

/** Run a library call: its deps (real, quiet and never prompting, unless given), FleetErrors out. */
async function call<T>(
  o: CallOptions & ConfirmOptions,
  fn: (deps: Deps) => Promise<T>,
): Promise<T> {
  try {
    const real = await import("./lib/docker/real_deps.ts");
    const given = o.deps;
    const deps = given === undefined ? real.libraryDeps(o) : {
      ...given,
      ...(o.signal ? { signal: o.signal } : {}),
      ui: real.libraryUi(given.ui, o),
    };
    return await fn(deps);
  } catch (err) {
    throw asFleetError(err, o.signal);
  }
}

/** A change without `yes` or `confirm` would need a prompt, which a library call never shows. */
function refuseUnasked(kind: string, stage: string, o: ConfirmOptions & { dryRun?: boolean }) {
  if (o.yes || o.dryRun || o.confirm) return;
  throw new UsageError(
    `refusing to ${kind} ${stage} without confirmation: nothing asks in a library call`,
    {
      hint: "pass yes: true, or a confirm callback that answers the question",
    },
  );
}

// ─── The command line (run only as the main module) ─────────────────────────────────────────

// read when a command runs, never on import (a library user may grant no env access)
let envRead: Record<string, string> | undefined;
const env = () => (envRead ??= Deno.env.toObject());
let code = 0;
const edge = async (fn: (signal: AbortSignal) => Promise<unknown>) => {
  code = await runEdge(fn);
};
/** Run a command whose result the edge renders: text, --json, GitHub Actions (lib/cli/output.ts). */
const render = async <K extends CommandName>(
  name: K,
  o: EdgeOptions,
  body: (deps: Deps) => Promise<CommandResults[K]>,
) => {
  const { runCommand } = await import("./lib/cli/output.ts");
  code = await runCommand(name, o, body);
};

/** The real deps of a command: docker's failures diagnosed, the local engine asked directly. */
async function realDeps(signal: AbortSignal) {
  return (await import("./lib/docker/real_deps.ts")).realDeps(signal);
}

const program = usageExits(
  withGlobals(new Command("fleet"))
    .description("Build Docker images per stage and deploy them to each stage's Docker host.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .enablePositionalOptions(false),
);

program.addCommand(
  usageExits(withGlobals(new Command("stages")))
    .description("list the stages with their host, registry and platform")
    .option("--json", JSON_HELP)
    .action((opts, cmd) => {
      const o = { ...cmd.optsWithGlobals(), ...opts };
      return render("stages", o, async (deps) => {
        const { stages, stageErrors } = await import("./scripts/inspect.ts");
        const { withResult } = await import("./lib/core/errors.ts");
        const list = stages(o, deps.cwd);
        const bad = stageErrors(list);
        if (bad) throw withResult(bad, list);
        return list;
      });
    }),
);

program.addCommand(
  usageExits(withGlobals(new Command("config")))
    .description("print the resolved stage (or the Compose model with --compose)")
    .argument("[stage]", "stage name (or FLEET_STAGE)")
    .option("--compose", "print the Compose model fleet deploys")
    .option("--profile <name>", PROFILE_HELP, collect, [] as string[])
    .option("--json", JSON_HELP)
    .action((stage, opts, cmd) => {
      const o = { ...cmd.optsWithGlobals(), ...opts, stage: stage ?? env().FLEET_STAGE };
      return render("config", o, async (deps) => {
        const { config } = await import("./scripts/inspect.ts");
        return await config(stageArg(stage, env()), o, deps.cwd, deps);
      });
    }),
);

program.addCommand(
  usageExits(buildCommand()).action((stage, opts, cmd) => {
    const o = { ...cmd.optsWithGlobals(), ...opts, stage: stage ?? env().FLEET_STAGE };
    return render("build", o, async (deps) => {
      const { build } = await import("./scripts/build.ts");
      return await build(stageArg(stage, env()), o, deps);
    });
  }),
);

program.addCommand(
  usageExits(deployCommand()).action((stage, opts, cmd) => {
    const o = { ...cmd.optsWithGlobals(), ...opts, stage: stage ?? env().FLEET_STAGE };
    return render("deploy", o, async (deps) => {
      const { deploy } = await import("./scripts/deploy.ts");
      return await deploy(stageArg(stage, env()), o, deps);
    });
  }),
);

program.addCommand(
  usageExits(rollbackCommand()).action((stage, opts, cmd) => {
    const o = { ...cmd.optsWithGlobals(), ...opts, stage: stage ?? env().FLEET_STAGE };
    return render("rollback", o, async (deps) => {
      const { rollback } = await import("./scripts/deploy.ts");
      return await rollback(stageArg(stage, env()), o, deps);
    });
  }),
);

program.addCommand(
  usageExits(promoteCommand()).action((from, to, opts, cmd) => {
    const o = { ...cmd.optsWithGlobals(), ...opts, stage: `${from} → ${to}` };
    return render("promote", o, async (deps) => {
      const { promote } = await import("./scripts/promote.ts");
      return await promote(from, to, o, deps);
    });
  }),
);

for (
  const [name, description] of [
    ["ps", "list the stage's containers"],
    ["down", "stop and remove the stage's containers (volumes are kept)"],
    ["history", "list the stage's releases, newest first"],
    ["unlock", "clear a deploy lock left by a process that was killed"],
  ] as const
) {
  const cmd = usageExits(withGlobals(new Command(name)))
    .description(description)
    .argument("[stage]", "stage name (or FLEET_STAGE)")
    .option("-y, --yes", "do not ask for confirmation (down, unlock)")
    .option("--profile <name>", `${PROFILE_HELP} (ps, down)`, collect, [] as string[])
    .option("--host <name>", HOST_HELP, collect, [] as string[])
    .option("--json", JSON_HELP)
    .action((stage, opts, cmd) => {
      const o = { ...cmd.optsWithGlobals(), ...opts, stage: stage ?? env().FLEET_STAGE };
      return render(name, o, async (deps) => {
        const ops = await import("./scripts/ops.ts");
        return await ops[name](stageArg(stage, env()), o, deps);
      });
    });
  if (name === "unlock") {
    cmd.option("--force", "remove it even while its holder still runs on this machine");
  }
  program.addCommand(cmd);
}

program.addCommand(
  usageExits(doctorCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { doctor } = await import("./scripts/doctor.ts");
      await doctor(
        stage ?? env().FLEET_STAGE,
        { ...cmd.optsWithGlobals(), ...opts },
        await realDeps(signal),
      );
    })
  ),
);

program.addCommand(
  usageExits(logsCommand())
    .action((stage, opts, cmd) =>
      edge(async (signal) => {
        const { logs } = await import("./scripts/ops.ts");
        await logs(
          stageArg(stage, env()),
          { ...cmd.optsWithGlobals(), ...opts },
          await realDeps(signal),
        );
      })
    ),
);

for (const mode of ["exec", "run"] as const) {
  program.addCommand(
    usageExits(interactiveCommand(mode)).action((stage, command, opts, cmd) =>
      edge(async (signal) => {
        const { interactive } = await import("./scripts/exec.ts");
        const o = { ...cmd.optsWithGlobals(), ...opts };
        return await interactive(mode, stageArg(stage, env()), command, o, await realDeps(signal));
      })
    ),
  );
}

program.addCommand(
  usageExits(withGlobals(new Command("init")))
    .description("write stages/ for this project, from its Compose file with --from")
    .option("--from <file>", "the Compose file whose services the stages deploy (compose.yaml)")
    .option("--copy", "copy the services into stages/_base.yaml instead of naming the file")
    .option("--project <name>", "project name (default: the Compose name, else the directory's)")
    .action((opts, cmd) =>
      edge(async () => {
        const { initCommand } = await import("./scripts/init.ts");
        initCommand({ ...cmd.optsWithGlobals(), ...opts });
      })
    ),
);

program.addCommand(
  usageExits(new Command("schema"))
    .description("print the JSON Schema of stage files (for editors)")
    .action(() =>
      edge(async () => {
        const { schemaCommand } = await import("./scripts/init.ts");
        schemaCommand();
      })
    ),
);

program.addCommand(
  usageExits(new Command("completions"))
    .description("print the shell completion script: source <(fleet completions bash)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action((shell) =>
      edge(async () => {
        const { completionsCommand } = await import("./scripts/completions.ts");
        completionsCommand(shell);
      })
    ),
);

if (import.meta.main && Deno.args[0] === "__complete") {
  // the completion scripts' callback: raw words, never parsed as fleet's own options
  const { completeCommand } = await import("./scripts/completions.ts");
  completeCommand(program, Deno.args.slice(1));
  Deno.exit(0);
}

if (import.meta.main) {
  await parseAndLeave(() => program.parseAsync(Deno.args, { from: "user" }), () => code);
}
