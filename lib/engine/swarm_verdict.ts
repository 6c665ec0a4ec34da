/**
 * The verdict on a Swarm stack after a deploy (pure): ready when each service's update completed
 * with every replica of its current image running (a task with a healthcheck is `running` only
 * once healthy); failed when Swarm rolled the update back or paused it, or a new service's tasks
 * keep failing; else waiting, saying for what. lib/engine/swarm_wait.ts polls with it.
 */
import type { Observation } from "../core/progress.ts";
import type { SwarmService, SwarmTask } from "../docker/swarm_state.ts";

/** The verdict on a stack's services (Swarm names) and their tasks. */
export type StackVerdict =
  | { readonly kind: "ready" }
  | {
    readonly kind: "waiting";
    readonly service: string;
    readonly why: string;
    /** A service Swarm is rolling back. */
    readonly rollingBack?: string;
    /** What each service not ready yet waits for (the others are converged). */
    readonly each?: readonly { readonly service: string; readonly why: string }[];
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
    each: waiting,
  };
}

/**
 * Each service's state in a verdict, for the live block: what a service waits for (working), or
 * `converged`; a failed one as such; `project` is cut from the Swarm names. None when the
 * verdict says nothing of the services one by one (the manager did not answer).
 * @example stackStates(["app_web"], { kind: "ready" }, "app") // [{ service: "web", text: "converged", phase: "done" }]
 */
export function stackStates(
  expected: readonly string[],
  v: StackVerdict,
  project: string,
): Observation[] {
  const short = (name: string) =>
    name.startsWith(`${project}_`) ? name.slice(project.length + 1) : name;
  if (v.kind === "failed") {
    const text = v.rolledBack ? "rolled back" : "failed";
    return [{ service: short(v.service), text, phase: "failed" }];
  }
  if (v.kind === "waiting" && !v.each) return [];
  return expected.map((name) => {
    const waits = v.kind === "waiting" ? v.each?.find((w) => w.service === name) : undefined;
    return waits
      ? { service: short(name), text: `${waits.why}…`, phase: "working" }
      : { service: short(name), text: "converged", phase: "done" };
  });
}

/** The task an update failed on (named in an update message), else the newest failed one. */
function failingTask(messages: string, tasks: readonly SwarmTask[]): SwarmTask | undefined {
  const id = /task ([a-z0-9]{20,})/.exec(messages)?.[1];
  return tasks.find((t) => t.id === id) ??
    tasks.find((t) => /^(failed|rejected)$/.test(t.state) && t.error !== "") ??
    tasks.find((t) => t.error !== "");
}
