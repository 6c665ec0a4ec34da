/** Running one step with its progress shown: a heading, each output line prefixed, no silence. */
import type { Deps } from "./deps.ts";
import type { Step } from "./run.ts";

/**
 * Run one step, streaming its output prefixed with the step's kind (`up | …`); a step that
 * prints nothing for a while says so (`pull | still running (10s)`), so no wait is silent.
 * On a terminal that draws (Ui.progress), a step that knows its services' states
 * (Step.progress) shows them as a live block instead: one row per service, its seconds
 * ticking; other lines print above it.
 */
export async function runStep(deps: Deps, step: Step): Promise<void> {
  deps.ui.step(step.title, step.kind);
  const p = step.progress;
  const live = p && deps.ui.progress?.(
    p.services.map((service) => ({ service, text: p.start, phase: "working" as const })),
  );
  if (!p || !live) {
    await deps.runner.run(step, {
      onLine: (l) => deps.ui.line(step.kind, l),
      onQuiet: (s) => deps.ui.line(step.kind, `still running (${s}s)`),
    });
    return;
  }
  let ok = false;
  try {
    await deps.runner.run(step, {
      onLine(l) {
        const seen = p.read(l);
        if (seen.length === 0) deps.ui.line(step.kind, l);
        for (const o of seen) live.update(o);
      },
    });
    ok = true;
  } finally {
    live.end(ok ? p.settled : undefined);
  }
}
