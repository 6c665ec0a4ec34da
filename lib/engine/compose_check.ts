/**
 * Compose's own check of the model fleet rendered, as part of the plan: what Compose would
 * reject (a bad port, an unknown key under `compose:`, an unset `${VAR:?…}`, a missing env file)
 * is a ConfigError (exit 2) before anything stops. `docker compose config` reads the model and
 * the environment only: it needs no engine, so it runs on the machine that runs fleet.
 */
import { ConfigError } from "../core/errors.ts";
import type { Deps } from "../core/deps.ts";
import { failed, type RunResult, type Step, tail } from "../core/run.ts";
import { parse, stringify } from "yaml";
import { mergeService } from "../config/compose_files.ts";
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
 * Compose's own merge of the user's files, variables left as they are (`config
 * --no-interpolate`); fleet's overlay goes on top of it (mergeModel).
 * @example mergeStep(ctx).argv.slice(-4) // ["config", "--no-interpolate", "--format", "json"]
 */
export function mergeStep(ctx: ComposeContext): Step {
  return {
    kind: "check",
    title: "merge the Compose files",
    argv: [...configArgv(ctx).slice(0, -2), "config", "--no-interpolate", "--format", "json"],
    env: { COMPOSE_ANSI: "never" },
  };
}

type Model = Record<string, unknown> & { services?: Record<string, Record<string, unknown>> };

/** The key of an overlay that names the Compose files it goes over (when it cannot stand alone). */
export const FILES_KEY = "x-fleet-files";

/**
 * On a stage with Compose files: the model Compose makes of them, with fleet's overlay on top
 * (its images, labels and the stage files' settings, by Compose's merge rules), as the context's
 * model with no files left: it stands alone, so a rollback puts back exactly that. Fleet builds
 * the images of services with a build, so their `build:` goes. Where Compose cannot merge the
 * files unresolved (2.26 checks a merge of several files before it resolves variables), the
 * release goes over the files themselves, and the overlay names them (FILES_KEY).
 */
export async function mergeModel(deps: Deps, ctx: ComposeContext): Promise<ComposeContext> {
  if (!ctx.files?.length) return ctx;
  const step = mergeStep(ctx);
  const r = await deps.runner.run(step, { check: false });
  if (r.code !== 0 && /validating/.test(r.stderr) && ctx.files.length > 1) {
    const overlay = parse(ctx.model) as Model;
    return { ...ctx, model: stringify({ ...overlay, [FILES_KEY]: ctx.files }, { lineWidth: 0 }) };
  }
  if (r.code !== 0) rejected(ctx, step, r);
  const m = JSON.parse(r.stdout) as Model;
  const overlay = parse(ctx.model) as Model;
  const services: Record<string, Record<string, unknown>> = { ...m.services };
  for (const [name, o] of Object.entries(overlay.services ?? {})) {
    services[name] = mergeService(services[name] ?? {}, o);
  }
  for (const svc of ctx.stage.services) {
    const out = services[svc.name];
    if (svc.build) delete out.build;
    // Compose parses a short volume without its variables resolved (`${DIR:-.}/x:/x` splits at
    // the wrong colon): such a list goes as written, for Compose to read once it resolves them
    if (svc.volumes?.some((v) => typeof v === "string" && v.includes("$"))) {
      out.volumes = svc.volumes;
    }
    // and a dependency named by a variable cannot be a key of the long syntax it makes
    const deps = svc.depends_on;
    if (Array.isArray(deps) && deps.some((d) => d.includes("$"))) out.depends_on = deps;
  }
  const top = Object.fromEntries(
    ["networks", "volumes", "configs", "secrets"].filter((k) => overlay[k] || m[k]).map((k) => [
      k,
      { ...(m[k] as object), ...(overlay[k] as object) },
    ]),
  );
  const model = { ...m, name: overlay.name, ...top, services };
  return { ...ctx, files: [], model: stringify(model, { lineWidth: 0 }) };
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
