/**
 * The orchestrator behind a stage, as the release flow sees it. Each engine renders its model,
 * plans its steps, judges its wait and reads its state; the flow around it (pull, lock, plan,
 * confirm, record, rollback) is shared. Compose is lib/engine/compose.ts.
 */
import type { Deps } from "../core/deps.ts";
import type { Step } from "../core/run.ts";
import type { Stage } from "../config/stage.ts";
import type { ImageOptions } from "../docker/images.ts";
import type { Images } from "../docker/queries.ts";
import type { Target } from "../docker/target.ts";

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
}

/** How a context is made: image overrides, pinned images (rollback), the variables check. */
export interface ContextOptions extends ImageOptions {
  /** Pin services to other image references (rollback, kept tags). */
  readonly images?: Readonly<Record<string, string>>;
  /** Unset `${VAR}` without default is a ConfigError (default true; false: print the model). */
  readonly requireVars?: boolean;
  /** Read-only commands: a model of names only and no secrets (the host's variables still count). */
  readonly readOnly?: boolean;
}

/** Options that shape the release steps. */
export interface ReleaseOptions {
  readonly pull: boolean;
  /** `-n` given: touch only these services (Compose: --no-deps). */
  readonly only: boolean;
  /** Seconds the engine waits for running/healthy; 0 or absent: no wait. */
  readonly wait?: number;
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
}

/** One orchestrator. */
export interface Engine {
  readonly name: "compose";
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
   * is a ConfigError (exit 2) before anything runs on the host.
   */
  check(deps: Deps, ctx: EngineContext): Promise<void>;
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
  /** A one-off run of `service` with the context's (new) image, env and networks; removed after. */
  taskStep(ctx: EngineContext, service: string, command: readonly string[]): Step;
  /**
   * A command in a running replica (`exec`) or a one-off container (`run`), stdin and the
   * terminal handed to the user: the model is read from `modelFile`.
   */
  interactiveStep(ctx: EngineContext, how: InteractiveOptions): Step;
  /** The containers as JSON (lib/docker/compose_ps.ts parseComposePs reads it). */
  psStep(ctx: EngineContext): Step;
  logsStep(ctx: EngineContext, services: readonly string[], opts: LogsOptions): Step;
  downStep(ctx: EngineContext): Step;
}
