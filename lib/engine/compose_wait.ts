/**
 * The wait after `up`: every deployed container running, and healthy where it has a
 * healthcheck. Compose waits (`up --wait`); when it fails, `assess` (the pure verdict on the
 * containers' states) says which service and why.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { type Step, tail } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import { type ContainerState, containerStates, listContainers } from "../docker/queries.ts";
import { composeStep } from "./compose_step.ts";
import type { EngineContext } from "./engine.ts";
import type { Stage } from "../config/stage.ts";

/** The verdict on a set of container states. */
export type Verdict =
  | { readonly kind: "ready" }
  | { readonly kind: "waiting"; readonly why: string }
  | { readonly kind: "failed"; readonly service: string; readonly why: string };

/**
 * The one-shot services of a stage (a migration, an init job): those another service waits on
 * with `service_completed_successfully`, and those with `restart: "no"`. Done when they exit 0.
 * @example oneShots(stage) // Set { "migrate" }
 */
export function oneShots(stage: Stage): Set<string> {
  const out = new Set<string>();
  for (const svc of stage.services) {
    if (svc.restart === "no") out.add(svc.name);
    const deps = svc.depends_on;
    if (!deps || Array.isArray(deps)) continue;
    for (const [name, d] of Object.entries(deps)) {
      if (d.condition === "service_completed_successfully") out.add(name);
    }
  }
  return out;
}

/**
 * Ready when each expected service has a running container that is healthy (or has no
 * healthcheck), or, for a one-shot service, one that exited 0; failed as soon as one exited
 * (a one-shot: with another code), died or is unhealthy.
 * @example assess([{ service: "web", status: "running", health: "" , …}], ["web"]) // ready
 */
export function assess(
  states: readonly ContainerState[],
  services: readonly string[],
  once: ReadonlySet<string> = new Set(),
): Verdict {
  const done = (s: ContainerState) =>
    once.has(s.service) && s.status === "exited" && s.exitCode === 0;
  for (const s of states) {
    if (done(s)) continue;
    if (once.has(s.service) && s.status === "exited") {
      return {
        kind: "failed",
        service: s.service,
        why: `the one-shot job exited with code ${s.exitCode}`,
      };
    }
    if (s.status === "exited" || s.status === "dead") {
      return {
        kind: "failed",
        service: s.service,
        why: `container ${s.status} (exit code ${s.exitCode})`,
      };
    }
    if (s.health === "unhealthy") {
      return { kind: "failed", service: s.service, why: "healthcheck failed (unhealthy)" };
    }
  }
  for (const svc of services) {
    const mine = states.filter((s) => s.service === svc);
    if (mine.length === 0) return { kind: "waiting", why: `${svc}: no container yet` };
    const bad = mine.find((s) =>
      !done(s) && (s.status !== "running" || (s.health !== "" && s.health !== "healthy"))
    );
    if (bad) {
      return {
        kind: "waiting",
        why: `${svc}: ${bad.status}${bad.health ? `, ${bad.health}` : ""}`,
      };
    }
  }
  return { kind: "ready" };
}

/**
 * Run the release steps (stop → rm → up, `up` waiting with Compose's --wait). When `up` fails,
 * say which service did not get ready and why, with its last log lines.
 */
export async function applySteps(
  deps: Deps,
  ctx: EngineContext,
  steps: readonly Step[],
  services: readonly string[],
  timeoutSec: number,
): Promise<void> {
  for (const step of steps) {
    const started = deps.now().getTime();
    try {
      await runStep(deps, step);
    } catch (e) {
      if (step.kind !== "up" || !(e instanceof CommandError)) throw e;
      const v = await verdict(deps, ctx, services);
      // Compose versions differ on a one-shot job that ended well: what counts is the verdict
      if (v.kind === "ready" && oneShots(ctx.stage).size > 0) continue;
      throw await explainWait(deps, ctx, services, timeoutSec, e, v);
    }
    // Compose 2.x's `up --wait` can return 0 when --wait-timeout runs out (seen with 2.26):
    // a success that arrives at the deadline is checked against the containers themselves.
    const took = deps.now().getTime() - started;
    if (step.kind === "up" && timeoutSec > 0 && took >= (timeoutSec - 1) * 1000) {
      const late = new CommandError(
        "up --wait returned at its deadline",
        [],
        "not healthy after the timeout",
      );
      const v = await verdict(deps, ctx, services);
      if (v.kind !== "ready") throw await explainWait(deps, ctx, services, timeoutSec, late, v);
    }
  }
}

/** The verdict on the services' containers, as the host reports them now. */
async function verdict(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
): Promise<Verdict> {
  const ids = (await listContainers(deps, ctx.target, ctx.project))
    .filter((c) => services.includes(c.service)).map((c) => c.id);
  return assess(await containerStates(deps, ctx.target, ids), services, oneShots(ctx.stage));
}

/** Why `up` failed: a service that exited, is unhealthy, or was not ready in time (else `cause`). */
async function explainWait(
  deps: Deps,
  ctx: EngineContext,
  services: readonly string[],
  timeoutSec: number,
  cause: CommandError,
  known?: Verdict,
): Promise<CommandError> {
  const v = known ?? await verdict(deps, ctx, services);
  if (v.kind === "failed") return await failure(deps, ctx, v.service, v.why);
  if (v.kind === "waiting" && /not healthy after|deadline/i.test(cause.stderrTail)) {
    const svc = v.why.split(":")[0];
    return await failure(deps, ctx, svc, `not ready after ${timeoutSec}s (${v.why})`);
  }
  return cause;
}

async function failure(
  deps: Deps,
  ctx: EngineContext,
  service: string,
  why: string,
): Promise<CommandError> {
  const logs = await deps.runner.run(
    composeStep(ctx, "logs", ["logs", "--no-color", "--tail", "20", service], `logs ${service}`),
    { check: false, uninterruptible: true },
  );
  return new CommandError(
    `service ${service} did not become ready: ${why}`,
    [],
    `last log lines of ${service}:\n${tail(logs.stdout + logs.stderr, 20) || "(no output)"}`,
    { hint: `fleet logs ${ctx.stage.name} -n ${service}` },
  );
}
