/**
 * The engine of a stage, from its `orchestrator:` (SPEC §8): Compose, or Swarm; a Compose stage
 * with the proxy (SPEC §14) replaces its proxied services blue/green.
 */
import type { Stage } from "../config/stage.ts";
import { compose } from "./compose.ts";
import { proxied } from "./proxy.ts";
import type { Engine } from "./engine.ts";
import { swarm } from "./swarm.ts";

/** The engine that deploys a stage. */
export function engineFor(stage: Stage): Engine {
  if (stage.orchestrator === "swarm") return swarm;
  return stage.proxy ? proxied : compose;
}
