/**
 * What a release across several hosts works with: per host, the one-host stage's engine context
 * and selection (its services only); whether every host answers, before anything changes; and
 * one shared SSH connection per host for the whole release.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import type { StageHost } from "../config/hosts_settings.ts";
import type { Stage } from "../config/stage.ts";
import { shareSsh } from "../docker/ssh_mux.ts";
import { dockerStep } from "../docker/target.ts";
import type { Engine, EngineContext } from "../engine/engine.ts";
import { hostStages } from "./host_stages.ts";
import { type DeployOptions, deploySelection } from "./selection.ts";
import type { Selection } from "./types.ts";

/** One host of a release: its name, its engine context and what it deploys. */
export interface HostPlan {
  readonly host: StageHost;
  readonly ctx: EngineContext;
  readonly sel: Selection;
}

/** The hosts that run any of `services`, in name order, each with its context and selection. */
export function hostPlans(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  services: readonly string[],
  opts: DeployOptions & { host?: string[] },
  pull: boolean,
): HostPlan[] {
  return hostStages(stage, opts.host).flatMap(({ host, stage: st }) => {
    const svcs = st.services.filter((s) => services.includes(s.name));
    if (svcs.length === 0) return [];
    const ctx = engine.context(st, deps.env, { tag: opts.tag, rollback: opts.rollback ?? true });
    return [{ host, ctx, sel: deploySelection(st, svcs, { tag: opts.tag }, pull) }];
  });
}

/**
 * Every host answers (`docker version`), asked side by side; those that do not are named, each
 * with its address and the next step, before anything changes anywhere.
 */
export async function reachHosts(
  deps: Deps,
  hosts: readonly {
    readonly host: StageHost;
    readonly ctx: Pick<EngineContext, "target" | "stage">;
  }[],
): Promise<void> {
  const answers = await Promise.all(hosts.map((h) =>
    deps.runner.run(
      dockerStep(h.ctx.target, `check host ${h.host.name}`, [
        "version",
        "--format",
        "{{.Server.Version}}",
      ]),
      { check: false },
    ).then((r) => r.code === 0 ? undefined : lastLine(r.stderr || r.stdout), (e) =>
      (e as Error).message)
  ));
  const silent = hosts.flatMap((h, i) =>
    answers[i] === undefined
      ? []
      : [`host ${h.host.name} (${h.ctx.target.label}) does not answer: ${answers[i]}`]
  );
  if (silent.length === 0) return;
  const file = hosts[0].ctx.stage.file;
  throw new FleetError(`${silent.join("\n")}\nnothing was changed on any host`, {
    hint: `start its Docker engine, or fix its address under hosts: in ${file} ` +
      `(check with: DOCKER_HOST=<address> docker version)`,
  });
}

const lastLine = (s: string) =>
  s.trim().split("\n").at(-1)?.replace(/^error during connect: /, "") ?? "";

/**
 * Run `fn` with each host's docker calls sharing one SSH connection per host (not when
 * `enabled` is false: a dry run shows the commands as they would run, with no shared socket).
 */
export async function withSharedHosts<T>(
  deps: Deps,
  plans: readonly HostPlan[],
  fn: (plans: HostPlan[]) => Promise<T>,
  enabled = true,
): Promise<T> {
  if (!enabled) return await fn([...plans]);
  const muxes = await Promise.all(plans.map((p) => shareSsh(deps, p.ctx.target)));
  try {
    return await fn(plans.map((p, i) => ({ ...p, ctx: { ...p.ctx, target: muxes[i].target } })));
  } finally {
    await Promise.all(muxes.map((m) => m.close()));
  }
}
