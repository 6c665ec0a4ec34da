/** The variables a stage's engine context needs, one rule for every engine. */
import { keyAt } from "./positions.ts";
import type { Stage } from "./stage.ts";
import { requireVars } from "./vars.ts";

/**
 * The variables a stage's context needs, checked: every service setting's (unless `readOnly`:
 * read-only commands need none) and the host's (without them a command would go to another
 * engine). Each problem named at its position in the stage file.
 */
export function requireStageVars(
  stage: Stage,
  env: Readonly<Record<string, string | undefined>>,
  readOnly: boolean,
): void {
  const settings = stage.services.map(({ build: _b, ...rest }) => rest);
  requireVars([
    ...(readOnly
      ? []
      : settings.flatMap(({ name, ...s }) =>
        Object.entries(s).map(([k, v]) => [keyAt(stage, ["services", name, k]), v] as const)
      )),
    [keyAt(stage, ["host"]), stage.host ?? ""] as const,
  ], env);
}
