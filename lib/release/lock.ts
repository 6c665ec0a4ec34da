/**
 * The deploy lock of a stage, on its host: a container that is created but never started.
 * Container names are unique per engine, so `docker create --name` is an atomic test-and-set;
 * its labels say who holds it and since when, and from which machine and process. It is never
 * taken over silently: a stale one is removed with `fleet unlock`. A release removes only the
 * lock it took (by container ID), never one another deploy took after an unlock.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError, SetupError } from "../core/errors.ts";
import type { Labels } from "../docker/engine_client.ts";
import { engineOf } from "../docker/engine_of.ts";
import type { Target } from "../docker/target.ts";
import type { EngineContext } from "../engine/engine.ts";

/** Who holds a lock, and since when. */
export interface LockInfo {
  readonly holder: string;
  readonly since: string;
  readonly command: string;
  /** The machine (host name) and process ID of the fleet that holds it, where recorded. */
  readonly machine?: string;
  readonly pid?: number;
}

const L = "dev.fleet.lock.";

/** The lock container's name for a Compose project. */
export const lockName = (project: string) => `fleet-lock-${project}`;

/**
 * Try to take the lock once: `{ taken: <its container ID> }`, "free" when it was released
 * meanwhile (try again), else who holds it.
 */
export async function tryLock(
  deps: Deps,
  target: Target,
  project: string,
  image: string,
  info: LockInfo,
): Promise<{ taken: string } | "free" | LockInfo> {
  const labels: Record<string, string> = {
    [`${L}project`]: project,
    [`${L}holder`]: info.holder,
    [`${L}since`]: info.since,
    [`${L}command`]: info.command,
    ...(info.machine ? { [`${L}machine`]: info.machine } : {}),
    ...(info.pid ? { [`${L}pid`]: String(info.pid) } : {}),
  };
  const engine = engineOf(deps, target);
  const r = await engine.createHolder(
    lockName(project),
    labels,
    image,
    "/fleet-lock-never-started",
  );
  // the container's ID: what this process releases, and nothing else
  if ("id" in r) return { taken: r.id };
  const held = await readLock(deps, target, project);
  if (held) return held;
  // the name was taken, and is free again: its holder let go between our two calls
  if (/conflict|already in use/i.test(r.refused)) return "free";
  throw new FleetError(`could not take the deploy lock: ${r.refused}`);
}

/** Who holds the lock of a project, or undefined when it is free. */
export async function readLock(
  deps: Deps,
  target: Target,
  project: string,
): Promise<LockInfo | undefined> {
  let found: Map<string, Labels>;
  try {
    found = await engineOf(deps, target).containerLabels([lockName(project)]);
  } catch (e) {
    // a machine that cannot be reached is named as such (diagnose's SetupError)
    if (!(e instanceof CommandError) || e instanceof SetupError) throw e;
    throw new CommandError(
      `could not read the deploy lock on ${target.label}`,
      e.argv,
      e.stderrTail,
      { hint: "is the stage's Docker host reachable? try: fleet doctor" },
    );
  }
  const labels = found.get(lockName(project));
  if (!labels) return undefined;
  const pid = Number(labels[L + "pid"]);
  return {
    holder: labels[L + "holder"] ?? "unknown",
    since: labels[L + "since"] ?? "unknown",
    command: labels[L + "command"] ?? "",
    ...(labels[L + "machine"] ? { machine: labels[L + "machine"] } : {}),
    ...(Number.isSafeInteger(pid) && pid > 0 ? { pid } : {}),
  };
}

/** Remove the stage's lock, whoever holds it (`fleet unlock`; runs even after an interrupt). */
export async function unlock(deps: Deps, target: Target, project: string): Promise<void> {
  await releaseLock(deps, target, lockName(project));
}

/**
 * Release the lock this process took: `id` is its container ID (tryLock), so a lock that was
 * removed meanwhile (`fleet unlock`) and taken by another deploy stays theirs. Runs even after an
 * interrupt.
 */
export async function releaseLock(deps: Deps, target: Target, id: string): Promise<void> {
  await engineOf(deps, target).remove([id]);
}

/**
 * Take the stage's lock, waiting up to `waitSec` for another deploy's; a lock still held then is
 * a FleetError naming its holder, command and time. Resolves to the lock's container ID (what to
 * release) and whether it had to wait.
 */
export async function takeLock(
  deps: Deps,
  ctx: EngineContext,
  image: string,
  info: LockInfo,
  waitSec: number,
): Promise<{ id: string; waited: boolean }> {
  const deadline = deps.now().getTime() + waitSec * 1000;
  for (let announced = false;;) {
    const r = await tryLock(deps, ctx.target, ctx.project, image, info);
    if (r === "free") continue;
    if ("taken" in r) return { id: r.taken, waited: announced };
    const msg = `${ctx.stage.name} is locked by ${r.holder} (${
      r.command || "deploy"
    }) since ${r.since}`;
    if (deps.now().getTime() >= deadline) {
      throw new FleetError(msg, {
        hint:
          `wait for it (--lock-wait <seconds>), or if that process is gone: fleet unlock ${ctx.stage.name}`,
      });
    }
    if (!announced) deps.ui.info(`${msg}; waiting up to ${waitSec}s`);
    announced = true;
    await deps.sleep(1000, deps.signal);
  }
}

/** This process as a lock's holder: its machine (host name) and process ID, where readable. */
export function holderProcess(): { machine?: string; pid?: number } {
  try {
    return { machine: Deno.hostname(), pid: Deno.pid };
  } catch {
    return {}; // no --allow-sys (a library user's choice): the lock says who, not which process
  }
}

/**
 * Whether a lock's holder is evidently still at work: it was taken on this machine by a process
 * that still runs, and that process is a fleet (deno or fleet in its command line, so a reused
 * process ID does not count). Anything unknown is "not evidently alive".
 */
export async function holderAlive(deps: Deps, held: LockInfo): Promise<boolean> {
  const me = holderProcess();
  if (!held.pid || !held.machine || held.machine !== me.machine || held.pid === me.pid) {
    return false;
  }
  const r = await deps.runner.run(
    {
      kind: "query",
      title: "is the lock's holder running",
      argv: ["ps", "-p", String(held.pid), "-o", "args="],
    },
    { check: false },
  ).catch(() => undefined);
  return r?.code === 0 && /\b(deno|fleet)/.test(r.stdout);
}
