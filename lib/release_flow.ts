/**
 * The release flow shared by deploy and rollback: pull → check images → lock → plan and
 * confirm → stop → rm → up → wait → record; on failure, put the previous release back.
 */
import type { Deps } from "./deps.ts";
import { CommandError, FleetError, InterruptedError, UsageError } from "./errors.ts";
import { type Container, inspectImages, listContainers } from "./host.ts";
import { waitHealthy } from "./health.ts";
import {
  type ComposeContext,
  composeContext,
  composeStep,
  dockerStep,
  releaseSteps,
} from "./plan_deploy.ts";
import type { Step } from "./run.ts";
import {
  gitCommit,
  keepTag,
  type LockInfo,
  recordRelease,
  type Release,
  releaseId,
  type ReleaseImage,
  tryLock,
  unlock,
  whoAmI,
} from "./release.ts";
import { sleep } from "./health.ts";

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

type Images = Record<string, ReleaseImage>;

/** Run one step, streaming its output prefixed with the step's title. */
export async function runStep(deps: Deps, step: Step): Promise<void> {
  deps.ui.step(`${step.title}`);
  await deps.runner.run(step, { onLine: (l) => deps.ui.line(step.title.split(" ")[0], l) });
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
  const { stage, target } = ctx;
  refuseWithoutTerminal(deps, ctx, sel.kind, o);
  const pull = steps.find((s) => s.title === "pull");
  if (pull) await runStep(deps, pull);
  const fresh = await imagesOnHost(deps, ctx, sel);
  const now = deps.now();
  const who = await whoAmI(deps, stage.root);
  await takeLock(deps, ctx, fresh[sel.services[0]].id, {
    holder: who,
    since: now.toISOString(),
    command: sel.kind,
  }, o.lockWait);
  try {
    const before = runningImages(await listContainers(deps, target, ctx.project), sel.services);
    const services = o.changedOnly
      ? sel.services.filter((s) => before[s]?.id !== fresh[s].id)
      : [...sel.services];
    showPlan(deps, ctx, sel, before, fresh, services);
    if (services.length === 0) return deps.ui.info("nothing changed: no service to redeploy");
    if (!o.yes && stage.confirm && !(await deps.ui.confirm(`${sel.kind} ${stage.name}?`))) {
      throw new FleetError(`${sel.kind} cancelled: nothing was changed`);
    }
    const rest = o.changedOnly
      ? releaseSteps(ctx, services, [], {
        pull: false,
        only: o.only || services.length < sel.services.length,
      })
      : steps.filter((s) => s.title !== "pull");
    const meta = {
      id: releaseId(now),
      time: now.toISOString(),
      who,
      commit: await gitCommit(deps, stage.root),
    };
    await protect(deps, ctx, before);
    await release(deps, ctx, sel, services, rest, before, fresh, o, meta);
  } finally {
    await unlock(deps, target, ctx.project);
  }
}

