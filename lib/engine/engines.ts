/** The engine of a stage: Compose today; Swarm stages get theirs from `orchestrator:`. */
import type { Stage } from "../config/stage.ts";
import { compose } from "./compose.ts";
import type { Engine } from "./engine.ts";

/** The engine that deploys a stage. */
export function engineFor(_stage: Stage): Engine {
  return compose;
}
