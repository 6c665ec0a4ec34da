/** The result of a release across several hosts: what happened on each host, and in all. */
import type { Stage } from "../config/stage.ts";
import type { HostPlan } from "./host_plans.ts";
import type { HostOutcome, ReleaseResult } from "./types.ts";

/** What happened on one host, from its one-host result (absent: it never got one). */
export function outcomeOf(p: HostPlan, r: ReleaseResult | undefined, e?: unknown): HostOutcome {
  return {
    name: p.host.name,
    host: p.ctx.target.label,
    result: r?.result ?? "failed",
    services: p.sel.services,
    ...(e ? { error: (e as Error).message } : {}),
    ...(r?.rollback ? { rollback: r.rollback } : {}),
  };
}

/** One result for the release: the stage's services and what happened on each host. */
export function combined(
  stage: Stage,
  plans: readonly HostPlan[],
  outcomes: ReadonlyMap<string, HostOutcome>,
  results: readonly ReleaseResult[],
  release: string,
  result: ReleaseResult["result"],
): ReleaseResult {
  const seen = new Set<string>();
  const services = results.flatMap((r) => r.services).filter((s) =>
    seen.has(s.name) ? false : (seen.add(s.name), true)
  );
  return {
    command: "deploy",
    stage: stage.name,
    app: stage.project,
    project: plans[0]?.ctx.project ?? `${stage.project}-${stage.name}`,
    host: plans.map((p) => p.host.name).join(", "),
    release,
    result,
    services,
    hosts: plans.map((p) => outcomes.get(p.host.name)!).filter(Boolean),
  };
}
