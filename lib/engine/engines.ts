/** The engine of a stage, from its `orchestrator:` (SPEC §8): Compose, or Swarm. */
import type { Stage } from "../config/stage.ts";
import { compose } from "./compose.ts";
import type { Engine } from "./engine.ts";
import { swarm } from "./swarm.ts";

/** The engine that deploys a stage. */
export function engineFor(stage: Stage): Engine {
  return stage.orchestrator === "swarm" ? swarm : compose;
}
