/** Running one step with its progress shown: a heading, each output line prefixed, no silence. */
import type { Deps } from "./deps.ts";
import type { Step } from "./run.ts";

/**
 * Run one step, streaming its output prefixed with the step's kind (`up | …`); a step that
 * prints nothing for a while says so (`pull | still running (10s)`), so no wait is silent.
 */
export async function runStep(deps: Deps, step: Step): Promise<void> {
  deps.ui.step(step.title, step.kind);
  await deps.runner.run(step, {
    onLine: (l) => deps.ui.line(step.kind, l),
    onQuiet: (s) => deps.ui.line(step.kind, `still running (${s}s)`),
  });
}
