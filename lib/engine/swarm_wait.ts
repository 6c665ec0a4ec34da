/**
 * fleet's own wait after `docker stack deploy`, the same for every Docker client: it reads each
 * updated service's update state and tasks until the verdict (lib/engine/swarm_verdict.ts) is in
 * — completed with every replica running and healthy, rolled back or paused by Swarm — or the
 * timeout; polling through deps.now/deps.sleep. A failure carries the task's error and logs.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { type Step, tail } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import { serviceTasks, stackServices } from "../docker/swarm_state.ts";
import { dockerStep } from "../docker/target.ts";
import { type EngineContext, RolledBackByEngine } from "./engine.ts";
import { judgeStack, stackStates, type StackVerdict } from "./swarm_verdict.ts";

const POLL_MS = 1000;

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

/**
 * Poll the services until the verdict is in, saying what it waits for whenever that changes; on
 * a terminal that draws, as a live block of one row per service instead.
 */
export async function waitForStack(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
  timeoutSec: number,
): Promise<void> {
  const names = services.map((s) => `${ctx.project}_${s}`);
  const start = deps.now().getTime();
  deps.ui.step(`wait until ${services.join(", ")} converged (up to ${timeoutSec}s)`);
  const live = deps.ui.progress?.(
    services.map((service) => ({ service, text: "waiting…", phase: "working" as const })),
  );
  let shown = "";
  const earlier: Record<string, string> = {};
  try {
    for (;;) {
      const elapsed = (deps.now().getTime() - start) / 1000;
      const v = await verdict(deps, ctx, names, elapsed, earlier);
      const states = live ? stackStates(names, v, ctx.project) : [];
      for (const o of states) live?.update(o);
      if (v.kind === "ready") return;
      if (v.kind === "failed") throw await explain(deps, ctx, v);
      const why = unprefix(ctx, v.why);
      if (why !== shown && states.length === 0) deps.ui.line("wait", why);
      shown = why;
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
  } finally {
    live?.end();
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
  const failed = s.result.code !== 0 && s.services.length === 0 ? s.result : t.result;
  if (
    (s.services.length === 0 && s.result.code !== 0) ||
    (t.tasks.length === 0 && t.result.code !== 0)
  ) {
    // the manager did not answer (a leader election, a node going away, a Ctrl-C that ended the
    // query): ask again; no verdict from half an answer
    const why = tail(failed.stderr, 1) || `exit ${failed.code}`;
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
