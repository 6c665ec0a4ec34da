/** What a release shows people: the plan before confirmation, a dry run, the state after Ctrl-C. */
import type { Deps } from "../core/deps.ts";
import { listContainers } from "../docker/queries.ts";
import type { ComposeContext } from "../engine/compose.ts";
import type { Step } from "../core/run.ts";
import { type Attempt, type Images, runningImages, type Selection } from "../release/flow.ts";

/** A short image ID for people. */
export const short = (
  id: string | undefined,
) => (id ? id.replace(/^sha256:/, "").slice(0, 12) : "none");

/** The plan: per service, current → new image and whether it is redeployed (a short outage). */
export function showPlan(
  deps: Deps,
  ctx: ComposeContext,
  sel: Selection,
  before: Images,
  fresh: Images,
  services: readonly string[],
) {
  const what = sel.note ?? sel.kind;
  deps.ui.step(
    `${what} ${ctx.stage.project} to ${ctx.stage.name} on ${ctx.target.label} (project ${ctx.project})`,
  );
  for (const s of sel.services) {
    const change = !before[s]
      ? `new ${short(fresh[s].id)}`
      : before[s].id === fresh[s].id
      ? `unchanged ${short(fresh[s].id)}`
      : `${short(before[s].id)} → ${short(fresh[s].id)}`;
    const how = services.includes(s) ? "stop → rm → up: a short outage" : "skipped (unchanged)";
    deps.ui.info(`    ${s}  ${sel.images[s]}  ${change}  (${how})`);
  }
}

/** After an interrupt: which release each service is on now. */
export async function reportState(a: Attempt) {
  const now = runningImages(await listContainers(a.deps, a.ctx.target, a.ctx.project), a.services);
  a.deps.ui.warn(`interrupted: the deploy lock is released; state of ${a.ctx.stage.name}:`);
  for (const s of a.services) {
    const which = !now[s]
      ? "no container"
      : now[s].id === a.fresh[s]?.id
      ? "new release"
      : now[s].id === a.before[s]?.id
      ? "previous release"
      : "another image";
    a.deps.ui.warn(`  ${s}: ${which} (${short(now[s]?.id)})`);
  }
}

/** `--dry-run`: the plan and the commands, nothing run. */
export function dryRun(deps: Deps, ctx: ComposeContext, sel: Selection, steps: readonly Step[]) {
  const what = sel.note ?? sel.kind;
  deps.ui.out(
    `${what} ${ctx.stage.project} to ${ctx.stage.name} on ${ctx.target.label} (project ${ctx.project})`,
  );
  for (const s of sel.services) deps.ui.out(`  ${s}  ${sel.images[s]}`);
  deps.ui.out(
    `would run (Compose model on stdin, see \`fleet config ${ctx.stage.name} --compose\`):`,
  );
  for (const s of steps) {
    const env = Object.keys({ ...s.env, ...s.secretEnv }).filter((k) => k !== "COMPOSE_PROGRESS");
    deps.ui.out(`  ${env.length ? `[env: ${env.join(", ")}] ` : ""}${s.argv.join(" ")}`);
  }
  deps.ui.out("  then wait until running and healthy, and record the release on the host");
}
