/** Running one step with its progress shown: a heading, then each output line prefixed. */
import type { Deps } from "./deps.ts";
import type { Step } from "./run.ts";

/** Run one step, streaming its output prefixed with the step's kind (`up | …`). */
export async function runStep(deps: Deps, step: Step): Promise<void> {
  deps.ui.step(step.title);
  await deps.runner.run(step, { onLine: (l) => deps.ui.line(step.kind, l) });
}
