/**
 * Is a stage ready for a release? Its host answers and its engine is new enough, it is a Swarm
 * manager (Swarm stages), its deploy lock is free, its proxy answers (stages with one), its ssh connection sharing works (ssh://
 * hosts), its registry answers and this machine has credentials to push (pushing stages). The
 * per-stage half of `fleet doctor`; the checks of one stage run concurrently, and every docker
 * call goes through one shared ssh connection.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import type { Stage } from "../config/stage.ts";
import { missingVars } from "../config/vars.ts";
import { type Target, targetOf } from "../docker/target.ts";
import { composeProject } from "../docker/images.ts";
import {
  type Check,
  engineProbe,
  failedCheck,
  hostChecks,
  notChecked,
  type Probe,
  sharingCheck,
  swarmCheck,
} from "./probes.ts";
import { type Answer, loginCheck, reachCheck, registryHosts } from "./registry_check.ts";
import { shareSsh } from "../docker/ssh_mux.ts";
import { readLock } from "../release/lock.ts";
import { MIGRATE_SYSCTL, proxyInfo, proxyName, readRoutes } from "../engine/proxy_host.ts";
import { hostStages } from "../release/host_stages.ts";

/** What the stages' checks share: the docker CLI's check, the local engine's answer, … */
export interface Shared {
  readonly cli: Check;
  readonly localProbe?: Promise<Probe>;
  readonly ask: (host: string) => Promise<Answer>;
  /** The user's Docker config.json. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly fetch: typeof fetch;
}

/** A stage's checks: its file, then host, engine, … and registries, concurrently. */
export async function stageChecks(stage: Stage, deps: Deps, sh: Shared): Promise<Check[]> {
  const p = `${stage.name}: `;
  const file: Check = { name: `${p}config`, ok: true, detail: `${stage.file} is valid` };
  // a stage with several hosts: the host checks of each, named `<stage> <host>: …`
  const hosts = stage.hosts
    ? hostStages(stage).map((h) => hostGroup(h.stage, deps, sh, `${stage.name} ${h.host.name}`))
    : [hostGroup(stage, deps, sh)];
  const [host, regs] = await Promise.all([
    Promise.all(hosts),
    Promise.all(registryHosts(stage).map((h) => registryGroup(stage, h, deps, sh))),
  ]);
  return [file, ...host.flat(), ...regs.flat()];
}

/** Host and engine, Swarm manager, lock and ssh sharing: all through one shared ssh connection. */
async function hostGroup(
  stage: Stage,
  deps: Deps,
  sh: Shared,
  label = stage.name,
): Promise<Check[]> {
  const p = `${label}: `;
  const missing = missingVars(stage.host ?? "", deps.env);
  const swarm = (stage as { orchestrator?: unknown }).orchestrator === "swarm";
  const names = [
    `${p}engine`,
    ...(swarm ? [`${p}swarm`] : []),
    `${p}lock`,
    ...(stage.proxy ? [`${p}proxy`] : []),
  ];
  if (missing.length || !sh.cli.ok) {
    const why: Check = missing.length
      ? {
        name: `${p}host`,
        ok: false,
        detail: `host: needs \${${missing[0]}}, which is not set`,
        fix: `set ${missing.join(", ")} in the environment`,
      }
      : notChecked(`${p}host`, "docker");
    return [why, ...names.map((n) => notChecked(n, why.name))];
  }
  const target = targetOf(stage, deps.env);
  const ssh = target.env.DOCKER_HOST?.startsWith("ssh://") ?? false;
  const plain = !stage.host && !stage.context && sh.localProbe;
  const mux = plain ? undefined : await shareSsh(deps, target);
  try {
    const t = mux?.target ?? target;
    const probe = plain ? await sh.localProbe! : await engineProbe(deps, t);
    const [host, engine] = hostChecks(p, target, probe);
    if (!("out" in probe)) {
      const rest = names.slice(1).map((n) => notChecked(n, host.ok ? engine.name : host.name));
      return [host, engine, ...rest, ...(ssh ? [notChecked(`${p}ssh sharing`, host.name)] : [])];
    }
    const [sw, lock, proxy, shared] = await Promise.all([
      swarm ? swarmCheck(deps, `${p}swarm`, t) : undefined,
      lockCheck(`${p}lock`, stage, deps, t),
      stage.proxy ? proxyCheck(`${p}proxy`, stage, deps, t) : undefined,
      ssh ? sharingCheck(`${p}ssh sharing`, deps, mux!) : undefined,
    ]);
    return [host, engine, sw, lock, proxy, shared].filter((c): c is Check => c !== undefined);
  } finally {
    await mux?.close();
  }
}

async function lockCheck(name: string, stage: Stage, deps: Deps, t: Target): Promise<Check> {
  try {
    const held = await readLock(deps, t, composeProject(stage));
    if (!held) return { name, ok: true, detail: "free" };
    return {
      name,
      ok: false,
      detail: `held by ${held.holder} (${held.command || "deploy"}) since ${held.since}`,
      fix: `wait for it to finish; if that process is gone: fleet unlock ${stage.name}`,
    };
  } catch (e) {
    if (e instanceof FleetError) return failedCheck(name, e);
    throw e;
  }
}

/** The host's proxy (SPEC §14): it answers on its admin API, with the project's routes. */
async function proxyCheck(name: string, stage: Stage, deps: Deps, t: Target): Promise<Check> {
  const proxy = proxyName(deps.env);
  try {
    const info = await proxyInfo(deps, t, proxy);
    const state = info?.state;
    if (!state) {
      return { name, ok: true, detail: `${proxy} is not there yet: the first deploy starts it` };
    }
    if (state !== "running") {
      return {
        name,
        ok: false,
        detail: `${proxy} is ${state}: proxied services get no requests`,
        fix: `docker start ${proxy} (on the stage's host), or fleet deploy ${stage.name}`,
      };
    }
    const routes = (await readRoutes(deps, t, proxy)) ?? [];
    const mine = routes.filter((r) => r.project === composeProject(stage));
    const shown = mine.map((r) => `${r.host ?? "*"}${r.path ?? "/"} → ${r.upstream}`);
    return {
      name,
      ok: true,
      detail: `${proxy} answers, ${routes.length} route${routes.length === 1 ? "" : "s"}` +
        (shown.length ? ` (this stage: ${shown.join(", ")})` : " (none of this stage yet)") +
        (info?.migrates ? "" : `; started without ${MIGRATE_SYSCTL}: a route switch under load ` +
          `may reset a connection (docker rm -f ${proxy} on the host, then deploy, makes it anew)`),
    };
  } catch (e) {
    if (e instanceof FleetError) return failedCheck(name, e);
    throw e;
  }
}

/** A registry answers, and (pushing stages) this machine has credentials for it. */
async function registryGroup(
  stage: Stage,
  host: string,
  deps: Deps,
  sh: Shared,
): Promise<Check[]> {
  const reach = `${stage.name}: registry ${host}`;
  const answer = await sh.ask(host);
  const first = reachCheck(reach, host, answer);
  if (stage.local) return [first];
  const login = await loginCheck(
    `${stage.name}: login ${host}`,
    reach,
    host,
    answer,
    deps.env,
    sh.config,
    sh.fetch,
  );
  return [first, login];
}
