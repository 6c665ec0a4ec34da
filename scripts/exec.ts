/**
 * `fleet exec <stage> -n svc [--index N] [--] cmd…`: a command in a running container of the
 * service; `fleet run <stage> -n svc [--] cmd…`: a one-off container of the service's image and
 * configuration, removed afterwards. Stdin, stdout and the exit code are the command's own;
 * a terminal is allocated when stdin is one. Secrets reach the container through the
 * environment, never argv. The model goes to Compose in a private temporary file (it holds
 * `${VAR}` references, no values), removed when the command ends. On a Swarm stage, exec enters
 * a task's container on the manager, and run starts the service's current image on the manager,
 * on the stack's network.
 */
import { join } from "node:path";
import type { Deps } from "../lib/core/deps.ts";
import { UsageError } from "../lib/core/errors.ts";
import { pickServices } from "../lib/config/services.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { oneHost } from "../lib/release/host_stages.ts";
import { withSharedSsh } from "../lib/docker/ssh_mux.ts";
import type { Engine, EngineContext } from "../lib/engine/engine.ts";
import { engineFor } from "../lib/engine/engines.ts";

export interface ExecOptions {
  readonly dir?: string;
  readonly service?: string[];
  readonly index?: number;
  /** A stage with several hosts (hosts:): the host to run on. */
  readonly host?: string[];
}

/** Run `command` in the service (`mode` exec or run); resolves to the command's exit code. */
export async function interactive(
  mode: "exec" | "run",
  stageName: string,
  command: readonly string[],
  opts: ExecOptions,
  deps: Deps,
): Promise<number> {
  const stage = oneHost(loadStage(findRoot(deps.cwd, opts.dir), stageName), opts.host, mode);
  if ((opts.service ?? []).length !== 1) {
    throw new UsageError(`${mode} needs one service: -n <service>`, {
      hint: `services: ${stage.services.map((s) => s.name).join(", ")}`,
    });
  }
  const [svc] = pickServices(stage, opts.service!);
  if (command.length === 0) {
    throw new UsageError(`${mode} needs a command`, {
      hint: `fleet ${mode} ${stage.name} -n ${svc.name} -- sh`,
    });
  }
  const engine = engineFor(stage);
  const base = engine.context(stage, deps.env);
  const dir = await Deno.makeTempDir({ prefix: "fleet-model-" });
  try {
    const modelFile = join(dir, "compose.yaml");
    await Deno.writeTextFile(modelFile, base.model, { mode: 0o600 });
    return await withSharedSsh(deps, base, async (ctx) => {
      const which = mode === "exec"
        ? await replica(deps, engine, ctx, svc.name, opts.index)
        : undefined;
      const image = mode === "run" && !engine.keepsImages
        ? (await engine.running(deps, ctx, [svc.name]))[svc.name]?.id
        : undefined;
      const step = engine.interactiveStep(ctx, {
        mode,
        service: svc.name,
        command,
        ...(which ? { index: which.index, container: which.container } : {}),
        ...(image ? { image } : {}),
        tty: deps.ui.interactive,
        modelFile,
      });
      return (await deps.runner.run(step, { check: false, inherit: true })).code;
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The replica to exec in (says which on stderr); none running is an error. */
async function replica(
  deps: Deps,
  engine: Engine,
  ctx: EngineContext,
  service: string,
  index = 1,
): Promise<{ index: number; container: string }> {
  const mine = await engine.containers(deps, ctx, service);
  if (mine.length === 0) {
    throw new UsageError(`no running container of ${service} on ${ctx.target.label}`, {
      hint: engine.keepsImages
        ? "deploy it first, or use fleet run for a one-off container"
        : "exec enters tasks on the Swarm manager only: fleet ps shows each task's node " +
          "(DOCKER_HOST=<that node> docker exec …), or use fleet run for a one-off container",
    });
  }
  if (index < 1 || index > mine.length) {
    throw new UsageError(`--index ${index}: ${service} has ${mine.length} running container(s)`);
  }
  deps.ui.info(`exec in ${mine[index - 1]} (${index} of ${mine.length})`);
  return { index, container: mine[index - 1] };
}
