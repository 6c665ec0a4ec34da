/**
 * The release task of a stage with several hosts (SPEC §11, §15): once per release, on the first
 * host by name that runs its service, with the new image, after the pull on every host and before
 * any host changes — through that host's one-host flow, stopped after the task. A failed task
 * stops the release there: nothing was stopped on any host, the failure recorded on that host.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, InterruptedError, UsageError, withResult } from "../core/errors.ts";
import { showStep } from "../core/run.ts";
import type { Stage } from "../config/stage.ts";
import type { Engine } from "../engine/engine.ts";
import { runRelease, taskOf } from "./flow.ts";
import type { HostPlan } from "./host_plans.ts";
import { combined, outcomeOf } from "./host_results.ts";
import type { FlowOptions, HostOutcome, ReleaseResult } from "./types.ts";

/**
 * The host that runs the stage's release task (its plan, the task on its stage), if there is a
 * task: the first host by name that runs the task's service. A deploy that covers none of those
 * hosts is a UsageError (nothing has run).
 * @example taskHost(stage, plans)?.host.name // "web1"
 */
export function taskHost(stage: Stage, plans: readonly HostPlan[]): HostPlan | undefined {
  const t = stage.task;
  if (!t) return undefined;
  const p = plans.find((p) => p.ctx.stage.services.some((s) => s.name === t.service));
  if (!p) {
    throw new UsageError(
      `tasks.pre_deploy runs with service ${t.service}, and this deploy covers no host that ` +
        `runs it (hosts: ${plans.map((p) => p.host.name).join(", ")})`,
      { hint: `deploy ${t.service} too: -n ${t.service}` },
    );
  }
  return { ...p, ctx: { ...p.ctx, stage: { ...p.ctx.stage, task: t } } };
}

/** A dry run's lines for the task: on which host, and its command. */
export function taskDryRun(engine: Engine, task: HostPlan, release: string): string[] {
  const step = taskOf(engine, task.ctx, release);
  const where = `# release task, once, on host ${task.host.name} (${task.ctx.target.label}), ` +
    "after the pull on every host and before any host changes";
  return step ? [where, showStep(step)] : [];
}

/** Run the task on its host; a failure throws with the release's result (no host changed). */
export async function runHostTask(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  plans: readonly HostPlan[],
  task: HostPlan,
  o: FlowOptions & { release: string },
): Promise<void> {
  const name = task.host.name;
  deps.ui.step(`release task on host ${name} (${task.ctx.target.label}), before any host changes`);
  try {
    await runRelease(deps, engine, task.ctx, task.sel, { ...o, taskOnly: true });
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    const r = (e as { result?: ReleaseResult }).result;
    const outcomes = new Map<string, HostOutcome>(plans.map((p) => [
      p.host.name,
      p.host.name === name
        ? outcomeOf(p, r, e)
        : { ...outcomeOf(p, undefined), result: "not-started" },
    ]));
    const msg = `${(e as Error).message} (host ${name}); no host was changed`;
    throw withResult(
      new CommandError(msg, [], e instanceof CommandError ? e.stderrTail : "", {
        hint: (e as CommandError).hint,
      }),
      { ...combined(stage, plans, outcomes, r ? [r] : [], o.release, "failed"), error: msg },
    );
  }
}
