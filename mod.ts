#!/usr/bin/env -S deno run -A
/**
 * fleet — build a project's Docker images per stage and deploy them to the stage's host.
 *
 *   fleet stages | config <stage> [--compose] | build <stage> | deploy <stage> | ps | logs | down
 *   fleet history <stage> | rollback <stage> | unlock <stage> | doctor [stage]
 *   fleet promote <from> <to>
 *   fleet init [--from compose.yaml [--copy]] | schema | completions bash|zsh|fish
 *
 * The router: run as the main module, it runs the command line (cli.ts: commands defined with
 * commander, each command's code imported lazily, errors turned into exit codes 0, 1, 2, 130).
 *
 * Also the library (importing it runs nothing; the router runs only as the main module):
 *
 *   import { build, deploy, ps } from "…/mod.ts";
 *   const [web] = await build("dev", { push: true });
 *   const release = await deploy("dev", { yes: true });
 *
 * Each function returns the result `--json` renders and throws a FleetError (exitCode, hint);
 * none exits or prompts. See README "Use it as a library".
 */
import type { Deps } from "./lib/core/deps.ts";
import { asFleetError, UsageError, withResult } from "./lib/core/errors.ts";
import type { Built } from "./lib/images/build_run.ts";
import type { PromoteResult } from "./lib/images/promotion.ts";
import type { DownResult, HistoryResult, PsResult } from "./lib/release/results.ts";
import type { ReleaseResult } from "./lib/release/types.ts";
import type { ConfigResult, StageSummary } from "./lib/report/stage_text.ts";
import type { BuildCliOptions } from "./scripts/build.ts";
import type { DeployOptions as DeployCliOptions } from "./scripts/deploy.ts";
import type { PromoteCliOptions } from "./scripts/promote.ts";

// ─── The library: `import { build, deploy } from "…/mod.ts"` ──────────────────────────────────
// Each function loads its stage, runs like its command and returns the result `--json` renders
// (docs/json.md); it throws a FleetError (exitCode, hint), never exits and never prompts.

export {
  CommandError,
  ConfigError,
  FleetError,
  InterruptedError,
  SetupError,
  UsageError,
} from "./lib/core/errors.ts";
export type { Built } from "./lib/images/build_run.ts";
export type { Promoted, PromoteResult } from "./lib/images/promotion.ts";
export type { Stage } from "./lib/config/stage.ts";
export type { Deps } from "./lib/core/deps.ts";
export type { Release } from "./lib/release/history.ts";
export type { DownResult, HistoryResult, PsResult, UnlockResult } from "./lib/release/results.ts";
export type { ReleaseResult, ServiceOutcome } from "./lib/release/types.ts";
export type { ConfigResult, StageSummary } from "./lib/report/stage_text.ts";

/** What every library call takes besides its own options. */
export interface CallOptions {
  /** The project root (default: the nearest directory with stages/, from the current one). */
  readonly dir?: string;
  /** Aborts the call as Ctrl-C aborts the command: an InterruptedError (exit 130), lock freed. */
  readonly signal?: AbortSignal;
  /** No progress on stderr (warnings still show). */
  readonly quiet?: boolean;
  /** The side effects (runner, ui, env, cwd, clock): real ones by default; tests pass fakes. */
  readonly deps?: Deps;
}

/** The options of calls that change a stage: `yes: true`, or a `confirm` that answers. */
export interface ConfirmOptions {
  /** Go ahead without asking (the CLI's --yes). */
  readonly yes?: boolean;
  /** Asked where the CLI would ask (the stage's `confirm:`); true goes ahead. */
  readonly confirm?: (question: string) => boolean | Promise<boolean>;
}

/** `fleet build`'s options: services (`-n`), `push`, `tag` (one or several), `registry`, … */
export type BuildOptions = Omit<BuildCliOptions, "dir"> & CallOptions;
/** `fleet deploy`'s options: `service`, `pull`, `dryRun`, `timeout`, `changedOnly`, `tag`, … */
export type DeployOptions = Omit<DeployCliOptions, "dir" | "yes"> & ConfirmOptions & CallOptions;
/** `fleet rollback`'s options: `to` (a release id from `history`), `service`, `dryRun`, … */
export type RollbackOptions = DeployOptions & { readonly to?: string };
/** `fleet promote`'s options: `service`, `tag` (on both sides), `dryRun`. */
export type PromoteOptions = Omit<PromoteCliOptions, "dir"> & CallOptions;
/** `fleet down`'s options. */
export type DownOptions = ConfirmOptions & CallOptions;

/**
 * Every stage of the project, loaded. Throws a ConfigError (exit 2) naming each broken stage
 * file; the list, good stages included, is on the error's `result`.
 * @example (await stages()).map((s) => s.name) // ["dev", "live", "local"]
 */
export function stages(options: CallOptions = {}): Promise<StageSummary[]> {
  return call(options, async (deps) => {
    const { stages, stageErrors } = await import("./scripts/inspect.ts");
    const list = stages(options, deps.cwd);
    const bad = stageErrors(list);
    if (bad) throw withResult(bad, list);
    return list;
  });
}

