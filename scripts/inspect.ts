/**
 * `fleet stages` and `fleet config <stage> [--compose]`: read-only views of the stage files.
 * Each returns its result; the edge renders it (lib/report/stage_text.ts).
 */
import { ConfigError } from "../lib/core/errors.ts";
import {
  findRoot,
  invalidNameError,
  invalidStageFiles,
  listStages,
  loadStage,
} from "../lib/config/stage.ts";
import { withProfiles } from "../lib/config/services.ts";
import type { Deps } from "../lib/core/deps.ts";
import type { ConfigResult, StageSummary } from "../lib/report/stage_text.ts";

export type { ConfigResult, StageSummary };

/** Every stage, loaded; a broken stage file is listed with its error. */
export function stages(opts: { dir?: string }, cwd = Deno.cwd()): StageSummary[] {
  const root = findRoot(cwd, opts.dir);
  return listStages(root).map((name) => {
    try {
      return { name, stage: loadStage(root, name) };
    } catch (e) {
      return { name, error: e instanceof Error ? e.message : String(e) };
    }
  }).concat(
    invalidStageFiles(root).map((name) => ({
      name,
      error: invalidNameError(root, name)!.message,
    })),
  );
}

/** The ConfigError for the broken stage files of a listing (exit 2), if any. */
export function stageErrors(list: readonly StageSummary[]): ConfigError | undefined {
  const errors = list.flatMap((s) => (s.error ? [s.error] : []));
  return errors.length
    ? new ConfigError(errors.join("\n"), { hint: "fix the stage files above" })
    : undefined;
}

/** The resolved stage, and the model its engine deploys (`fleet config --compose`). */
export async function config(
  stageName: string,
  opts: { dir?: string; compose?: boolean; profile?: string[] },
  cwd = Deno.cwd(),
  deps?: Deps,
): Promise<ConfigResult> {
  const stage = withProfiles(loadStage(findRoot(cwd, opts.dir), stageName), opts.profile);
  // the engines are config's alone: `fleet stages` starts without loading them
  const { engineFor } = await import("../lib/engine/engines.ts");
  // no variable is needed to print the model; HOME resolves `~/` in bind mounts
  const env = { HOME: Deno.env.get("HOME") };
  const ctx = engineFor(stage).context(stage, env, { requireVars: false });
  // a stage with Compose files: the model is Compose's merge of them with fleet's overlay
  if (opts.compose && deps && ctx.files?.length) {
    const { mergeModel } = await import("../lib/engine/compose_check.ts");
    return { stage, model: (await mergeModel(deps, ctx)).model };
  }
  return { stage, model: ctx.model };
}
