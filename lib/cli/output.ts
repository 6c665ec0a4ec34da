/**
 * The edge of every command: it runs the command with this process's deps and renders what the
 * command returns (or the result its error carries), in the one place that chooses how:
 * - text for people on stdout (progress and errors on stderr);
 * - `--json`: one JSON document on stdout, on failure too; everything else on stderr;
 * - GitHub Actions (GITHUB_ACTIONS=true): groups, masks, `::error` annotations, the step summary
 *   and the step outputs, besides the text or JSON.
 * Exit codes are the same in every mode (0, 1, 2, 130).
 */
import { join, relative } from "../core/paths.ts";
import type { Deps } from "../core/deps.ts";
import { findRoot } from "../config/stage.ts";
import { errorAnnotations, githubRunner, githubUi } from "../report/github.ts";
import { failureSummary, outputsText } from "../report/github_summary.ts";
import * as json from "../report/json.ts";
import {
  type CommandName,
  type CommandResults,
  type EdgeOptions,
  RENDER,
} from "../report/renderings.ts";
import { runEdge } from "./edge.ts";

export type { CommandName, CommandResults, EdgeOptions };

/**
 * Run a command at the edge: `body` gets the deps (decorated for --json and GitHub Actions) and
 * returns the command's result; the result is rendered, errors are reported, and the exit code
 * is returned (the caller exits with it).
 * @example code = await runCommand("ps", { stage: "dev", json: true }, (deps) => ps("dev", o, deps))
 */
export function runCommand<K extends CommandName>(
  name: K,
  o: EdgeOptions,
  body: (deps: Deps) => Promise<CommandResults[K]>,
): Promise<number> {
  const render = RENDER[name];
  return runEdge(async (signal) => {
    const base = (await import("../docker/real_deps.ts")).realDeps(signal);
    const write = (line: string) => base.ui.info(line); // stderr, as it is
    const github = base.env.GITHUB_ACTIONS === "true";
    let deps: Deps = o.json ? { ...base, ui: { ...base.ui, out: base.ui.info } } : base;
    if (github) {
      deps = { ...deps, ui: githubUi(deps.ui, write), runner: githubRunner(deps.runner, write) };
    }
    const start = deps.now().getTime();
    const seconds = () => (deps.now().getTime() - start) / 1000;
    let r: CommandResults[K];
    try {
      r = await body(deps);
    } catch (err) {
      // the result up to the failure, which the command attached to its error (withResult)
      const partial = (err as { result?: CommandResults[K] })?.result;
      const doc = json.failureJson(
        name,
        err,
        partial === undefined ? stageOf(o) : render.json(partial, o),
      );
      if (o.json) print(doc);
      else if (partial !== undefined && render.textOnFailure) {
        const t = render.text(partial, o);
        if (t) deps.ui.out(t);
      }
      if (github) {
        const title = `fleet ${name}${o.stage ? ` ${o.stage}` : ""}`;
        for (const l of errorAnnotations(err, title, (f) => repoPath(deps, o, f))) write(l);
        const e = {
          result: String(doc.result),
          error: (err as Error)?.message ?? String(err),
          seconds: seconds(),
        };
        leave(
          deps,
          partial === undefined
            ? { summary: failureSummary(title, e), outputs: { result: e.result } }
            : render.github?.(partial, o, e),
        );
      }
      throw err;
    }
    if (o.json) print(render.json(r, o));
    else {
      const t = render.text(r, o);
      if (t) deps.ui.out(t);
    }
    if (github) {
      leave(deps, render.github?.(r, o, { result: resultOf(r), seconds: seconds() }));
    }
  }, () => o.verbose ?? Deno.args.includes("--verbose"));
}

function print(doc: json.Json): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(doc, null, 2) + "\n"));
}

function stageOf(o: EdgeOptions): json.Json {
  return o.stage ? { stage: o.stage } : {};
}

/** The result word of a successful command's result (a release says its own: unchanged, …). */
function resultOf(r: unknown): string {
  const own = (r as { result?: unknown })?.result;
  return typeof own === "string" ? own : "ok";
}

/** Append the step summary and outputs to the files GitHub Actions names (if it names them). */
function leave(
  deps: Deps,
  gh: { summary: string; outputs: Record<string, string> } | undefined,
): void {
  if (gh === undefined) return;
  const { summary, outputs } = gh;
  const append = (file: string | undefined, body: string) => {
    if (!file || !body) return;
    try {
      Deno.writeTextFileSync(file, body, { append: true });
    } catch (e) {
      deps.ui.warn(`cannot write ${file}: ${(e as Error).message}`);
    }
  };
  append(deps.env.GITHUB_STEP_SUMMARY, summary);
  append(deps.env.GITHUB_OUTPUT, outputsText(outputs));
}

/** A stage file's path from the repository root (GITHUB_WORKSPACE), for annotations. */
function repoPath(deps: Deps, o: EdgeOptions, file: string): string {
  try {
    const root = findRoot(deps.cwd, o.dir);
    return relative(deps.env.GITHUB_WORKSPACE || deps.cwd, join(root, file)) || file;
  } catch {
    return file;
  }
}
