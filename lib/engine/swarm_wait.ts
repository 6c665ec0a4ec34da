/**
 * fleet's own wait after `docker stack deploy`, the same for every Docker client: it reads each
 * updated service's update state and tasks until the update is completed with every replica
 * running (a task with a healthcheck is `running` only once healthy), or Swarm rolled it back or
 * paused it, or the timeout. `judgeStack` is the pure verdict; `waitForStack` polls through
 * deps.now/deps.sleep.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { type Step, tail } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import {
  serviceTasks,
  stackServices,
  type SwarmService,
  type SwarmTask,
} from "../docker/swarm_state.ts";
import { dockerStep } from "../docker/target.ts";
import { type EngineContext, RolledBackByEngine } from "./engine.ts";

/** The verdict on a stack's services (Swarm names) and their tasks. */
export type StackVerdict =
  | { readonly kind: "ready" }
  | {
    readonly kind: "waiting";
    readonly service: string;
    readonly why: string;
    /** A service Swarm is rolling back. */
    readonly rollingBack?: string;
  }
  | {
    readonly kind: "failed";
    readonly service: string;
    readonly why: string;
    readonly task?: SwarmTask;
    /** Swarm put the previous version back. */
    readonly rolledBack: boolean;
  };

/** Seconds after the deploy during which a changed service with no update state has not started yet. */
export const START_GRACE = 3;
/** Tasks of a new service that fail before one runs: it will not come up by itself. */
export const FAILED_TASKS = 3;
const POLL_MS = 1000;

/**
 * Ready when every expected service's update is completed (or there was none to do) and as many
 * tasks of its current image run as it has replicas; failed when Swarm rolled back or paused the
 * update, or a new service's tasks keep failing; else waiting (with what it waits for).
 * `earlier` holds update messages seen before, by service: once a rollback completes, Swarm's
 * message no longer names the task the update failed on.
 * @example judgeStack([web], tasks, ["app-live_web"], 10) // { kind: "ready" }
 */
export function judgeStack(
  services: readonly SwarmService[],
  tasks: readonly SwarmTask[],
  expected: readonly string[],
  elapsedSec: number,
  earlier: Readonly<Record<string, string>> = {},
): StackVerdict {
  const waiting: { service: string; why: string }[] = [];
  let rollingBack: string | undefined;
  for (const name of expected) {
    const s = services.find((x) => x.name === name);
    if (!s) {
      waiting.push({ service: name, why: "no service yet" });
      continue;
    }
    const mine = tasks.filter((t) => t.service === name);
    const running = mine.filter((t) =>
      t.desired === "running" && t.state === "running" && t.image === s.image
    ).length;
    const count = `${running}/${s.replicas} running`;
    const failed = (why: string, rolledBack = false) => ({
      kind: "failed" as const,
      service: name,
      why,
      task: failingTask(`${s.updateMessage} ${earlier[name] ?? ""}`, mine),
      rolledBack,
    });
    if (s.update === "rollback_completed") return failed(earlier[name] ?? s.updateMessage, true);
    if (s.update === "rollback_paused") {
      return failed(`Swarm's rollback paused: ${s.updateMessage}`);
    }
    if (s.update === "paused") return failed(`the update was paused by Swarm: ${s.updateMessage}`);
    if (s.update === "rollback_started") {
      rollingBack = name;
      waiting.push({ service: name, why: `Swarm is rolling back (${s.updateMessage})` });
    } else if (s.update === "updating") {
      waiting.push({ service: name, why: `updating, ${count}` });
    } else if (s.update === "" && s.changed && elapsedSec < START_GRACE) {
      waiting.push({ service: name, why: "update not started yet" });
    } else if (running < s.replicas) {
      const dead = mine.filter((t) => t.image === s.image && /^(failed|rejected)$/.test(t.state));
      if (s.update === "" && dead.length >= FAILED_TASKS) {
        return failed(`its tasks keep failing (${dead.length} failed, ${count})`);
      }
      waiting.push({ service: name, why: count });
    }
  }
  if (waiting.length === 0) return { kind: "ready" };
  const why = waiting.map((w) => `${w.service}: ${w.why}`).join("; ");
  return {
    kind: "waiting",
    service: waiting[0].service,
    why,
    ...(rollingBack ? { rollingBack } : {}),
  };
}

/** The task an update failed on (named in an update message), else the newest failed one. */
function failingTask(messages: string, tasks: readonly SwarmTask[]): SwarmTask | undefined {
  const id = /task ([a-z0-9]{20,})/.exec(messages)?.[1];
  return tasks.find((t) => t.id === id) ??
    tasks.find((t) => /^(failed|rejected)$/.test(t.state) && t.error !== "") ??
    tasks.find((t) => t.error !== "");
}

