/**
 * Day-to-day views and removal of a Compose project: `ps` (its containers, all states), `logs`,
 * `down` (volumes kept), and the running containers `exec` can enter.
 */
import type { Deps } from "../core/deps.ts";
import type { Step } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import { parseComposePs } from "../docker/compose_ps.ts";
import { listContainers } from "../docker/queries.ts";
import { composeStep } from "./compose_step.ts";
import type { EngineContext, LogsOptions, PsView } from "./engine.ts";

/** `fleet ps`: the project's containers, as `docker compose ps --format json` reports them. */
export async function composePs(deps: Deps, ctx: EngineContext): Promise<PsView> {
  const r = await deps.runner.run(composeStep(ctx, "ps", ["ps", "--all", "--format", "json"]));
  return { containers: parseComposePs(r.stdout) };
}

/** `fleet logs`: one `docker compose logs` for the services (all when none is named). */
export function composeLogsSteps(
  ctx: EngineContext,
  services: readonly string[],
  o: LogsOptions,
): Step[] {
  return [
    composeStep(ctx, "logs", [
      "logs",
      "--no-color",
      "--tail",
      o.tail,
      ...(o.follow ? ["--follow"] : []),
      ...services,
    ]),
  ];
}

/** `fleet down`: `docker compose down --remove-orphans` (named volumes are kept). */
export function composeDown(deps: Deps, ctx: EngineContext): Promise<void> {
  return runStep(deps, composeStep(ctx, "down", ["down", "--remove-orphans"]));
}

/** The running containers of a service, sorted by name (for exec). */
export async function composeContainers(
  deps: Deps,
  ctx: EngineContext,
  service: string,
): Promise<string[]> {
  return (await listContainers(deps, ctx.target, ctx.project))
    .filter((c) => c.service === service && c.state === "running")
    .map((c) => c.name).sort((a, b) => a.localeCompare(b));
}
