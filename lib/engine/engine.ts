/**
 * The orchestrator behind a stage, as the release flow sees it. Each engine renders its model,
 * plans its steps, judges its wait and reads its state; the flow around it (pull, lock, plan,
 * confirm, record, rollback) is shared. Compose is lib/engine/compose.ts, Swarm lib/engine/swarm.ts.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import type { Stage } from "../config/stage.ts";
import type { ImageOptions } from "../docker/images.ts";
import type { PsContainer } from "../docker/compose_ps.ts";
import type { Images } from "../docker/queries.ts";
import type { PsService, PsTask } from "../docker/swarm_state.ts";
import type { Target } from "../docker/target.ts";
import type { ProxyRoute } from "./proxy_caddy.ts";

/** What every command needs to talk to a stage's engine: target, model and secret env. */
export interface EngineContext {
  readonly stage: Stage;
  readonly target: Target;
  /** The project (Compose) or stack (Swarm) name: `{project}-{stage}`. */
  readonly project: string;
  /** The model deployed (`${VAR}` unresolved): it goes on stdin and into the history record. */
  readonly model: string;
  /** The values of the `${VAR}` the model refers to: the child's environment, never argv. */
  readonly secretEnv: Readonly<Record<string, string>>;
  /**
   * The user's Compose files the model goes over (`-f file… -f -`), absolute; none once the
   * model is Compose's own merge of them (a deploy records that one: it stands alone).
   */
  readonly files?: readonly string[];
  /** Compose's project directory (default: the project root). */
  readonly projectDir?: string;
}

/** How a context is made: image overrides, pinned images (rollback), the variables check. */
export interface ContextOptions extends ImageOptions {
  /** Pin services to other image references (rollback, kept tags). */
  readonly images?: Readonly<Record<string, string>>;
  /** Unset `${VAR}` without default is a ConfigError (default true; false: print the model). */
  readonly requireVars?: boolean;
  /** Read-only commands: a model of names only and no secrets (the host's variables still count). */
  readonly readOnly?: boolean;
  /** false (--no-rollback): an engine that rolls back by itself (Swarm) pauses instead. */
  readonly rollback?: boolean;
}

/** What a release deploys, for `Engine.resolve`: services and the image reference of each. */
export interface ImageSelection {
  readonly services: readonly string[];
  readonly images: Readonly<Record<string, string>>;
  /** Services whose image fleet builds and no registry names (they cannot be pulled). */
  readonly unpullable: readonly string[];
}

/**
 * A release the engine rolled back by itself (Swarm's `failure_action: rollback`): the previous
 * release serves again, so fleet records it as rolled back and does not roll back on top.
 */
export class RolledBackByEngine extends CommandError {}

/**
 * A release that failed before it changed anything (the proxy's blue/green: the new container
 * never got healthy, so the route was never switched and the old one serves on): fleet records
 * it as failed and rolls nothing back.
 */
export class NothingChangedByEngine extends CommandError {}

/** Options that shape the release steps. */
export interface ReleaseOptions {
  readonly pull: boolean;
  /** `-n` given: touch only these services (Compose: --no-deps). */
  readonly only: boolean;
  /** Seconds the engine waits for running/healthy; 0 or absent: no wait. */
  readonly wait?: number;
  /** Swarm: remove the stack's services that the model no longer has (`--prune`). */
  readonly prune?: boolean;
}

/** Options of `fleet logs`. */
export interface LogsOptions {
  readonly follow?: boolean;
  readonly tail: string;
}

/** `fleet exec` / `fleet run`. */
export interface InteractiveOptions {
  readonly mode: "exec" | "run";
  readonly service: string;
  readonly command: readonly string[];
  /** Replica number for exec (1-based). */
  readonly index?: number;
  /** Allocate a terminal (stdin is one). */
  readonly tty: boolean;
  readonly modelFile: string;
  /** exec: the container to run in, where the engine names it (Swarm: a task's container). */
  readonly container?: string;
  /** run: the image the service runs now, where the engine uses it (Swarm). */
  readonly image?: string;
}

/** What `fleet ps` shows of a stage. */
export interface PsView {
  /** The containers of a Compose project (none on a Swarm stage). */
  readonly containers: readonly PsContainer[];
  /** Swarm: each service with its running/desired replicas, image and update state. */
  readonly services?: readonly PsService[];
  /** Swarm: the tasks that run or should, by node. */
  readonly tasks?: readonly PsTask[];
  /** The project's routes through the host's proxy, and the container that serves each. */
  readonly routes?: readonly ProxyRoute[];
}

