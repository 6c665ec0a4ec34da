/**
 * `fleet rollback` of a stage with several hosts (SPEC §15): every host answers, and the release
 * each one goes back to is picked (the previous good one, or `--to`) before anything changes (a
 * dry run shows each host's plan there and stops); then one confirmation, the rollout lock on
 * every host in name order, and the hosts rolled back `parallel` at a time through the one-host
 * flow, under one release id. A host that fails stops
 * the rollback there (its own flow put back what it ran); the hosts before it stay rolled back.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError, withResult } from "../core/errors.ts";
import { confirmOrCancel } from "../core/ui.ts";
import type { Stage } from "../config/stage.ts";
import type { Engine } from "../engine/engine.ts";
import { refuseWithoutTerminal } from "./confirm.ts";
import { runRelease } from "./flow.ts";
import { dryRunHosts } from "./hosts.ts";
import { releaseId } from "./history.ts";
import { lockHosts } from "./host_locks.ts";
import { type HostPlan, hostPlans, reachHosts, withSharedHosts } from "./host_plans.ts";
import { combined, outcomeOf } from "./host_results.ts";
import { pickRollback } from "./rollback.ts";
import { type DeployOptions, flowOptions, rollbackSelection } from "./selection.ts";
import type { HostOutcome, ReleaseResult } from "./types.ts";
import { whoAmI } from "./who.ts";

/** Roll every host (or those `--host` names) back, host by host. */
export async function rollbackHosts(
  deps: Deps,
  engine: Engine,
  stage: Stage,
  services: readonly string[],
  opts: DeployOptions & { to?: string; host?: string[] },
): Promise<ReleaseResult> {
  const fo = { ...flowOptions(engine, opts), only: true, pull: false };
  refuseWithoutTerminal(deps.ui, stage, "rollback", fo);
  const id = releaseId(deps.now());
  return await withSharedHosts(
    deps,
    hostPlans(deps, engine, stage, services, opts, false),
    async (hosts) => {
      await reachHosts(deps, hosts);
      // every host's target first: a host with nothing to go back to changes nothing anywhere
      const plans: HostPlan[] = [];
      for (const h of hosts) {
        const pick = await pickRollback(deps, engine, h.ctx, h.sel.services, opts.to).catch((e) => {
          throw new FleetError(
            `host ${h.host.name}: ${(e as Error).message}; nothing was changed`,
            {
              hint: (e as FleetError).hint,
            },
          );
        });
        const sel = rollbackSelection(pick.ctx.stage, pick.images, pick.release.id);
        plans.push({ host: h.host, ctx: pick.ctx, sel });
        deps.ui.info(`    ${h.host.name}  ${h.ctx.target.label}  ${sel.note}`);
      }
      // a dry run reads each host's history to say where it goes back to; it changes nothing
      if (fo.dryRun) return await dryRunHosts(deps, engine, stage, plans, fo, id);
      await confirmOrCancel(
        deps.ui,
        `rollback ${stage.name} on ${plans.length} hosts?`,
        "rollback cancelled: nothing was changed",
        fo.yes || !stage.confirm,
      );
      const who = await whoAmI(deps, stage.root);
      const info = { holder: who, since: deps.now().toISOString(), command: "rollback" };
      return await lockHosts(deps, plans, info, fo.lockWait, async () => {
        const outcomes = new Map<string, HostOutcome>();
        const results: ReleaseResult[] = [];
        const step = stage.parallel ?? 1;
        const o = { ...fo, yes: true, release: id };
        for (let i = 0; i < plans.length; i += step) {
          const batch = plans.slice(i, i + step);
          const done = await Promise.allSettled(
            batch.map((p) => runRelease(deps, engine, p.ctx, p.sel, o)),
          );
          const failed = done.findIndex((d) => d.status === "rejected");
          done.forEach((d, j) => {
            const r = d.status === "fulfilled"
              ? d.value
              : (d.reason as { result?: ReleaseResult }).result;
            if (r) results.push(r);
            const e = d.status === "rejected" ? d.reason : undefined;
            outcomes.set(batch[j].host.name, outcomeOf(batch[j], r, e));
          });
          if (failed >= 0) {
            const e = (done[failed] as PromiseRejectedResult).reason as Error;
            for (const p of plans.slice(i + step)) {
              outcomes.set(p.host.name, { ...outcomeOf(p, undefined), result: "not-started" });
            }
            const name = batch[failed].host.name;
            const r = {
              ...combined(stage, plans, outcomes, results, id, "failed"),
              command: "rollback" as const,
            };
            const msg = `rollback of ${stage.name} failed on host ${name}: ${e.message}`;
            throw withResult(
              new CommandError(msg, [], e instanceof CommandError ? e.stderrTail : "", {
                hint:
                  `hosts before it are rolled back; see fleet history ${stage.name} --host ${name}`,
              }),
              { ...r, error: msg },
            );
          }
        }
        return { ...combined(stage, plans, outcomes, results, id, "ok"), command: "rollback" };
      });
    },
    !fo.dryRun,
  );
}
