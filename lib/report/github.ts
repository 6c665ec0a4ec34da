/**
 * GitHub Actions mode (GITHUB_ACTIONS=true), the live part: workflow commands on stderr (the
 * runner reads them on both streams; stdout stays the result's, or --json's). Each step is a
 * `::group::` (pull, stop, rm, up — which waits —, record, …); a build's log, which runs
 * alongside others, is kept and printed as one group when its step ends; every secret a step
 * carries is `::add-mask::`ed before the step runs, so before any output that could hold it;
 * warnings become `::warning::`, failures `::error` annotations (config errors on their line).
 * The step summary and outputs are in lib/report/github_summary.ts.
 */
import { ConfigError } from "../core/errors.ts";
import type { Runner, RunOptions, Step, StepKind } from "../core/run.ts";
import type { Ui } from "../core/ui.ts";

/**
 * A workflow command's message, escaped (`%`, CR, LF).
 * @example escapeData("a%b\nc") // "a%25b%0Ac"
 */
export function escapeData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/**
 * A workflow command's property value, escaped (also `:` and `,`).
 * @example escapeProperty("a:b,c") // "a%3Ab%2Cc"
 */
export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * One workflow command line.
 * @example workflowCommand("error", { file: "a.yaml", line: 7 }, "bad") // "::error file=a.yaml,line=7::bad"
 */
export function workflowCommand(
  name: string,
  props: Readonly<Record<string, string | number | undefined>>,
  message: string,
): string {
  const p = Object.entries(props).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(",");
  return `::${name}${p ? ` ${p}` : ""}::${escapeData(message)}`;
}

/** Steps shown as a group while they run (one at a time). */
const GROUPED: ReadonlySet<StepKind> = new Set<StepKind>([
  "pull",
  "stop",
  "rm",
  "up",
  "down",
  "deploy",
  "record",
  "login",
  "task",
]);
/** Steps that run alongside others (a service's build, push): their group is printed at the end. */
const KEPT: ReadonlySet<StepKind> = new Set<StepKind>(["build", "push"]);

/** The secret values a step carries: its `${VAR}` values, a login's password. */
export function secretValues(step: Step): string[] {
  const values = Object.values(step.secretEnv ?? {});
  if (step.kind === "login" && step.input) values.push(step.input.trim());
  // the runner masks a value line by line; 1–2 characters would mask every such letter
  return values.flatMap((v) => v.split(/\r?\n/)).filter((v) => v.trim().length >= 3);
}

/**
 * A runner that masks each step's secrets before it runs and folds its output into a group.
 * `write` prints one line on stderr.
 */
export function githubRunner(runner: Runner, write: (line: string) => void): Runner {
  const masked = new Set<string>();
  return {
    async run(step: Step, opts: RunOptions = {}) {
      for (const v of secretValues(step)) {
        if (masked.has(v)) continue;
        masked.add(v);
        write(workflowCommand("add-mask", {}, v));
      }
      const show = opts.onLine;
      if (KEPT.has(step.kind) && show) {
        const kept: [string, "stdout" | "stderr"][] = [];
        try {
          return await runner.run(step, { ...opts, onLine: (l, s) => kept.push([l, s]) });
        } finally {
          write(workflowCommand("group", {}, step.title));
          for (const [l, s] of kept) show(l, s);
          write("::endgroup::");
        }
      }
      if (!GROUPED.has(step.kind) && !KEPT.has(step.kind)) return await runner.run(step, opts);
      write(workflowCommand("group", {}, step.title));
      try {
        return await runner.run(step, opts);
      } finally {
        write("::endgroup::");
      }
    },
  };
}

/** A UI whose step headings become the steps' groups, and whose warnings are `::warning::`. */
export function githubUi(ui: Ui, write: (line: string) => void): Ui {
  return {
    ...ui,
    step(text, kind) {
      if (kind && (GROUPED.has(kind) || KEPT.has(kind))) return; // githubRunner titles the group
      ui.step(text, kind);
    },
    warn: (text) => write(workflowCommand("warning", {}, text)),
  };
}

/**
 * The `::error` annotations of a failure: one per configuration problem, on its file and line
 * (`fileOf` turns a stage file into a path from the repository root), else one with a title.
 * @example errorAnnotations(err, "fleet deploy dev", (f) => f) // ["::error title=fleet deploy dev failed::…"]
 */
export function errorAnnotations(
  err: unknown,
  title: string,
  fileOf: (file: string) => string,
): string[] {
  if (err instanceof ConfigError && err.problems.length) {
    return err.problems.map((p) =>
      workflowCommand(
        "error",
        { file: fileOf(p.file), line: p.line, col: p.col, title: `${title}: configuration error` },
        p.message,
      )
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  const hint = (err as { hint?: string })?.hint;
  return [
    workflowCommand(
      "error",
      { title: `${title} failed` },
      hint ? `${message}\nhint: ${hint}` : message,
    ),
  ];
}
