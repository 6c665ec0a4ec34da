/**
 * Which rendering of which result, per command: the text for people, the JSON document
 * (`--json`), and in GitHub Actions the step summary and outputs. The edge (lib/cli/output.ts)
 * picks one of them; each is a pure function of the command's result.
 */
import type { Built } from "../images/build_run.ts";
import type { PromoteResult } from "../images/promotion.ts";
import type { ReleaseResult } from "../release/types.ts";
import type { DownResult, HistoryResult, PsResult, UnlockResult } from "../release/results.ts";
import {
  buildOutputs,
  buildSummary,
  type Ending,
  promoteOutputs,
  promoteSummary,
  releaseOutputs,
  releaseSummary,
} from "./github_summary.ts";
import * as json from "./json.ts";
import { type ConfigResult, configYaml, stagesText, type StageSummary } from "./stage_text.ts";
import * as text from "./text.ts";

/** Each command's result: what its script returns, the library returns, and `--json` renders. */
export interface CommandResults {
  stages: readonly StageSummary[];
  config: ConfigResult;
  build: readonly Built[];
  deploy: ReleaseResult;
  rollback: ReleaseResult;
  history: HistoryResult;
  ps: PsResult;
  promote: PromoteResult;
  down: DownResult;
  unlock: UnlockResult;
  logs: void;
}

/** The commands the edge renders. */
export type CommandName = keyof CommandResults;

/** What rendering needs of a command line: the options that matter, and the stage for titles. */
export interface EdgeOptions {
  readonly json?: boolean;
  readonly compose?: boolean;
  readonly verbose?: boolean;
  readonly dir?: string;
  /** The stage (or "dev → live" for promote), for JSON documents and GitHub titles. */
  readonly stage?: string;
}

/** The three renderings of one command's result. */
export interface Rendering<R> {
  text(r: R, o: EdgeOptions): string;
  json(r: R, o: EdgeOptions): json.Json;
  /** Step summary and outputs (GitHub Actions), for commands that change something. */
  github?(
    r: R,
    o: EdgeOptions,
    e: Ending,
  ): { summary: string; outputs: Record<string, string> };
  /** Print the text of the result on failure too (`stages` lists the good stages). */
  readonly textOnFailure?: boolean;
}

const release: Rendering<ReleaseResult> = {
  text: (r) => text.releaseText(r),
  // the release's own lines when it stands though the command failed (a post_deploy hook)
  textOnFailure: true,
  json: (r) => json.releaseJson(r),
  github: (r, _o, e) => ({
    summary: releaseSummary(r, e),
    outputs: releaseOutputs(r, e.result),
  }),
};

/** The renderings of each command. */
export const RENDER: { readonly [K in CommandName]: Rendering<CommandResults[K]> } = {
  stages: {
    text: (r) => stagesText(r),
    json: (r) => json.stagesJson(r),
    textOnFailure: true,
  },
  config: {
    text: (r, o) => (o.compose ? r.model : configYaml(r.stage)).replace(/\n$/, ""),
    json: (r, o) => json.configJson(r, o.compose),
  },
  build: {
    text: (r) => (r.length ? text.buildText(r) : ""),
    json: (r, o) => json.buildJson(o.stage ?? "", r),
    github: (r, o, e) => ({
      summary: buildSummary(o.stage ?? "", r, e),
      outputs: buildOutputs(r, e.result),
    }),
  },
  deploy: release,
  rollback: release,
  history: {
    text: (r) =>
      r.hosts
        ? r.hosts.map((h) =>
          `host ${h.name}:\n${text.historyText(r.stage, h.host, h.releases, r.keep)}`
        ).join("\n\n")
        : text.historyText(r.stage, r.host, r.releases, r.keep, r.unreadable),
    json: (r) => json.historyJson(r),
  },
  ps: { text: (r) => text.psText(r), json: (r) => json.psJson(r) },
  promote: {
    text: (r) => text.promoteText(r),
    json: (r) => json.promoteJson(r),
    github: (r, _o, e) => ({
      summary: promoteSummary(r, e),
      outputs: promoteOutputs(r, e.result),
    }),
  },
  down: { text: (r) => text.downText(r), json: (r) => json.opJson("down", r) },
  unlock: { text: (r) => text.unlockText(r), json: (r) => json.opJson("unlock", r) },
  logs: { text: () => "", json: () => ({ command: "logs", result: "ok", error: null }) },
};
