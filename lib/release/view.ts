/**
 * What a release shows on stderr while it runs: the plan before confirmation and, after an
 * interrupt, which release each service is on. (Results are rendered by lib/report/.)
 */
import type { Ui } from "../core/ui.ts";
import { shortDigest, shortId as short } from "../docker/image_ref.ts";
import type { Engine, EngineContext } from "../engine/engine.ts";
import type { Images, Selection } from "./types.ts";

/** The heading of a release: what, where, on which engine project. */
export function heading(ctx: EngineContext, sel: Selection): string {
  const what = sel.note ?? sel.kind;
  return `${what} ${ctx.stage.project} to ${ctx.stage.name} on ${ctx.target.label} (project ${ctx.project})`;
}

/** The plan: per service, current → new image and how it is replaced (or skipped). */
export function showPlan(
  ui: Ui,
  engine: Engine,
  ctx: EngineContext,
  sel: Selection,
  before: Images,
  fresh: Images,
  services: readonly string[],
) {
  ui.step(heading(ctx, sel));
  for (const s of sel.services) {
    const change = !before[s]
      ? `new ${short(fresh[s].id)}`
      : before[s].id === fresh[s].id
      ? `unchanged ${short(fresh[s].id)}`
      : `${short(before[s].id)} → ${short(fresh[s].id)}`;
    const how = services.includes(s) ? engine.strategy(ctx, s) : "skipped (unchanged)";
    const digest = fresh[s].digest ? ` (${shortDigest(fresh[s].digest)})` : "";
    ui.info(`    ${s}  ${sel.images[s]}${digest}  ${change}  (${how})`);
  }
}

/** After an interrupt: which release each service is on now (`stopped`: its container is not running). */
export function showState(
  ui: Ui,
  stage: string,
  services: readonly string[],
  now: Images,
  before: Images,
  fresh: Images,
  stopped: readonly string[] = [],
) {
  ui.warn(`interrupted: the deploy lock is released; state of ${stage}:`);
  for (const s of services) {
    const which = !now[s]
      ? "no container"
      : now[s].id === fresh[s]?.id
      ? "new release"
      : now[s].id === before[s]?.id
      ? "previous release"
      : "another image";
    const down = stopped.includes(s) ? "stopped, not serving: " : "";
    ui.warn(`  ${s}: ${down}${which} (${short(now[s]?.id)})`);
  }
}
