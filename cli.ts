/**
 * The command line: `deno run -A mod.ts <command>` (mod.ts runs this only as the main module).
 * Defines the commands with commander, imports each command's code lazily (so --help stays fast
 * and `deno compile` still bundles it), and turns errors into exit codes (0, 1, 2, 130).
 * The quick commands (`stages`, `config`, `deploy --dry-run`) on a plain command line start
 * without commander (lib/cli/quick.ts): the same action, the same options, ~25 ms sooner.
 */
import type { Command as CommandType } from "@commander-js/extra-typings";
import { parseAndLeave, runEdge, stageArg } from "./lib/cli/edge.ts";
import type { CommandName, CommandResults, EdgeOptions } from "./lib/cli/output.ts";
import { type QuickCall, quickCall } from "./lib/cli/quick.ts";
import type { Deps } from "./lib/core/deps.ts";
import { VERSION } from "./lib/core/version.ts";

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

/** The action of a quick command, whichever read its command line (commander or quickCall). */
function quick({ name, stage, o }: QuickCall): Promise<void> {
  switch (name) {
    case "stages":
      return render("stages", o, async (deps) => {
        const { stages, stageErrors } = await import("./scripts/inspect.ts");
        const { withResult } = await import("./lib/core/errors.ts");
        const list = stages(o, deps.cwd);
        const bad = stageErrors(list);
        if (bad) throw withResult(bad, list);
        return list;
      });
    case "config":
      return render("config", o, async (deps) => {
        const { config } = await import("./scripts/inspect.ts");
        return await config(stageArg(stage, env()), o, deps.cwd, deps);
      });
    case "deploy":
      return render("deploy", o, async (deps) => {
        const { deploy } = await import("./scripts/deploy.ts");
        return await deploy(stageArg(stage, env()), o, deps);
      });
  }
}

/** The real deps of a command: docker's failures diagnosed, the local engine asked directly. */
async function realDeps(signal: AbortSignal) {
  return (await import("./lib/docker/real_deps.ts")).realDeps(signal);
}

/** The commands, defined with commander (loaded here, not for the quick commands). */
async function program(): Promise<CommandType> {
  const { Argument, Command } = await import("@commander-js/extra-typings");
  const {
    buildCommand,
    collect,
    doctorCommand,
    deployCommand,
    HOST_HELP,
    interactiveCommand,
    JSON_HELP,
    logsCommand,
    PROFILE_HELP,
    promoteCommand,
    rollbackCommand,
    usageExits,
    withGlobals,
  } = await import("./lib/cli/commands.ts");
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
        return quick({ name: "stages", stage: undefined, o });
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
        return quick({ name: "config", stage, o });
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
      return quick({ name: "deploy", stage, o });
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
          return await interactive(
            mode,
            stageArg(stage, env()),
            command,
            o,
            await realDeps(signal),
          );
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
  return program;
}

/** Run the command line `argv`, then leave with its exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === "__complete") {
    // the completion scripts' callback: raw words, never parsed as fleet's own options
    const { completeCommand } = await import("./scripts/completions.ts");
    completeCommand(await program(), argv.slice(1));
    Deno.exit(0);
  }
  const fast = env().FLEET_QUICK === "0" ? undefined : quickCall(argv, env());
  const parse = fast
    ? () => quick(fast)
    : async () => await (await program()).parseAsync(argv, { from: "user" });
  await parseAndLeave(parse, () => code);
}
