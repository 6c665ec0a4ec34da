/**
 * Day-to-day views and removal of a Swarm stack, on its manager: `ps` (services with their
 * running/desired replicas, image and update state, then their tasks by node), `logs`
 * (`docker service logs`, one per service) and `down` (`docker stack rm`, then wait until its
 * services and networks are gone; volumes stay).
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import {
  downNodes,
  serviceTasks,
  STACK_LABEL,
  stackServiceNames,
  stackServices,
  type SwarmService,
  type SwarmTask,
} from "../docker/swarm_state.ts";
import { dockerStep } from "../docker/target.ts";
import type { EngineContext, LogsOptions, PsView } from "./engine.ts";

/** Seconds `down` waits for the stack to be gone. */
export const DOWN_WAIT = 120;

/**
 * What `fleet ps` shows of a stack: each service with its running/desired replicas, image and
 * update state; the tasks that run or should, by node. A task on a node that is `down` is not
 * counted as running: the manager only remembers its last state (`running (node down)`).
 */
export function psView(
  stack: string,
  services: SwarmService[],
  tasks: SwarmTask[],
  down: readonly string[] = [],
): PsView {
  const short = (n: string) => n.slice(stack.length + 1);
  const live = tasks.filter((t) => t.desired === "running" || t.state === "running")
    .map((t) => down.includes(t.node) ? { ...t, state: `${t.state} (node down)` } : t);
  return {
    containers: [],
    services: services.map((s) => ({
      name: short(s.name),
      running: live.filter((t) => t.service === s.name && t.state === "running").length,
      replicas: s.replicas,
      image: s.image,
      update: s.update,
    })),
    tasks: [...live]
      .sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name))
      .map((t) => ({
        name: short(t.name),
        service: short(t.service),
        node: t.node,
        state: t.state,
        error: t.error,
      })),
  };
}

/** `fleet ps` of a Swarm stage. */
export async function stackPs(deps: Deps, ctx: EngineContext): Promise<PsView> {
  const names = await stackServiceNames(deps, ctx.target, ctx.project);
  if (names.length === 0) return { containers: [], services: [], tasks: [] };
  const [{ services }, { tasks }, down] = await Promise.all([
    stackServices(deps, ctx.target, names),
    serviceTasks(deps, ctx.target, names),
    downNodes(deps, ctx.target),
  ]);
  return psView(ctx.project, services, tasks, down);
}

/** `docker service logs` of each service (all of the stage's when none is named). */
export function stackLogsSteps(
  ctx: EngineContext,
  services: readonly string[],
  o: LogsOptions,
): Step[] {
  const names = services.length ? services : ctx.stage.services.map((s) => s.name);
  return names.map((s) =>
    dockerStep(ctx.target, `logs ${s}`, [
      "service",
      "logs",
      "--no-trunc",
      "--tail",
      o.tail,
      ...(o.follow ? ["--follow"] : []),
      `${ctx.project}_${s}`,
    ], "logs")
  );
}

/** `docker stack rm`, then wait until the stack's services and networks are gone (volumes stay). */
export async function stackDown(
  deps: Deps,
  ctx: EngineContext,
  waitSec = DOWN_WAIT,
): Promise<void> {
  await runStep(
    deps,
    dockerStep(ctx.target, `stack rm ${ctx.project}`, ["stack", "rm", ctx.project], "down"),
  );
  const deadline = deps.now().getTime() + waitSec * 1000;
  for (;;) {
    const [services, networks] = await Promise.all([
      stackServiceNames(deps, ctx.target, ctx.project),
      stackNetworks(deps, ctx),
    ]);
    if (services.length === 0 && networks.length === 0) return;
    if (deps.now().getTime() >= deadline) {
      throw new CommandError(
        `stack ${ctx.project} is not gone after ${waitSec}s: ${
          [...services, ...networks].join(", ")
        }`,
        [],
        "",
        { hint: `look at fleet ps ${ctx.stage.name}; run fleet down ${ctx.stage.name} again` },
      );
    }
    // a network goes once the tasks that used it are gone: ask again
    if (services.length === 0) {
      await deps.runner.run(
        dockerStep(ctx.target, "remove networks", ["network", "rm", ...networks]),
        {
          check: false,
        },
      );
    }
    await deps.sleep(1000, deps.signal);
  }
}

async function stackNetworks(deps: Deps, ctx: EngineContext): Promise<string[]> {
  const r = await deps.runner.run(
    dockerStep(ctx.target, "list networks", [
      "network",
      "ls",
      "--filter",
      `label=${STACK_LABEL}=${ctx.project}`,
      "--format",
      "{{.Name}}",
    ]),
    { uninterruptible: true },
  );
  return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}
