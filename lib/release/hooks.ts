/**
 * Hooks (SPEC §11): commands from the stage file run on the machine that runs fleet, as argv
 * (no shell), in the project root, with FLEET_STAGE, FLEET_RELEASE, FLEET_RESULT and
 * FLEET_SERVICES in their environment.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError, withResult } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import { runStep } from "../core/steps.ts";
import type { Stage } from "../config/stage.ts";
import type { ReleaseResult } from "./types.ts";

/** What a hook is told. */
export interface HookVars {
  readonly release: string;
  /** "pending" before the deploy; then ok, rolled-back, failed, unchanged. */
  readonly result: string;
  readonly services: readonly string[];
}

/**
 * The steps of a stage's `pre_deploy` or `post_deploy` hooks. `secrets` are the stage's resolved
 * variables (the release's secretEnv): a hook inherits them from fleet's environment anyway, and
 * as the step's secretEnv its output and error tail show them masked, like every other output.
 * @example hookSteps(stage, "post", v)[0].env // { FLEET_STAGE: "live", FLEET_RELEASE: "r…", … }
 */
export function hookSteps(
  stage: Stage,
  which: "pre" | "post",
  v: HookVars,
  secrets: Readonly<Record<string, string>> = {},
): Step[] {
  return stage.hooks[which].map((argv) => ({
    kind: "hook",
    title: `${which}_deploy hook: ${argv.join(" ")}`,
    argv,
    cwd: stage.root,
    env: {
      FLEET_STAGE: stage.name,
      FLEET_RELEASE: v.release,
      FLEET_RESULT: v.result,
      FLEET_SERVICES: v.services.join(","),
    },
    ...(Object.keys(secrets).length ? { secretEnv: secrets } : {}),
  }));
}

/** Run the hooks in order; the first that fails throws (its CommandError). */
export async function runHooks(
  deps: Deps,
  stage: Stage,
  which: "pre" | "post",
  v: HookVars,
  secrets: Readonly<Record<string, string>> = {},
): Promise<void> {
  for (const step of hookSteps(stage, which, v, secrets)) await runStep(deps, step);
}

/**
 * A post_deploy hook failed after the release was done: the release's own result stands (the
 * result this error carries says it, with the hook's failure beside it); the exit code is 1.
 */
export class HookError extends CommandError {}

/**
 * post_deploy hooks with the release's result. One that fails after a good release is a
 * HookError (exit 1) whose result is still the release's, the hook's failure beside it; after a
 * failed release (`failed` given), a warning: the release's own error is the one to report.
 */
export async function runPostHooks(
  deps: Deps,
  stage: Stage,
  r: ReleaseResult,
  secrets: Readonly<Record<string, string>>,
  failed?: unknown,
): Promise<void> {
  const v = { release: r.release ?? "", result: r.result, services: r.services.map((s) => s.name) };
  try {
    await runHooks(deps, stage, "post", v, secrets);
  } catch (e) {
    if (failed) return deps.ui.warn(`post_deploy hook failed too: ${(e as Error).message}`);
    const error = (e as Error).message; // "post_deploy hook: <argv> failed (exit 3)"
    throw withResult(
      new HookError(
        `${error}; release ${r.release} stands (${r.result})`,
        [],
        e instanceof CommandError ? e.stderrTail : "",
      ),
      { ...r, hook: { which: "post_deploy", error } },
    );
  }
}
