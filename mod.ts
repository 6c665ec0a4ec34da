#!/usr/bin/env -S deno run -A
/**
 * fleet — build a project's Docker images per stage and deploy them to the stage's host.
 *
 *   fleet stages | config <stage> [--compose] | build <stage> | deploy <stage> | ps | logs | down
 *   fleet history <stage> | rollback <stage> | unlock <stage>
 *
 * The router: defines commands, imports each command's code lazily (so --help stays fast and
 * `deno compile` still bundles it), and turns errors into exit codes (0, 1, 2, 130).
 */
import { Command } from "@commander-js/extra-typings";
import {
  buildCommand,
  deployCommand,
  logsCommand,
  rollbackCommand,
  runEdge,
  stageArg,
  usageExits,
  withGlobals,
} from "./lib/cli/commands.ts";
import { VERSION } from "./lib/core/version.ts";

const env = Deno.env.toObject();
let code = 0;
const edge = async (fn: (signal: AbortSignal) => Promise<unknown>) => {
  code = await runEdge(fn);
};

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
    .action((opts, cmd) =>
      edge(async () => {
        const { stagesCommand } = await import("./scripts/inspect.ts");
        await stagesCommand({ ...cmd.optsWithGlobals(), ...opts });
      })
    ),
);

program.addCommand(
  usageExits(withGlobals(new Command("config")))
    .description("print the resolved stage (or the Compose model with --compose)")
    .argument("[stage]", "stage name (or FLEET_STAGE)")
    .option("--compose", "print the Compose model fleet deploys")
    .action((stage, opts, cmd) =>
      edge(async () => {
        const { configCommand } = await import("./scripts/inspect.ts");
        await configCommand(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts });
      })
    ),
);

program.addCommand(
  usageExits(buildCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { build } = await import("./scripts/build.ts");
      const { defaultDeps } = await import("./lib/core/deps.ts");
      await build(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts }, defaultDeps(signal));
    })
  ),
);

program.addCommand(
  usageExits(deployCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { deploy } = await import("./scripts/deploy.ts");
      const { defaultDeps } = await import("./lib/core/deps.ts");
      await deploy(
        stageArg(stage, env),
        { ...cmd.optsWithGlobals(), ...opts },
        defaultDeps(signal),
      );
    })
  ),
);

program.addCommand(
  usageExits(rollbackCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { rollback } = await import("./scripts/deploy.ts");
      const { defaultDeps } = await import("./lib/core/deps.ts");
      await rollback(
        stageArg(stage, env),
        { ...cmd.optsWithGlobals(), ...opts },
        defaultDeps(signal),
      );
    })
  ),
);

for (
  const [name, description] of [
    ["ps", "list the stage's containers"],
    ["down", "stop and remove the stage's containers (volumes are kept)"],
    ["history", "list the stage's releases, newest first"],
    ["unlock", "clear a deploy lock left by a process that was killed"],
  ] as const
) {
  program.addCommand(
    usageExits(withGlobals(new Command(name)))
      .description(description)
      .argument("[stage]", "stage name (or FLEET_STAGE)")
      .option("-y, --yes", "do not ask for confirmation (down, unlock)")
      .action((stage, opts, cmd) =>
        edge(async (signal) => {
          const ops = await import("./scripts/ops.ts");
          const { defaultDeps } = await import("./lib/core/deps.ts");
          await ops[name](
            stageArg(stage, env),
            { ...cmd.optsWithGlobals(), ...opts },
            defaultDeps(signal),
          );
        })
      ),
  );
}

program.addCommand(
  usageExits(logsCommand())
    .action((stage, opts, cmd) =>
      edge(async (signal) => {
        const { logs } = await import("./scripts/ops.ts");
        const { defaultDeps } = await import("./lib/core/deps.ts");
        await logs(
          stageArg(stage, env),
          { ...cmd.optsWithGlobals(), ...opts },
          defaultDeps(signal),
        );
      })
    ),
);

if (import.meta.main) {
  await program.parseAsync(Deno.args, { from: "user" });
  Deno.exit(code);
}
