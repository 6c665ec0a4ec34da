/**
 * A stage with several hosts (SPEC §15) as one-host stages: each host gets the stage with its
 * own Docker host and the services that run there (`on:`; none: every host). The release flow
 * and every command then work on each one as on any stage. Pure.
 */
import type { StageHost } from "../config/hosts_settings.ts";
import type { Stage } from "../config/stage.ts";
import { UsageError } from "../core/errors.ts";

/** One host of a stage, as a one-host stage. */
export interface HostStage {
  readonly host: StageHost;
  /** The stage on that host: its host/context set, its services those that run there. */
  readonly stage: Stage;
}

/** Whether a service runs on a host (`on:` lists it, or the service has no `on:`). */
export function runsOn(svc: Stage["services"][number], host: string): boolean {
  return svc.on === undefined || svc.on.includes(host);
}

/**
 * The one-host stages of a stage with `hosts:`, in name order; `only` picks hosts by name.
 * Hooks and the release task run once per release (by the caller), so the host stages have none.
 * @example hostStages(stage).map((h) => h.stage.host) // ["unix:///a.sock", "ssh://deploy@b"]
 */
export function hostStages(stage: Stage, only?: readonly string[]): HostStage[] {
  const hosts = stage.hosts ?? [];
  const names = hosts.map((h) => h.name);
  for (const n of only ?? []) {
    if (!names.includes(n)) {
      throw new UsageError(`unknown host "${n}" (hosts of ${stage.name}: ${names.join(", ")})`);
    }
  }
  return hosts.filter((h) => !only?.length || only.includes(h.name)).map((h) => ({
    host: h,
    stage: {
      ...stage,
      hosts: undefined,
      parallel: undefined,
      host: h.host,
      context: h.context,
      services: stage.services.filter((s) => runsOn(s, h.name)),
      hooks: { pre: [], post: [] },
      task: undefined,
    },
  }));
}

/** The hosts a command covers, or a UsageError on a stage without `hosts:` given `--host`. */
export function checkHostOption(stage: Stage, host: readonly string[] | undefined): void {
  if (host?.length && !stage.hosts) {
    throw new UsageError(`--host: ${stage.name} has one Docker host (no hosts: in ${stage.file})`);
  }
}

/**
 * The stage a one-host command works on: the stage itself, or on a stage with `hosts:` the one
 * host `--host` names; without it such a command is a UsageError listing the hosts.
 * @example oneHost(stage, ["web1"], "exec").host // the Docker host of web1
 */
export function oneHost(stage: Stage, host: readonly string[] | undefined, command: string): Stage {
  checkHostOption(stage, host);
  if (!stage.hosts) return stage;
  const names = stage.hosts.map((h) => h.name);
  if (host?.length !== 1) {
    throw new UsageError(
      `${command} works on one host, and ${stage.name} has several (hosts: ${names.join(", ")})`,
      { hint: `name one: --host ${names[0]}` },
    );
  }
  return hostStages(stage, host)[0].stage;
}
