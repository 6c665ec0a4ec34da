/** runStep: lines and "still running" off a terminal; a live block where the UI draws one. */
import assert from "node:assert/strict";
import type { Step } from "../../lib/core/run.ts";
import { runStep } from "../../lib/core/steps.ts";
import { recordingRunner, recordingUi, testDeps } from "../helpers.ts";

const step: Step = {
  kind: "pull",
  title: "pull",
  argv: ["tool", "pull"],
  progress: {
    services: ["web", "api"],
    start: "pulling…",
    settled: "pulled",
    read: (l) => {
      const m = /^(web|api) (done|broke)$/.exec(l);
      if (!m) return [];
      return [{ service: m[1], text: m[2], phase: m[2] === "done" ? "done" : "failed" }];
    },
  },
};
const output = { stdout: "web done\nsomething else\n" };

Deno.test("runStep off a terminal: every line prefixed, and a wait says it is still running", async () => {
  let quiet: ((s: number) => void) | undefined;
  const runner = recordingRunner(() => output);
  const deps = testDeps("/", {
    runner: {
      run: (s, o) => {
        quiet = o?.onQuiet;
        return runner.run(s, o);
      },
    },
  });
  await runStep(deps, step);
  quiet?.(10);
  assert.deepEqual(deps.ui.text().split("\n"), [
    "==> pull",
    "pull | web done",
    "pull | something else",
    "pull | still running (10s)",
  ]);
});

Deno.test("runStep on a terminal: a service's state updates its row, other lines print, the rest settle", async () => {
  const deps = testDeps("/", {
    runner: recordingRunner(() => output),
    ui: recordingUi({ live: true }),
  });
  await runStep(deps, step);
  assert.deepEqual(deps.ui.text().split("\n"), [
    "==> pull",
    "[live] start web=pulling… api=pulling…",
    "[live] web: done (done)",
    "pull | something else",
    "[live] end pulled",
  ]);
});

Deno.test("runStep on a terminal: a failed step ends its block as it stands, and throws", async () => {
  const runner = recordingRunner(() => ({ code: 1, stdout: "api broke\n", stderr: "no" }));
  const deps = testDeps("/", { runner, ui: recordingUi({ live: true }) });
  await assert.rejects(runStep(deps, step), /pull failed/);
  assert.deepEqual(deps.ui.text().split("\n").slice(2), [
    "[live] api: broke (failed)",
    "[live] end",
  ]);
});

Deno.test("runStep on a terminal: a step that does not know its services prints lines", async () => {
  const deps = testDeps("/", {
    runner: recordingRunner(() => output),
    ui: recordingUi({ live: true }),
  });
  await runStep(deps, { ...step, progress: undefined });
  assert.doesNotMatch(deps.ui.text(), /\[live\]/);
  assert.match(deps.ui.text(), /pull \| web done/);
});
