/**
 * Compose's own check of the model fleet rendered, as part of the plan: what Compose would
 * reject (a bad port, an unknown key under `compose:`, an unset `${VAR:?…}`, a missing env file)
 * is a ConfigError (exit 2) before anything stops. `docker compose config` reads the model and
 * the environment only: it needs no engine, so it runs on the machine that runs fleet.
 */
import { ConfigError } from "../core/errors.ts";
import type { Deps } from "../core/deps.ts";
import { failed, type RunResult, type Step, tail } from "../core/run.ts";
import { stringify } from "yaml";
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
    argv: [...configArgv(ctx), "config", "--quiet"],
    env: { COMPOSE_ANSI: "never" },
    secretEnv: ctx.secretEnv,
    input: ctx.model,
  };
}

function configArgv(ctx: ComposeContext): string[] {
  return [
    ...["docker", "compose", "-p", ctx.project],
    ...["--project-directory", ctx.projectDir ?? ctx.stage.root],
    ...(ctx.files ?? []).flatMap((f) => ["-f", f]),
    ...["-f", "-"],
  ];
}

/**
 * Compose's own merge of the user's files with fleet's overlay, variables left as they are
 * (`config --no-interpolate`): the model a release deploys and records, standing alone.
 * @example mergeStep(ctx).argv.slice(-4) // ["config", "--no-interpolate", "--format", "json"]
 */
export function mergeStep(ctx: ComposeContext): Step {
  return {
    kind: "check",
    title: "merge the Compose files",
    argv: [...configArgv(ctx), "config", "--no-interpolate", "--format", "json"],
    env: { COMPOSE_ANSI: "never" },
    secretEnv: ctx.secretEnv,
    input: ctx.model,
  };
}

/**
 * On a stage with Compose files: the model Compose makes of them and fleet's overlay, as the
 * context's model (no files left); fleet builds the images of services with a build, so their
 * `build:` goes (nothing is built on the host). Elsewhere the context as it is.
 */
export async function mergeModel(deps: Deps, ctx: ComposeContext): Promise<ComposeContext> {
  if (!ctx.files?.length) return ctx;
  const step = mergeStep(ctx);
  const r = await deps.runner.run(step, { check: false });
  if (r.code !== 0) rejected(ctx, step, r);
  const m = JSON.parse(r.stdout) as { services?: Record<string, Record<string, unknown>> };
  for (const svc of ctx.stage.services) {
    const out = m.services?.[svc.name];
    if (!out) continue;
    if (svc.build) delete out.build;
    // Compose parses a short volume without its variables resolved (`${DIR:-.}/x:/x` splits at
    // the wrong colon): such a list goes as written, for Compose to read once it resolves them
    if (svc.volumes?.some((v) => typeof v === "string" && v.includes("$"))) {
      out.volumes = svc.volumes;
    }
  }
  return { ...ctx, files: [], model: stringify(m, { lineWidth: 0 }) };
}

function rejected(ctx: ComposeContext, step: Step, r: RunResult): never {
  if (!MODEL_ERRORS.includes(r.code)) throw failed(step, r);
  const why = tail(r.stderr || r.stdout, 5).trim();
  throw new ConfigError(`${ctx.stage.file}: Docker Compose rejects the model: ${why}`, {
    hint: `\`fleet config ${ctx.stage.name} --compose\` shows the model fleet renders`,
  });
}

/**
 * Run Compose's check; a model it rejects is a ConfigError with Compose's message (exit 2).
 * Any other failure (no `docker compose` at all) is the step's CommandError (exit 1).
 */
export async function checkModel(deps: Deps, ctx: ComposeContext): Promise<ComposeContext> {
  const merged = await mergeModel(deps, ctx);
  const step = composeCheckStep(merged);
  const r = await deps.runner.run(step, { check: false });
  if (r.code === 0) return merged;
  rejected(merged, step, r);
}
