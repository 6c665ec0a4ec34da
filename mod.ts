#!/usr/bin/env -S deno run -A
/**
 * fleet — build a project's Docker images per stage and deploy them to the stage's host.
 *
 *   fleet stages | config <stage> [--compose] | build <stage> | deploy <stage> | ps | logs | down
 *   fleet history <stage> | rollback <stage> | unlock <stage> | doctor [stage]
 *   fleet init [--from compose.yaml] | schema | completions bash|zsh|fish
 *
 * The router: defines commands, imports each command's code lazily (so --help stays fast and
 * `deno compile` still bundles it), and turns errors into exit codes (0, 1, 2, 130).
 */
import { Argument, Command } from "@commander-js/extra-typings";
import {
  buildCommand,
  deployCommand,
  doctorCommand,
  interactiveCommand,
  logsCommand,
  parseAndLeave,
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

/** The real deps of a command, with docker's failures diagnosed (lib/docker/diagnose.ts). */
async function realDeps(signal: AbortSignal) {
  const [{ defaultDeps }, { diagnose }] = await Promise.all([
    import("./lib/core/deps.ts"),
    import("./lib/docker/diagnose.ts"),
  ]);
  return defaultDeps(signal, { diagnose });
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
    .action((opts, cmd) =>
      edge(async () => {
        const { stages, stageErrors } = await import("./scripts/inspect.ts");
        const { stagesText } = await import("./lib/report/stage_text.ts");
        const list = stages({ ...cmd.optsWithGlobals(), ...opts });
        console.log(stagesText(list));
        const bad = stageErrors(list);
        if (bad) throw bad;
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
        const { config } = await import("./scripts/inspect.ts");
        const { configYaml } = await import("./lib/report/stage_text.ts");
        const r = config(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts });
        const text = opts.compose ? r.model : configYaml(r.stage);
        Deno.stdout.writeSync(new TextEncoder().encode(text));
      })
    ),
);

program.addCommand(
  usageExits(buildCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { build } = await import("./scripts/build.ts");
      const { buildText } = await import("./lib/report/text.ts");
      const deps = await realDeps(signal);
      const built = await build(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts }, deps);
      if (built.length) deps.ui.out(buildText(built));
    })
  ),
);

program.addCommand(
  usageExits(deployCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { deploy } = await import("./scripts/deploy.ts");
      const { releaseText } = await import("./lib/report/text.ts");
      const deps = await realDeps(signal);
      const r = await deploy(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts }, deps);
      const text = releaseText(r);
      if (text) deps.ui.out(text);
    })
  ),
);

program.addCommand(
  usageExits(rollbackCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { rollback } = await import("./scripts/deploy.ts");
      const { releaseText } = await import("./lib/report/text.ts");
      const deps = await realDeps(signal);
      const r = await rollback(stageArg(stage, env), { ...cmd.optsWithGlobals(), ...opts }, deps);
      const text = releaseText(r);
      if (text) deps.ui.out(text);
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
          const text = await import("./lib/report/text.ts");
          const deps = await realDeps(signal);
          const o = { ...cmd.optsWithGlobals(), ...opts };
          const s = stageArg(stage, env);
          if (name === "ps") deps.ui.out((await ops.ps(s, o, deps)).output);
          if (name === "down") deps.ui.out(text.downText(await ops.down(s, o, deps)));
          if (name === "unlock") deps.ui.out(text.unlockText(await ops.unlock(s, o, deps)));
          if (name === "history") {
            const h = await ops.history(s, o, deps);
            deps.ui.out(text.historyText(h.stage, h.host, h.releases, h.keep));
          }
        })
      ),
  );
}

program.addCommand(
  usageExits(doctorCommand()).action((stage, opts, cmd) =>
    edge(async (signal) => {
      const { doctor } = await import("./scripts/doctor.ts");
      await doctor(
        stage ?? env.FLEET_STAGE,
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
          stageArg(stage, env),
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
        return await interactive(mode, stageArg(stage, env), command, o, await realDeps(signal));
      })
    ),
  );
}

program.addCommand(
  usageExits(withGlobals(new Command("init")))
    .description("write stages/ for this project, from its Compose file with --from")
    .option("--from <file>", "a Compose file to take the services from (compose.yaml)")
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
