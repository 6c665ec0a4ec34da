/**
 * `fleet stages` and `fleet config <stage> [--compose]`: read-only views of the stage files.
 * Needs: lib/stage.ts, lib/inspect.ts, lib/compose.ts, lib/images.ts (+ deno.json: yaml, valibot).
 */
import { ConfigError } from "../lib/core/errors.ts";
import { findRoot, listStages, loadStage, type Stage } from "../lib/config/stage.ts";
import { configYaml, STAGE_HEADER, stageRow, table } from "../lib/report/stage_text.ts";
import { composeYaml } from "../lib/engine/compose_model.ts";

type Out = (text: string) => void;

/** Print every stage with its host, registry, platform; a broken stage file fails the run (exit 2). */
export function stagesCommand(opts: { dir?: string }, out: Out = console.log): void {
  const root = findRoot(Deno.cwd(), opts.dir);
  const rows = [STAGE_HEADER];
  const errors: string[] = [];
  for (const name of listStages(root)) {
    try {
      rows.push(stageRow(loadStage(root, name)));
    } catch (e) {
      rows.push([name, "(invalid stage file)", "-", "-", "-"]);
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  out(table(rows));
  if (errors.length) {
    throw new ConfigError(errors.join("\n"), { hint: "fix the stage files above" });
  }
}

/** Print the resolved stage, or with `compose` the Compose model fleet deploys. */
export function configCommand(
  stage: string,
  opts: { dir?: string; compose?: boolean },
  out: Out = (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
): Stage {
  const s = loadStage(findRoot(Deno.cwd(), opts.dir), stage);
  out(opts.compose ? composeYaml(s) : configYaml(s));
  return s;
}
