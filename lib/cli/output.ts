/**
 * The edge of every command: it runs the command with this process's deps and renders what the
 * command returns (or the result its error carries), in the one place that chooses how:
 * - text for people on stdout (progress and errors on stderr);
 * - `--json`: one JSON document on stdout, on failure too; everything else on stderr;
 * - GitHub Actions (GITHUB_ACTIONS=true): groups, masks, `::error` annotations, the step summary
 *   and the step outputs, besides the text or JSON.
 * Exit codes are the same in every mode (0, 1, 2, 130).
 */
import { join, relative } from "node:path";
import { defaultDeps, type Deps } from "../core/deps.ts";
import type { Stage } from "../config/stage.ts";
import { findRoot } from "../config/stage.ts";
import type { PromoteResult } from "../build/promotion.ts";
import type { PsContainer } from "../docker/queries.ts";
import type { Release } from "../release/history.ts";
import type { ReleaseResult } from "../release/types.ts";
import { errorAnnotations, githubRunner, githubUi } from "../report/github.ts";
import {
  buildOutputs,
  buildSummary,
  type Ending,
  failureSummary,
  outputsText,
  promoteOutputs,
  promoteSummary,
  releaseOutputs,
  releaseSummary,
} from "../report/github_summary.ts";
import * as json from "../report/json.ts";
import { configYaml, stagesText, type StageSummary } from "../report/stage_text.ts";
import * as text from "../report/text.ts";
import { runEdge } from "./commands.ts";

/** The commands the edge renders. */
export type CommandName =
  | "stages"
  | "config"
  | "build"
  | "deploy"
  | "rollback"
  | "history"
  | "ps"
  | "promote"
  | "down"
  | "unlock"
  | "logs";

/** How a command is rendered: its options that matter here, and its stage for the titles. */
export interface EdgeOptions {
  readonly json?: boolean;
  readonly compose?: boolean;
  readonly verbose?: boolean;
  readonly dir?: string;
  /** The stage (or "dev → live" for promote), for JSON documents and GitHub titles. */
  readonly stage?: string;
}

/** The three renderings of one command's result. */
interface Rendering {
  text(r: unknown, o: EdgeOptions): string;
  json(r: unknown, o: EdgeOptions): json.Json;
  /** Step summary and outputs (GitHub Actions), for commands that change something. */
  github?(
    r: unknown,
    o: EdgeOptions,
    e: Ending,
  ): { summary: string; outputs: Record<string, string> };
  /** Print the text of the result on failure too (`stages` lists the good stages). */
  readonly textOnFailure?: boolean;
}

type Built = Parameters<typeof text.buildText>[0];
type Config = { stage: Stage; model: string };
type History = { stage: string; host: string; keep?: number; releases: Release[] };
type Ps = { stage: string; project: string; host: string; containers: PsContainer[] };
type Op = {
  stage: string;
  project?: string;
  held?: { holder: string; since: string; command: string };
};

const release: Rendering = {
  text: (r) => text.releaseText(r as ReleaseResult),
  json: (r) => json.releaseJson(r as ReleaseResult),
  github: (r, _o, e) => ({
    summary: releaseSummary(r as ReleaseResult, e),
    outputs: releaseOutputs(r as ReleaseResult, e.result),
  }),
};

const RENDER: Record<CommandName, Rendering> = {
  stages: {
    text: (r) => stagesText(r as StageSummary[]),
    json: (r) => json.stagesJson(r as StageSummary[]),
    textOnFailure: true,
  },
  config: {
    text: (r, o) =>
      (o.compose ? (r as Config).model : configYaml((r as Config).stage)).replace(/\n$/, ""),
    json: (r, o) => json.configJson(r as Config, o.compose),
  },
  build: {
    text: (r) => ((r as Built).length ? text.buildText(r as Built) : ""),
    json: (r, o) => json.buildJson(o.stage ?? "", r as Built),
    github: (r, o, e) => ({
      summary: buildSummary(o.stage ?? "", r as Built, e),
      outputs: buildOutputs(r as Built, e.result),
    }),
  },
  deploy: release,
  rollback: release,
  history: {
    text: (r) => {
      const h = r as History;
      return text.historyText(h.stage, h.host, h.releases, h.keep);
    },
    json: (r) => json.historyJson(r as History),
  },
  ps: { text: (r) => text.psText(r as Ps), json: (r) => json.psJson(r as Ps) },
  promote: {
    text: (r) => text.promoteText(r as PromoteResult),
    json: (r) => json.promoteJson(r as PromoteResult),
    github: (r, _o, e) => ({
      summary: promoteSummary(r as PromoteResult, e),
      outputs: promoteOutputs(r as PromoteResult, e.result),
    }),
  },
  down: {
    text: (r) => text.downText(r as Required<Op>),
    json: (r) => json.opJson("down", r as Op),
  },
  unlock: {
    text: (r) => text.unlockText(r as Op),
    json: (r) => json.opJson("unlock", r as Op),
  },
  logs: { text: () => "", json: () => ({ command: "logs", result: "ok", error: null }) },
};

/**
 * Run a command at the edge: `body` gets the deps (decorated for --json and GitHub Actions) and
 * returns the command's result; the result is rendered, errors are reported, and the exit code
 * is returned (the caller exits with it).
 * @example code = await runCommand("ps", { stage: "dev", json: true }, (deps) => ps("dev", o, deps))
 */
export function runCommand(
  name: CommandName,
  o: EdgeOptions,
  body: (deps: Deps) => Promise<unknown>,
): Promise<number> {
  return runEdge(async (signal) => {
    const { diagnose } = await import("../docker/diagnose.ts");
    const base = defaultDeps(signal, { diagnose });
    const write = (line: string) => base.ui.info(line); // stderr, as it is
    const github = base.env.GITHUB_ACTIONS === "true";
    let deps: Deps = o.json ? { ...base, ui: { ...base.ui, out: base.ui.info } } : base;
    if (github) {
      deps = { ...deps, ui: githubUi(deps.ui, write), runner: githubRunner(deps.runner, write) };
    }
    const start = deps.now().getTime();
    const seconds = () => (deps.now().getTime() - start) / 1000;
    let r: unknown;
    try {
      r = await body(deps);
    } catch (err) {
      const partial = (err as { result?: unknown })?.result;
      const doc = json.failureJson(
        name,
        err,
        partial === undefined ? stageOf(o) : RENDER[name].json(partial, o),
      );
      if (o.json) print(doc);
      else if (partial !== undefined && RENDER[name].textOnFailure) {
        deps.ui.out(RENDER[name].text(partial, o));
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
            : RENDER[name].github?.(partial, o, e),
        );
      }
      throw err;
    }
    if (o.json) print(RENDER[name].json(r, o));
    else {
      const t = RENDER[name].text(r, o);
      if (t) deps.ui.out(t);
    }
    if (github) {
      leave(deps, RENDER[name].github?.(r, o, { result: resultOf(r), seconds: seconds() }));
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
