/**
 * Where a stage's docker commands go: `host:` → DOCKER_HOST in the child's environment,
 * `context:` → `docker --context <name>`. Every module that runs docker builds its steps here.
 */
import type { Step, StepKind } from "../core/run.ts";
import type { Stage } from "../config/stage.ts";
import { interpolate } from "../config/vars.ts";

/** The Docker engine of a stage: env (DOCKER_HOST) and argv prefix (--context). */
export interface Target {
  readonly env: Readonly<Record<string, string>>;
  readonly dockerArgv: readonly string[]; // ["docker"] or ["docker", "--context", name]
  readonly label: string; // for people: "ssh://deploy@host", "context live", "local engine"
}

/**
 * The Docker target of a stage.
 * @example targetOf(stage, {}) // { env: { DOCKER_HOST: "ssh://deploy@x" }, dockerArgv: ["docker"], … }
 */
export function targetOf(stage: Stage, env: Readonly<Record<string, string | undefined>>): Target {
  if (stage.context) {
    return {
      env: {},
      dockerArgv: ["docker", "--context", stage.context],
      label: `context ${stage.context}`,
    };
  }
  if (stage.host) {
    const host = interpolate(stage.host, env);
    return { env: { DOCKER_HOST: host }, dockerArgv: ["docker"], label: host };
  }
  return {
    env: {},
    dockerArgv: ["docker"],
    label: env.DOCKER_HOST ? env.DOCKER_HOST : "local engine",
  };
}

/**
 * A plain `docker …` step on a target.
 * @example dockerStep(t, "read deploy lock", ["inspect", "x"], "lock").argv // ["docker", "inspect", "x"]
 */
export function dockerStep(
  target: Target,
  title: string,
  args: readonly string[],
  kind: StepKind = "query",
): Step {
  return { kind, title, argv: [...target.dockerArgv, ...args], env: target.env };
}
