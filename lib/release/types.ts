/**
 * The shapes the release modules share: what is selected, the options, one attempt past the
 * lock, and the result a deploy or rollback returns (rendered at the edge by lib/report/).
 */
import type { Deps } from "../core/deps.ts";
import type { Images } from "../docker/queries.ts";
import type { Engine, EngineContext } from "../engine/engine.ts";

export type { ImageId, Images } from "../docker/queries.ts";

/** The options of the release flow (deploy and rollback). */
export interface FlowOptions {
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly timeout: number;
  readonly rollback: boolean;
  readonly changedOnly: boolean;
  readonly lockWait: number;
  /** Touch only the selected services (`-n`; a rollback always). */
  readonly only: boolean;
  /** Pull (Compose) or resolve images in the registry (Swarm); false with --no-pull. */
  readonly pull: boolean;
  /** Swarm: remove the stack's services the stage no longer has. */
  readonly prune?: boolean;
  /** The release id to use (a release across several hosts shares one); default: a new one. */
  readonly release?: string;
  /**
   * Stop after the release task (nothing else changes): a stage with several hosts runs its task
   * once, on one host, before any host is updated.
   */
  readonly taskOnly?: boolean;
}

/** What a release deploys: services, the image reference of every service, what to pull. */
export interface Selection {
  readonly kind: "deploy" | "rollback";
  readonly services: readonly string[];
  readonly images: Readonly<Record<string, string>>;
  readonly toPull: readonly string[];
  readonly unpullable: readonly string[];
  readonly note?: string;
  /**
   * A rollback to "the previous release": chooses its target again once the lock is held, since
   * a release it waited for (`--lock-wait`) or that ended meanwhile changed what runs.
   */
  readonly reselect?: () => Promise<{ sel: Selection; ctx: EngineContext }>;
}

/** Who and what a release is: its id, time, who deployed, and the commit. */
export interface ReleaseMeta {
  readonly id: string;
  readonly time: string;
  readonly who: string;
  readonly commit: string;
}

/** One attempt at a release, past the lock: everything the later stages need. */
export interface Attempt {
  readonly deps: Deps;
  readonly engine: Engine;
  readonly ctx: EngineContext;
  readonly sel: Selection;
  readonly o: FlowOptions;
  readonly services: readonly string[]; // what is redeployed (all, or the changed ones)
  readonly before: Images; // what ran before, by service
  readonly fresh: Images; // what is deployed now, by service
  readonly meta: ReleaseMeta;
}

/** One service in a release result. */
export interface ServiceOutcome {
  readonly name: string;
  /** The image reference deployed. */
  readonly image: string;
  /** The image ID it resolved to on the host. */
  readonly id: string;
  /** Its manifest digest in the image's repository (what was pulled), when it has one. */
  readonly digest?: string;
  /** The image ID that ran before, if any. */
  readonly before?: string;
  /** The digest of what ran before, when it has one. */
  readonly beforeDigest?: string;
  /** Redeployed in this release (false: skipped by --changed-only). */
  readonly redeployed: boolean;
  /** Dry run: how the service would be replaced ("stop → rm → up: a short outage", …). */
  readonly strategy?: string;
}

/** What `fleet deploy` / `fleet rollback` did. */
export interface ReleaseResult {
  readonly command: "deploy" | "rollback";
  readonly stage: string;
  /** The project named in the stage file. */
  readonly app: string;
  /** The engine's project (Compose) or stack (Swarm): `{project}-{stage}`. */
  readonly project: string;
  readonly host: string;
  readonly release?: string;
  readonly result:
    | "ok"
    | "rolled-back"
    | "failed"
    | "interrupted"
    | "unchanged"
    | "cancelled"
    | "dry-run";
  readonly services: readonly ServiceOutcome[];
  /** The automatic rollback after a failed release. */
  readonly rollback?: { readonly result: "ok" | "failed"; readonly release: string };
  readonly error?: string;
  /** A post_deploy hook that failed after the release, beside the release's own result. */
  readonly hook?: { readonly which: "post_deploy"; readonly error: string };
  /** Dry run: the commands that would run, as shell lines. */
  readonly commands?: readonly string[];
  readonly note?: string;
  /** A release across several hosts (SPEC §15): what happened on each, in name order. */
  readonly hosts?: readonly HostOutcome[];
}

/** One host of a release across several hosts. */
export interface HostOutcome {
  readonly name: string;
  /** Its Docker host, for people (URL or context). */
  readonly host: string;
  readonly result: ReleaseResult["result"] | "not-started";
  readonly services: readonly string[];
  /** Why it failed, or why it went back. */
  readonly error?: string;
  /** What a rollback does there: `rollback to <release>` (a dry run says it before it runs). */
  readonly note?: string;
  /** The rollback that put the previous release back on it, when one ran. */
  readonly rollback?: { readonly result: "ok" | "failed"; readonly release: string };
}