/** With no terminal to ask on and no --yes: exit 2 before any docker command (never hang). */
export function refuseWithoutTerminal(
  deps: Deps,
  ctx: ComposeContext,
  kind: string,
  o: FlowOptions,
): void {
  if (o.yes || o.dryRun || !ctx.stage.confirm || deps.ui.interactive) return;
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
      throw new FleetError(`image ${ref} of service ${s} is not on ${ctx.target.label}`, {
        hint: sel.unpullable.includes(s)
          ? `build it first: fleet build ${ctx.stage.name}${
            sel.services.length > 1 ? ` -n ${s}` : ""
          }`
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
    const msg = `${ctx.stage.name} is locked by ${r.holder} (${
      r.command || "deploy"
    }) since ${r.since}`;
    if (Date.now() >= deadline) {
      throw new FleetError(msg, {
        hint:
          `wait for it (--lock-wait <seconds>), or if that process is gone: fleet unlock ${ctx.stage.name}`,
      });
    }
    if (!announced) deps.ui.info(`${msg}; waiting up to ${waitSec}s`), announced = true;
    await sleep(1000, deps.signal);
  }
}

const short = (id: string | undefined) => (id ? id.replace(/^sha256:/, "").slice(0, 12) : "none");

function showPlan(
  deps: Deps,
  ctx: ComposeContext,
  sel: Selection,
  before: Images,
  fresh: Images,
  services: string[],
) {
  deps.ui.step(
    `${
      sel.note ?? sel.kind
    } ${ctx.stage.project} to ${ctx.stage.name} on ${ctx.target.label} (project ${ctx.project})`,
  );
  for (const s of sel.services) {
    const change = !before[s]
      ? `new ${short(fresh[s].id)}`
      : before[s].id === fresh[s].id
      ? `unchanged ${short(fresh[s].id)}`
      : `${short(before[s].id)} → ${short(fresh[s].id)}`;
    const what = services.includes(s) ? "stop → rm → up: a short outage" : "skipped (unchanged)";
    deps.ui.info(`    ${s}  ${sel.images[s]}  ${change}  (${what})`);
  }
}

/** Tag what runs now, so the previous release survives the pull, the rm and a prune. */
async function protect(deps: Deps, ctx: ComposeContext, before: Images) {
  for (const [s, img] of Object.entries(before)) {
    await deps.runner.run(
      dockerStep(ctx.target, `keep previous ${s}`, ["tag", img.id, prevTag(ctx, s, img)]),
    );
  }
}

const prevTag = (ctx: ComposeContext, s: string, img: ReleaseImage) =>
  keepTag(
    img.ref.startsWith("sha256:") ? `fleet-kept/${ctx.project}-${s}` : img.ref,
    `prev-${ctx.project}-${s}`,
  );

interface Meta {
  readonly id: string;
  readonly time: string;
  readonly who: string;
  readonly commit: string;
}

async function release(
  deps: Deps,
  ctx: ComposeContext,
  sel: Selection,
  services: readonly string[],
  steps: readonly Step[],
  before: Images,
  fresh: Images,
  o: FlowOptions,
  meta: Meta,
) {
  const pick = (imgs: Images, names: readonly string[]) =>
    Object.fromEntries(names.filter((n) => imgs[n]).map((n) => [n, imgs[n]]));
  const rec = (r: Pick<Release, "kind" | "result">, imgs: Images, note?: string, id = meta.id) =>
    recordRelease(deps, ctx.target, {
      ...meta,
      id,
      project: ctx.project,
      services: imgs,
      note: note ?? sel.note,
      ...r,
    });
  try {
    for (const step of steps) await runStep(deps, step);
    deps.ui.step(
      `wait for ${services.join(", ")} (running${
        o.timeout ? `, healthy; up to ${o.timeout}s` : ""
      })`,
    );
    await waitHealthy(deps, ctx, services, o.timeout);
  } catch (e) {
    if (e instanceof InterruptedError) {
      await reportState(deps, ctx, services, before, fresh);
      await rec(
        { kind: sel.kind, result: "interrupted" },
        pick(fresh, services),
        "interrupted (Ctrl-C)",
      );
      throw e;
    }
    const prev = services.filter((s) => before[s]);
    const rollBack = o.rollback && prev.length > 0;
    await rec(
      { kind: sel.kind, result: rollBack ? "rolled-back" : "failed" },
      pick(fresh, services),
      (e as Error).message,
    );
    if (!rollBack) throw e;
    await autoRollback(
      deps,
      ctx,
      sel,
      services,
      before,
      o,
      (kind, result, note) => rec({ kind, result }, pick(before, prev), note, `${meta.id}-rb`),
    );
    throw new CommandError(
      `${sel.kind} of ${ctx.stage.name} failed and was rolled back: ${(e as Error).message}`,
      [],
      e instanceof CommandError ? e.stderrTail : "",
      { hint: `the previous release serves again; see fleet history ${ctx.stage.name}` },
    );
  }
  await keep(deps, ctx, pick(fresh, services), meta.id);
  await rec({ kind: sel.kind, result: "ok" }, pick(fresh, services));
  deps.ui.out(
    `${
      sel.kind === "deploy" ? "deployed" : "rolled back"
    } ${ctx.stage.project} to ${ctx.stage.name}: release ${meta.id}`,
  );
  for (const s of services) deps.ui.out(`  ${s}  ${fresh[s].ref}  ${short(fresh[s].id)}  ready`);
}

/** Tag the release's images so `fleet rollback` can find them later. */
async function keep(deps: Deps, ctx: ComposeContext, imgs: Images, id: string) {
  for (const [s, img] of Object.entries(imgs)) {
    await deps.runner.run(
      dockerStep(ctx.target, `keep ${s}`, ["tag", img.id, keepTag(img.ref, id)]),
      { check: false },
    );
  }
}

async function autoRollback(
  deps: Deps,
  ctx: ComposeContext,
  sel: Selection,
  services: readonly string[],
  before: Images,
  o: FlowOptions,
  rec: (kind: Release["kind"], result: Release["result"], note: string) => Promise<void>,
) {
  const prev = services.filter((s) => before[s]);
  const gone = services.filter((s) => !before[s]);
  deps.ui.warn(`release failed: rolling back ${prev.join(", ")} to the previous release`);
  const images = Object.fromEntries(prev.map((s) => [s, prevTag(ctx, s, before[s])]));
  const rb = composeContext(ctx.stage, deps.env, { images: { ...sel.images, ...images } });
  try {
    if (gone.length) {
      await runStep(deps, composeStep(rb, "stop (new services)", ["stop", ...gone]));
      await runStep(
        deps,
        composeStep(rb, "rm (new services)", ["rm", "--force", "--stop", ...gone]),
      );
    }
    for (const step of releaseSteps(rb, prev, [], { pull: false, only: true })) {
      await runStep(deps, step);
    }
    await waitHealthy(deps, rb, prev, o.timeout);
  } catch (e) {
    await rec("auto-rollback", "failed", (e as Error).message);
    throw new CommandError(
      `the release failed, and so did the rollback: ${(e as Error).message}`,
      [],
      "",
      {
        hint: `look at fleet ps ${ctx.stage.name} and fleet logs ${ctx.stage.name}`,
      },
    );
  }
  await rec("auto-rollback", "ok", "previous release restored");
}

async function reportState(
  deps: Deps,
  ctx: ComposeContext,
  services: readonly string[],
  before: Images,
  fresh: Images,
) {
  const now = runningImages(await listContainers(deps, ctx.target, ctx.project), services);
  deps.ui.warn(`interrupted: the deploy lock is released; state of ${ctx.stage.name}:`);
  for (const s of services) {
    const which = !now[s]
      ? "no container"
      : now[s].id === fresh[s]?.id
      ? "new release"
      : now[s].id === before[s]?.id
      ? "previous release"
      : "another image";
    deps.ui.warn(`  ${s}: ${which} (${short(now[s]?.id)})`);
  }
}

function dryRun(deps: Deps, ctx: ComposeContext, sel: Selection, steps: readonly Step[]) {
  deps.ui.out(
    `${
      sel.note ?? sel.kind
    } ${ctx.stage.project} to ${ctx.stage.name} on ${ctx.target.label} (project ${ctx.project})`,
  );
  for (const s of sel.services) deps.ui.out(`  ${s}  ${sel.images[s]}`);
  deps.ui.out(
    "would run (Compose model on stdin, see `fleet config " + ctx.stage.name + " --compose`):",
  );
  for (const s of steps) {
    const env = Object.keys({ ...s.env, ...s.secretEnv }).filter((k) => k !== "COMPOSE_PROGRESS");
    deps.ui.out(`  ${env.length ? `[env: ${env.join(", ")}] ` : ""}${s.argv.join(" ")}`);
  }
  deps.ui.out("  then wait until running and healthy, and record the release on the host");
}

/** The release to roll back to and the image reference of each service in it. */
export async function pickRollback(
  deps: Deps,
  ctx: ComposeContext,
  releases: readonly Release[],
  names: readonly string[],
  to?: string,
): Promise<{ release: Release; images: Record<string, string> }> {
  const good = releases.filter((r) => r.result === "ok");
  let rel: Release | undefined;
  if (to) {
    rel = releases.find((r) => r.id === to);
    if (!rel) {
      throw new UsageError(
        `unknown release "${to}" (releases: ${
          releases.slice(0, 8).map((r) => r.id).join(", ") || "none"
        })`,
      );
    }
  } else {
    const now = runningImages(await listContainers(deps, ctx.target, ctx.project), names);
    rel = good.find((r) => names.some((n) => r.services[n] && r.services[n].id !== now[n]?.id));
    if (!rel) {
      throw new FleetError(
        `no earlier successful release of ${ctx.stage.name} differs from what runs now`,
        { hint: `fleet history ${ctx.stage.name}` },
      );
    }
  }
  const images: Record<string, string> = {};
  for (const n of names.filter((n) => rel.services[n])) {
    const tagged = keepTag(rel.services[n].ref, rel.id);
    const have = await inspectImages(deps, ctx.target, [tagged, rel.services[n].id]);
    const ref = have.get(tagged)
      ? tagged
      : have.get(rel.services[n].id)
      ? rel.services[n].id
      : undefined;
    if (!ref) {
      throw new FleetError(
        `the image of ${n} in release ${rel.id} is no longer on ${ctx.target.label}`,
      );
    }
    images[n] = ref;
  }
  if (Object.keys(images).length === 0) {
    throw new FleetError(`release ${rel.id} has none of: ${names.join(", ")}`);
  }
  return { release: rel, images };
}
