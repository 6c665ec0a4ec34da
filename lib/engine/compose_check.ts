/**
 * Compose's own check of the model fleet rendered, as part of the plan: what Compose would
 * reject (a bad port, an unknown key under `compose:`, an unset `${VAR:?…}`, a missing env file)
 * is a ConfigError (exit 2) before anything stops. `docker compose config` reads the model and
 * the environment only: it needs no engine, so it runs on the machine that runs fleet.
 */
import { ConfigError } from "../core/errors.ts";
import type { Deps } from "../core/deps.ts";
import { failed, type Step, tail } from "../core/run.ts";
import type { EngineContext as ComposeContext } from "./engine.ts";

// Compose's exit codes for a model it cannot read (FileNotFoundFailure, ComposeParseFailure)
const MODEL_ERRORS = [14, 15];

/**
 * The step: the model on stdin, `${VAR}` values in the child's environment (never argv).
 * @example composeCheckStep(ctx).argv
 * // ["docker", "compose", "-p", "myapp-live", "--project-directory", "/repo", "-f", "-", "config", "--quiet"]
 */
export function composeCheckStep(ctx: ComposeContext): Step {
  return {
    kind: "check",
    title: "check the Compose model",
    argv: [
      ...["docker", "compose", "-p", ctx.project, "--project-directory", ctx.stage.root],
      ...["-f", "-", "config", "--quiet"],
    ],
    env: { COMPOSE_ANSI: "never" },
    secretEnv: ctx.secretEnv,
    input: ctx.model,
  };
}

/**
 * Run Compose's check; a model it rejects is a ConfigError with Compose's message (exit 2).
 * Any other failure (no `docker compose` at all) is the step's CommandError (exit 1).
 */
export async function checkModel(deps: Deps, ctx: ComposeContext): Promise<void> {
  const step = composeCheckStep(ctx);
  const r = await deps.runner.run(step, { check: false });
  if (r.code === 0) return;
  if (!MODEL_ERRORS.includes(r.code)) throw failed(step, r);
  const why = tail(r.stderr || r.stdout, 5).trim();
  throw new ConfigError(`${ctx.stage.file}: Docker Compose rejects the model: ${why}`, {
    hint: `\`fleet config ${ctx.stage.name} --compose\` shows the model fleet renders`,
  });
}
