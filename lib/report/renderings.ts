/**
 * Which rendering of which result, per command: the text for people, the JSON document
 * (`--json`), and in GitHub Actions the step summary and outputs. The edge (lib/cli/output.ts)
 * picks one of them; each is a pure function of the command's result.
 */
import type { Stage } from "../config/stage.ts";
import type { PromoteResult } from "../build/promotion.ts";
import type { PsContainer } from "../docker/compose_ps.ts";
import type { Release, UnreadableRelease } from "../release/history.ts";
import type { ReleaseResult } from "../release/types.ts";
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
import { configYaml, stagesText, type StageSummary } from "./stage_text.ts";
import * as text from "./text.ts";

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
export interface Rendering {
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
type History = {
  stage: string;
  host: string;
  keep?: number;
  releases: Release[];
  unreadable?: UnreadableRelease[];
};
type Ps = Parameters<typeof text.psText>[0] & { host: string; containers: PsContainer[] };
type Op = {
  stage: string;
  project?: string;
  held?: { holder: string; since: string; command: string };
};

const release: Rendering = {
  text: (r) => text.releaseText(r as ReleaseResult),
  // the release's own lines when it stands though the command failed (a post_deploy hook)
  textOnFailure: true,
  json: (r) => json.releaseJson(r as ReleaseResult),
  github: (r, _o, e) => ({
    summary: releaseSummary(r as ReleaseResult, e),
    outputs: releaseOutputs(r as ReleaseResult, e.result),
  }),
};

/** The renderings of each command. */
export const RENDER: Record<CommandName, Rendering> = {
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
      return text.historyText(h.stage, h.host, h.releases, h.keep, h.unreadable);
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