/**
 * A stage resolved (`_base.yaml` merged, defaults filled) and the model its engine deploys.
 * @example (await config("dev")).stage.registry // "ghcr.io/example-org"
 */
export function config(stage: string, options: CallOptions = {}): Promise<ConfigResult> {
  return call(options, async (deps) => {
    const { config } = await import("./scripts/inspect.ts");
    return await config(stage, options, deps.cwd, deps);
  });
}

/**
 * Build a stage's images (and push them with `push: true`); one `Built` per service.
 * @example const [web] = await build("dev", { push: true, tag: ["latest", "sha-1a2b3c"] })
 */
export function build(stage: string, options: BuildOptions = {}): Promise<Built[]> {
  return call(options, async (deps) => {
    const { build } = await import("./scripts/build.ts");
    return await build(stage, options, deps);
  });
}

/**
 * Deploy a stage: pull, replace, wait until healthy, record the release; rolled back when it
 * fails. Needs `yes: true` or a `confirm` callback (else a UsageError, exit 2, nothing run).
 * @example const r = await deploy("dev", { yes: true }); r.release // "r20260102T030405Z-1a2b"
 */
export function deploy(stage: string, options: DeployOptions = {}): Promise<ReleaseResult> {
  return call(options, async (deps) => {
    refuseUnasked("deploy", stage, options);
    const { deploy } = await import("./scripts/deploy.ts");
    return await deploy(stage, { ...options, yes: options.yes ?? false }, deps);
  });
}

/**
 * Go back to the previous successful release (or `to`), through the same flow as `deploy`.
 * @example await rollback("live", { yes: true, to: "r20260102T030405Z-1a2b" })
 */
export function rollback(stage: string, options: RollbackOptions = {}): Promise<ReleaseResult> {
  return call(options, async (deps) => {
    refuseUnasked("rollback", stage, options);
    const { rollback } = await import("./scripts/deploy.ts");
    return await rollback(stage, { ...options, yes: options.yes ?? false }, deps);
  });
}

/**
 * Point `to`'s image references at the very manifests of `from`'s, by digest (no rebuild).
 * @example await promote("dev", "live")
 */
export function promote(
  from: string,
  to: string,
  options: PromoteOptions = {},
): Promise<PromoteResult> {
  return call(options, async (deps) => {
    const { promote } = await import("./scripts/promote.ts");
    return await promote(from, to, options, deps);
  });
}

/**
 * The stage's containers (a Swarm stage: its services and tasks).
 * @example (await ps("dev")).containers.map((c) => `${c.service} ${c.state}`)
 */
export function ps(stage: string, options: CallOptions = {}): Promise<PsResult> {
  return call(options, async (deps) => (await import("./scripts/ops.ts")).ps(stage, options, deps));
}

/**
 * The releases recorded on the stage's host, newest first.
 * @example (await history("live")).releases[0]?.id
 */
export function history(stage: string, options: CallOptions = {}): Promise<HistoryResult> {
  return call(
    options,
    async (deps) => (await import("./scripts/ops.ts")).history(stage, options, deps),
  );
}

/**
 * Stop and remove the stage's containers (a Swarm stage: its stack); volumes are kept.
 * Needs `yes: true` or a `confirm` callback, as `deploy`.
 * @example await down("preview-fix-login", { yes: true })
 */
export function down(stage: string, options: DownOptions = {}): Promise<DownResult> {
  return call(options, async (deps) => {
    refuseUnasked("take down", stage, options);
    return await (await import("./scripts/ops.ts")).down(stage, options, deps);
  });
}

/** Run a library call: its deps (real, quiet and never prompting, unless given), FleetErrors out. */
async function call<T>(
  o: CallOptions & ConfirmOptions,
  fn: (deps: Deps) => Promise<T>,
): Promise<T> {
  try {
    const real = await import("./lib/docker/real_deps.ts");
    const given = o.deps;
    const deps = given === undefined ? real.libraryDeps(o) : {
      ...given,
      ...(o.signal ? { signal: o.signal } : {}),
      ui: real.libraryUi(given.ui, o),
    };
    return await fn(deps);
  } catch (err) {
    throw asFleetError(err, o.signal);
  }
}

/** A change without `yes` or `confirm` would need a prompt, which a library call never shows. */
function refuseUnasked(kind: string, stage: string, o: ConfirmOptions & { dryRun?: boolean }) {
  if (o.yes || o.dryRun || o.confirm) return;
  throw new UsageError(
    `refusing to ${kind} ${stage} without confirmation: nothing asks in a library call`,
    {
      hint: "pass yes: true, or a confirm callback that answers the question",
    },
  );
}

// ─── The command line (run only as the main module) ─────────────────────────────────────────

if (import.meta.main) {
  const { main } = await import("./cli.ts");
  await main(Deno.args);
}
