/**
 * The rollout lock of a stage with several hosts: one lock container on every host, taken in
 * name order (so two deploys never each hold a part and wait for the other), held for the whole
 * release; each host's own deploy lock (lib/release/lock.ts) is taken again by its update.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import { holderProcess, type LockInfo, releaseLock, takeLock } from "./lock.ts";
import type { HostPlan } from "./host_plans.ts";

/** The project name the rollout lock is kept under (`.` never appears in a stage's project). */
export const rolloutProject = (project: string) => `${project}.rollout`;

/** Take the rollout lock on every host (name order), run `fn`, release them all. */
export async function lockHosts<T>(
  deps: Deps,
  plans: readonly HostPlan[],
  info: LockInfo,
  waitSec: number,
  fn: () => Promise<T>,
): Promise<T> {
  const held: { plan: HostPlan; id: string }[] = [];
  const sorted = [...plans].sort((a, b) => a.host.name.localeCompare(b.host.name));
  try {
    for (const p of sorted) {
      const image = p.sel.images[p.sel.services[0]];
      try {
        const { id } = await takeLock(
          deps,
          { ...p.ctx, project: rolloutProject(p.ctx.project) },
          image,
          { ...holderProcess(), ...info },
          waitSec,
        );
        held.push({ plan: p, id });
      } catch (e) {
        if (!(e instanceof FleetError)) throw e;
        throw new FleetError(`${e.message} (host ${p.host.name}); nothing was changed`, {
          hint: `wait for it (--lock-wait <seconds>), or if that process is gone: ` +
            `fleet unlock ${p.ctx.stage.name} --host ${p.host.name}`,
        });
      }
    }
    return await fn();
  } finally {
    // only the locks this process took (by container ID), never one taken after an unlock
    await Promise.all(held.map((h) => releaseLock(deps, h.plan.ctx.target, h.id)));
  }
}