/** Run the stack deploy, then wait (unless `timeoutSec` is 0). */
export async function applyStack(
  deps: Deps,
  ctx: EngineContext,
  steps: readonly Step[],
  services: readonly string[],
  timeoutSec: number,
): Promise<void> {
  for (const step of steps) await runStep(deps, step);
  if (timeoutSec > 0) await waitForStack(deps, ctx, services, timeoutSec);
}

/** Poll the services until the verdict is in, saying what it waits for whenever that changes. */
export async function waitForStack(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
  timeoutSec: number,
): Promise<void> {
  const names = services.map((s) => `${ctx.project}_${s}`);
  const start = deps.now().getTime();
  deps.ui.step(`wait until ${services.join(", ")} converged (up to ${timeoutSec}s)`);
  let shown = "";
  const earlier: Record<string, string> = {};
  for (;;) {
    const elapsed = (deps.now().getTime() - start) / 1000;
    const v = await verdict(deps, ctx, names, elapsed, earlier);
    if (v.kind === "ready") return;
    if (v.kind === "failed") throw await explain(deps, ctx, v);
    const why = unprefix(ctx, v.why);
    if (why !== shown) deps.ui.line("wait", shown = why);
    if (elapsed >= timeoutSec) {
      throw await explain(deps, ctx, {
        kind: "failed",
        service: v.rollingBack ?? v.service,
        why: v.rollingBack
          ? `Swarm is still rolling back after ${timeoutSec}s`
          : `not ready after ${timeoutSec}s (${why})`,
        rolledBack: v.rollingBack !== undefined,
      });
    }
    await deps.sleep(POLL_MS, deps.signal);
  }
}

async function verdict(
  deps: Deps,
  ctx: EngineContext,
  names: readonly string[],
  elapsed: number,
  earlier: Record<string, string>,
): Promise<StackVerdict> {
  const [s, t] = await Promise.all([
    stackServices(deps, ctx.target, names),
    serviceTasks(deps, ctx.target, names),
  ]);
  if (s.services.length === 0 && s.result.code !== 0) {
    // the manager did not answer (a leader election, a node going away): ask again
    const why = tail(s.result.stderr, 1) || `exit ${s.result.code}`;
    return { kind: "waiting", service: names[0], why: `the manager did not answer: ${why}` };
  }
  const v = judgeStack(s.services, t.tasks, names, elapsed, earlier);
  for (const svc of s.services) {
    if (/task [a-z0-9]{20,}/.test(svc.updateMessage)) earlier[svc.name] = svc.updateMessage;
  }
  return v;
}

const unprefix = (ctx: EngineContext, text: string) => text.replaceAll(`${ctx.project}_`, "");

/** The error for a failed verdict: the task's error and its last log lines. */
async function explain(
  deps: Deps,
  ctx: EngineContext,
  v: Extract<StackVerdict, { kind: "failed" }>,
): Promise<CommandError> {
  const svc = unprefix(ctx, v.service);
  let task = v.task;
  if (!task) {
    const { tasks } = await serviceTasks(deps, ctx.target, [v.service]);
    task = tasks.find((t) => t.error !== "");
  }
  const logs = await deps.runner.run(
    dockerStep(ctx.target, `logs ${svc}`, [
      "service",
      "logs",
      "--no-trunc",
      "--tail",
      "20",
      task?.id ?? v.service,
    ], "logs"),
    { check: false, uninterruptible: true },
  );
  const detail = [
    ...(task
      ? [
        `task ${task.name} on ${task.node || "?"}: ${task.state}${
          task.error ? `: ${task.error}` : ""
        }`,
      ]
      : []),
    `last log lines of ${svc}:`,
    tail(logs.stdout + logs.stderr, 20) || "(no output)",
  ].join("\n");
  const stage = ctx.stage.name;
  const cause = task?.error ||
    (task
      ? `task ${unprefix(ctx, task.name)} ended (${task.state}) before it was healthy`
      : unprefix(ctx, v.why));
  if (v.rolledBack) {
    return new RolledBackByEngine(`rolled back by Swarm: ${svc}: ${cause}`, [], detail, {
      hint:
        `the previous version serves again; see fleet ps ${stage}, fleet logs ${stage} -n ${svc}`,
    });
  }
  return new CommandError(
    `service ${svc} did not become ready: ${unprefix(ctx, v.why)}`,
    [],
    detail,
    {
      hint: `fleet ps ${stage}; fleet logs ${stage} -n ${svc}`,
    },
  );
}
