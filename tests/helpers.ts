/** Test doubles shared by the unit and script tests: temp projects, a recording runner and UI. */
import { join } from "node:path";
import type { Deps } from "../lib/core/deps.ts";
import type { Runner, RunOptions, RunResult, Step } from "../lib/core/run.ts";
import { failed } from "../lib/core/run.ts";
import { InterruptedError } from "../lib/core/errors.ts";
import type { Ui } from "../lib/core/ui.ts";
import type { Service, Stage } from "../lib/config/stage.ts";

/** Write files (path → content) into a fresh temp dir; returns its path. */
export function tempProject(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-test-" });
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    Deno.mkdirSync(join(p, ".."), { recursive: true });
    Deno.writeTextFileSync(p, text);
  }
  return dir;
}

/** A runner that records each step and answers from `reply` (default: exit 0, no output). */
export function recordingRunner(
  reply: (step: Step) => Partial<RunResult> | undefined = () => undefined,
): Runner & { steps: Step[]; argvs: () => string[] } {
  const steps: Step[] = [];
  return {
    steps,
    argvs: () => steps.map((s) => s.argv.join(" ")),
    run(step: Step, opts: RunOptions = {}) {
      steps.push(step);
      const r = { code: 0, stdout: "", stderr: "", ...reply(step) };
      for (const l of r.stdout.split("\n").filter(Boolean)) opts.onLine?.(l, "stdout");
      if (r.code !== 0 && opts.check !== false) return Promise.reject(failed(step, r));
      return Promise.resolve(r);
    },
  };
}

/**
 * A UI that records what it would print; `answer` is what confirm() returns. With `live` it
 * draws like a terminal: its live blocks are recorded as `[live] start web=pulling…`,
 * `[live] web: pulled (done)`, `[live] end pulled`.
 */
export function recordingUi(
  opts: { interactive?: boolean; answer?: boolean; live?: boolean } = {},
): Ui & { text: () => string; asked: string[] } {
  const lines: string[] = [];
  const asked: string[] = [];
  const progress: Ui["progress"] = (rows) => {
    lines.push(`[live] start ${rows.map((r) => `${r.service}=${r.text}`).join(" ")}`);
    return {
      update: (o) => lines.push(`[live] ${o.service}: ${o.text} (${o.phase})`),
      end: (settled) => lines.push(`[live] end${settled === undefined ? "" : ` ${settled}`}`),
    };
  };
  return {
    ...(opts.live ? { progress } : {}),
    text: () => lines.join("\n"),
    asked,
    out: (s) => lines.push(s),
    info: (s) => lines.push(s),
    step: (s) => lines.push(`==> ${s}`),
    warn: (s) => lines.push(`warning: ${s}`),
    line: (p, s) => lines.push(`${p} | ${s}`),
    confirm: (q) => (asked.push(q), Promise.resolve(opts.answer ?? false)),
    interactive: opts.interactive ?? false,
  };
}

/**
 * Deps for script tests: recording runner and UI, `cwd` = the temp project, and a fake clock
 * that stands still except when something sleeps (a sleep returns at once, moving the clock on).
 */
export function testDeps(cwd: string, over: Partial<Deps> = {}): Deps & {
  runner: ReturnType<typeof recordingRunner>;
  ui: ReturnType<typeof recordingUi>;
} {
  let clock = Date.parse("2026-01-02T03:04:05Z");
  return {
    runner: recordingRunner(),
    ui: recordingUi(),
    env: {},
    cwd,
    now: () => new Date(clock),
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
    ...over,
  } as Deps & { runner: ReturnType<typeof recordingRunner>; ui: ReturnType<typeof recordingUi> };
}

/** A resolved `dev` stage for plan tests (cloud defaults, registry reg.example/team). */
export function stageFixture(services: Service[], over: Partial<Stage> = {}): Stage {
  return {
    name: "dev",
    root: "/p",
    file: "stages/dev.yaml",
    project: "app",
    local: false,
    registry: "reg.example/team",
    platform: "linux/amd64",
    buildx: true,
    tag: "latest",
    confirm: true,
    services,
    hooks: { pre: [], post: [] },
    keep: 50,
    orchestrator: "compose",
    ...over,
  };
}

/** The error a function throws (fails the test when it throws none). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

/**
 * A runner that honours an interrupt the way the real one does (lib/core/run.ts): once `signal`
 * is aborted, a step not marked `uninterruptible` is refused with InterruptedError (and one that
 * is running when it aborts ends with it).
 */
export function interruptible<R extends Runner>(inner: R, signal: AbortSignal): R {
  const refuse = (title: string) => Promise.reject(new InterruptedError(`interrupted: ${title}`));
  return {
    ...inner,
    async run(step: Step, opts: RunOptions = {}) {
      if (signal.aborted && !opts.uninterruptible) return refuse(step.title);
      const r = await inner.run(step, opts);
      if (signal.aborted && !opts.uninterruptible) return refuse(step.title);
      return r;
    },
  };
}
