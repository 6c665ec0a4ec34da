/**
 * One `docker compose` command on a stage's engine, the model on stdin (no file written) — or,
 * for commands that hand stdin to the user (exec, run), in `modelFile`.
 */
import type { Step, StepKind } from "../core/run.ts";
import type { EngineContext } from "./engine.ts";

/** The stage's active profiles for Compose (`COMPOSE_PROFILES`), where it has some. */
export function profilesEnv(ctx: EngineContext): Record<string, string> {
  const p = ctx.stage.profiles ?? [];
  return p.length ? { COMPOSE_PROFILES: p.join(",") } : {};
}

/**
 * A `docker compose` step on the stage's target with the model on stdin.
 * @example composeStep(ctx, "stop", ["stop", "web"]).argv
 * // ["docker", "compose", "-p", "myapp-live", "--project-directory", "/repo", "-f", "-", "stop", "web"]
 */
export function composeStep(
  ctx: EngineContext,
  kind: StepKind,
  args: readonly string[],
  title: string = kind,
  modelFile?: string,
): Step {
  return {
    kind,
    title,
    argv: [
      ...ctx.target.dockerArgv,
      "compose",
      "-p",
      ctx.project,
      "--project-directory",
      ctx.projectDir ?? ctx.stage.root,
      ...(ctx.files ?? []).flatMap((f) => ["-f", f]),
      "-f",
      modelFile ?? "-",
      ...args,
    ],
    env: { ...ctx.target.env, COMPOSE_PROGRESS: "plain", ...profilesEnv(ctx) },
    secretEnv: ctx.secretEnv,
    ...(modelFile ? {} : { input: ctx.model }),
  };
}
