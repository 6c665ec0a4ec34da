/**
 * The release flow shared by deploy and rollback: pull → check images → lock → plan and
 * confirm → stop → rm → up → wait → record. On failure the previous release is put back
 * (lib/rollback.ts); on Ctrl-C the lock is released and the state of each service reported.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, FleetError, InterruptedError, UsageError } from "../core/errors.ts";
import { type Container, inspectImages, listContainers } from "../docker/queries.ts";
import { applySteps, runStep, sleep } from "../engine/compose_wait.ts";
import { type ComposeContext, releaseSteps } from "../engine/compose.ts";
import type { Step } from "../core/run.ts";
import {
  gitCommit,
  recordRelease,
  type Release,
  releaseId,
  type ReleaseImage,
  whoAmI,
} from "./history.ts";
import { type LockInfo, tryLock, unlock } from "./lock.ts";
import { autoRollback } from "./rollback.ts";
import { dryRun, reportState, short, showPlan } from "../report/release_text.ts";
import { keep, protect } from "./kept_images.ts";

export interface FlowOptions {
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly timeout: number;
  readonly rollback: boolean;
  readonly changedOnly: boolean;
  readonly lockWait: number;
  readonly only: boolean;
}

/** What a release deploys: services, the image reference of every service, what to pull. */
export interface Selection {
  readonly kind: "deploy" | "rollback";
  readonly services: readonly string[];
  readonly images: Readonly<Record<string, string>>;
  readonly toPull: readonly string[];
  readonly unpullable: readonly string[];
  readonly note?: string;
}

export type Images = Record<string, ReleaseImage>;

/** One attempt at a release, past the lock: everything the later stages need. */
export interface Attempt {
  readonly deps: Deps;
  readonly ctx: ComposeContext;
  readonly sel: Selection;
  readonly o: FlowOptions;
  readonly services: readonly string[]; // what is redeployed (all, or the changed ones)
  readonly before: Images; // what ran before, by service
  readonly fresh: Images; // what is deployed now, by service
  readonly meta: { id: string; time: string; who: string; commit: string };
}

/** The whole flow. `steps` are pull? → stop → rm → up for `sel.services`. */
export async function runRelease(
  deps: Deps,
  ctx: ComposeContext,
  sel: Selection,
  steps: readonly Step[],
  o: FlowOptions,
): Promise<void> {
  if (o.dryRun) return dryRun(deps, ctx, sel, steps);
  refuseWithoutTerminal(deps, ctx, sel.kind, o);
  const pull = steps.find((s) => s.title === "pull");
  const local = Promise.all([whoAmI(deps, ctx.stage.root), gitCommit(deps, ctx.stage.root)]);
  if (pull) await runStep(deps, pull);
  const fresh = await imagesOnHost(deps, ctx, sel);
  const now = deps.now();
  const [who, commit] = await local;
  const info = { holder: who, since: now.toISOString(), command: sel.kind };
  await takeLock(deps, ctx, fresh[sel.services[0]].id, info, o.lockWait);
  try {
    const before = runningImages(await listContainers(deps, ctx.target, ctx.project), sel.services);
    const services = o.changedOnly
      ? sel.services.filter((s) => before[s]?.id !== fresh[s].id)
      : [...sel.services];
    showPlan(deps, ctx, sel, before, fresh, services);
    if (services.length === 0) return deps.ui.info("nothing changed: no service to redeploy");
    if (!o.yes && ctx.stage.confirm && !(await deps.ui.confirm(`${sel.kind} ${ctx.stage.name}?`))) {
      throw new FleetError(`${sel.kind} cancelled: nothing was changed`);
    }
    const meta = { id: releaseId(now), time: now.toISOString(), who, commit };
    const a: Attempt = { deps, ctx, sel, o, services, before, fresh, meta };
    const rest = services.length < sel.services.length
      ? releaseSteps(ctx, services, [], { pull: false, only: true, wait: o.timeout })
      : steps.filter((s) => s.title !== "pull");
    await protect(a);
    await release(a, rest);
  } finally {
    await unlock(deps, ctx.target, ctx.project);
  }
}

/** With no terminal to ask on and no --yes: exit 2 before any docker command (never hang). */
export function refuseWithoutTerminal(
  deps: Deps,
  ctx: ComposeContext,
  kind: string,
  o: { readonly yes?: boolean; readonly dryRun?: boolean; readonly always?: boolean },
): void {
  if (o.yes || o.dryRun || !(ctx.stage.confirm || o.always) || deps.ui.interactive) return;
  throw new UsageError(
    `refusing to ${kind} ${ctx.stage.name} without confirmation: stdin is not a terminal`,
    {
      hint: `pass --yes to ${kind} without asking (or set confirm: false in ${ctx.stage.file})`,
    },
  );
}

