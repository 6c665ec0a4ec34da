/**
 * `ps`, `history`, `down` and `logs` of a stage with several hosts (SPEC §15): every host (or those
 * `--host` names), asked side by side once each one answers; a host that does not is named with
 * its fix before anything changes.
 */
import type { Deps } from "../core/deps.ts";
import type { Stage } from "../config/stage.ts";
import { withSharedSsh } from "../docker/ssh_mux.ts";
import type { Engine, EngineContext, LogsOptions } from "../engine/engine.ts";
import { readHistory } from "./history.ts";
import { reachHosts } from "./host_plans.ts";
import { hostStages } from "./host_stages.ts";
import type { DownResult, HistoryResult, PsResult } from "./results.ts";
import type { StageHost } from "../config/hosts_settings.ts";

interface OnHost {
  readonly host: StageHost;
  readonly ctx: EngineContext;
}

/** Each host's read-only context (the services that run there), every host answering. */
async function onHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  only: readonly string[] | undefined,
): Promise<OnHost[]> {
  const hosts = hostStages(stage, only).map(({ host, stage }) => ({
    host,
    ctx: engine.context(stage, deps.env, { readOnly: true }),
  }));
  await reachHosts(deps, hosts);
  return hosts;
}

const eachHost = <T>(deps: Deps, hosts: readonly OnHost[], fn: (h: OnHost) => Promise<T>) =>
  Promise.all(hosts.map((h) => withSharedSsh(deps, h.ctx, (ctx) => fn({ ...h, ctx }))));

/** `fleet ps` across hosts: the containers of every host, each with its host's name. */
export async function psHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  only?: readonly string[],
): Promise<PsResult> {
  const hosts = await onHosts(deps, engine, stage, only);
  const views = await eachHost(deps, hosts, (h) => engine.ps(deps, h.ctx));
  // the proxy on each host (SPEC §14–15): its routes, each with the host's name (`on`)
  const routed = views.some((v) => v.routes);
  return {
    stage: stage.name,
    project: hosts[0]?.ctx.project ?? "",
    host: hosts.map((h) => h.host.name).join(", "),
    containers: views.flatMap((v, i) =>
      v.containers.map((c) => ({ ...c, host: hosts[i].host.name }))
    ),
    ...(routed
      ? {
        routes: views.flatMap((v, i) =>
          (v.routes ?? []).map((r) => ({ ...r, on: hosts[i].host.name }))
        ),
      }
      : {}),
  };
}

/** `fleet history` across hosts: the releases recorded on each host. */
export async function historyHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  only?: readonly string[],
): Promise<HistoryResult> {
  const hosts = await onHosts(deps, engine, stage, only);
  const lists = await eachHost(deps, hosts, (h) => readHistory(deps, h.ctx.target, h.ctx.project));
  return {
    stage: stage.name,
    host: hosts.map((h) => h.host.name).join(", "),
    keep: stage.keep,
    releases: [],
    // a record that does not parse, on any host, is listed with its host's name
    unreadable: lists.flatMap((l, i) =>
      l.unreadable.map((u) => ({ ...u, id: `${hosts[i].host.name}: ${u.id}` }))
    ),
    hosts: hosts.map((h, i) => ({
      name: h.host.name,
      host: h.ctx.target.label,
      releases: lists[i].releases,
    })),
  };
}

/** `fleet down` across hosts (confirmed by the caller): every host answers, then each goes down. */
export async function downHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  only?: readonly string[],
): Promise<DownResult> {
  const hosts = await onHosts(deps, engine, stage, only);
  await eachHost(deps, hosts, (h) => engine.down(deps, h.ctx));
  return {
    stage: stage.name,
    project: hosts[0]?.ctx.project ?? "",
    hosts: hosts.map((h) => h.host.name),
  };
}

/** `fleet logs` across hosts: every host's logs side by side, each line after its host's name. */
export async function logsHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  only: readonly string[] | undefined,
  services: readonly string[],
  opts: LogsOptions,
): Promise<void> {
  const hosts = await onHosts(deps, engine, stage, only);
  await eachHost(deps, hosts, async (h) => {
    const mine = services.filter((n) => h.ctx.stage.services.some((s) => s.name === n));
    if (services.length && !mine.length) return;
    const steps = engine.logsSteps(h.ctx, mine, opts);
    const onLine = (l: string) => deps.ui.out(`${h.host.name} | ${l}`);
    await Promise.all(steps.map((step) => deps.runner.run(step, { onLine })));
  });
}