/** One orchestrator. */
export interface Engine {
  readonly name: "compose" | "swarm";
  /** Seconds a release waits for its services by default (`--timeout`). */
  readonly timeout: number;
  /**
   * true: each release's images are kept on the host by tags (lib/release/kept_images.ts), and a
   * rollback finds them there. false: the model pins every image by registry digest, so a
   * recorded image `id` is itself the reference that brings that image back.
   */
  readonly keepsImages: boolean;
  /** The context of a stage, its model rendered from the stage file. */
  context(
    stage: Stage,
    env: Readonly<Record<string, string | undefined>>,
    opts?: ContextOptions,
  ): EngineContext;
  /** The context of an earlier release: its recorded model, some services pinned to images. */
  fromModel(
    ctx: EngineContext,
    model: string,
    images: Readonly<Record<string, string>>,
    env: Readonly<Record<string, string | undefined>>,
  ): EngineContext;
  /**
   * The orchestrator's own check of the model, on this machine (no engine): what it would reject
   * is a ConfigError (exit 2) before anything runs on the host. Returns the context to deploy:
   * on a stage with Compose files, the model Compose made of them with fleet's overlay (no files).
   */
  check(deps: Deps, ctx: EngineContext): Promise<EngineContext>;
  /**
   * The images of a release, once `pulled` (the pull, which may still run) is done, and before
   * the lock; a missing or unfit one is an error that changes nothing. Compose: the image IDs on
   * the host, their platform checked; Swarm: each reference's registry digest, the model pinned
   * to them (the returned context).
   */
  resolve(
    deps: Deps,
    ctx: EngineContext,
    sel: ImageSelection,
    pull: boolean,
    pulled?: Promise<void>,
  ): Promise<{ images: Images; ctx: EngineContext }>;
  /** The release steps for `services`, strictly ordered; pull (if any) comes first. */
  releaseSteps(
    ctx: EngineContext,
    services: readonly string[],
    toPull: readonly string[],
    opts: ReleaseOptions,
  ): Step[];
  /** Run release steps and wait; a failure names the service, the reason and its last logs. */
  apply(
    deps: Deps,
    ctx: EngineContext,
    steps: readonly Step[],
    services: readonly string[],
    timeoutSec: number,
  ): Promise<void>;
  /** What each of `services` runs now (image reference and ID), by service. */
  running(deps: Deps, ctx: EngineContext, services: readonly string[]): Promise<Images>;
  /** Steps that take services away (a failed release's new services, on rollback). */
  removeSteps(ctx: EngineContext, services: readonly string[]): Step[];
  /** How a service is replaced, for the plan: "stop → rm → up: a short outage". */
  strategy(ctx: EngineContext, service: string): string;
  /** Ready the engine for the release task (Swarm: the stack's attachable network exists). */
  beforeTask(deps: Deps, ctx: EngineContext): Promise<void>;
  /**
   * A one-off run of `service` with the context's (new) image, env and networks; removed after.
   * `name`: its container's name on the context's target, so an interrupt can remove it (which
   * ends the run, whatever its command does with signals).
   */
  taskStep(ctx: EngineContext, service: string, command: readonly string[], name?: string): Step;
  /** The running containers of `service` on the target that exec can enter, sorted by name. */
  containers(deps: Deps, ctx: EngineContext, service: string): Promise<string[]>;
  /**
   * A command in a running replica (`exec`) or a one-off container (`run`), stdin and the
   * terminal handed to the user: the model is read from `modelFile`.
   */
  interactiveStep(ctx: EngineContext, how: InteractiveOptions): Step;
  /** `fleet ps`: what runs (Compose: the containers; Swarm: services and their tasks). */
  ps(deps: Deps, ctx: EngineContext): Promise<PsView>;
  /** `fleet logs`: the steps that stream the logs (run side by side); no services: all. */
  logsSteps(ctx: EngineContext, services: readonly string[], opts: LogsOptions): Step[];
  /** `fleet down`: take every service away (volumes are kept), and wait until they are gone. */
  down(deps: Deps, ctx: EngineContext): Promise<void>;
}