/** Image IDs of the selection on the host; a missing one is an error that says what to do. */
async function imagesOnHost(deps: Deps, ctx: ComposeContext, sel: Selection): Promise<Images> {
  const ids = await inspectImages(deps, ctx.target, sel.services.map((s) => sel.images[s]));
  const out: Images = {};
  for (const s of sel.services) {
    const ref = sel.images[s];
    const id = ids.get(ref);
    if (!id) {
      const only = sel.services.length > 1 ? ` -n ${s}` : "";
      throw new FleetError(`image ${ref} of service ${s} is not on ${ctx.target.label}`, {
        hint: sel.unpullable.includes(s)
          ? `build it first: fleet build ${ctx.stage.name}${only}`
          : "push it to the registry (fleet build --push), or deploy without --no-pull",
      });
    }
    out[s] = { ref, id };
  }
  return out;
}

/** What each service runs now (running or not), by service. */
export function runningImages(
  containers: readonly Container[],
  services: readonly string[],
): Images {
  const out: Images = {};
  for (const c of containers) {
    if (services.includes(c.service) && c.imageId) {
      out[c.service] = { ref: c.imageRef, id: c.imageId };
    }
  }
  return out;
}

async function takeLock(
  deps: Deps,
  ctx: ComposeContext,
  image: string,
  info: LockInfo,
  waitSec: number,
) {
  const deadline = Date.now() + waitSec * 1000;
  for (let announced = false;;) {
    const r = await tryLock(deps, ctx.target, ctx.project, image, info);
    if (r === true) return;
    if (r === "free") continue;
    const msg = `${ctx.stage.name} is locked by ${r.holder} (${
      r.command || "deploy"
    }) since ${r.since}`;
    if (Date.now() >= deadline) {
      throw new FleetError(msg, {
        hint:
          `wait for it (--lock-wait <seconds>), or if that process is gone: fleet unlock ${ctx.stage.name}`,
      });
    }
    if (!announced) deps.ui.info(`${msg}; waiting up to ${waitSec}s`);
    announced = true;
    await sleep(1000, deps.signal);
  }
}

/** Write a record of this attempt (or of its rollback) on the host. */
export function record(
  a: Attempt,
  r: Pick<Release, "kind" | "result"> & {
    images: Images;
    note?: string;
    model?: string;
    id?: string;
  },
): Promise<void> {
  const services = Object.fromEntries(
    a.services.filter((s) => r.images[s]).map((s) => [s, r.images[s]]),
  );
  return recordRelease(a.deps, a.ctx.target, {
    ...a.meta,
    id: r.id ?? a.meta.id,
    project: a.ctx.project,
    kind: r.kind,
    result: r.result,
    services,
    note: r.note ?? a.sel.note,
    model: r.model ?? a.ctx.model,
  });
}

async function release(a: Attempt, steps: readonly Step[]) {
  const { deps, ctx, sel, o, services } = a;
  try {
    await applySteps(deps, ctx, steps, services, o.timeout);
  } catch (e) {
    if (e instanceof InterruptedError) {
      await reportState(a);
      await record(a, {
        kind: sel.kind,
        result: "interrupted",
        images: a.fresh,
        note: "interrupted (Ctrl-C)",
      });
      throw e;
    }
    const rollBack = o.rollback && services.some((s) => a.before[s]);
    const result = rollBack ? "rolled-back" : "failed";
    await record(a, { kind: sel.kind, result, images: a.fresh, note: (e as Error).message });
    if (!rollBack) throw e;
    await autoRollback(a);
    throw new CommandError(
      `${sel.kind} of ${ctx.stage.name} failed and was rolled back: ${(e as Error).message}`,
      [],
      e instanceof CommandError ? e.stderrTail : "",
      { hint: `the previous release serves again; see fleet history ${ctx.stage.name}` },
    );
  }
  await Promise.all([keep(a), record(a, { kind: sel.kind, result: "ok", images: a.fresh })]);
  const verb = sel.kind === "deploy" ? "deployed" : "rolled back";
  deps.ui.out(`${verb} ${ctx.stage.project} to ${ctx.stage.name}: release ${a.meta.id}`);
  for (const s of services) {
    deps.ui.out(`  ${s}  ${a.fresh[s].ref}  ${short(a.fresh[s].id)}  ready`);
  }
}
