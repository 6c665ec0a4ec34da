/**
 * The results of the day-to-day commands on a stage's host (`ps`, `history`, `down`, `unlock`):
 * what scripts/ops.ts returns, the library returns, and lib/report/ renders (text, --json).
 */
import type { PsContainer } from "../docker/compose_ps.ts";
import type { PsService, PsTask } from "../docker/swarm_state.ts";
import type { ProxyRoute } from "../engine/proxy_caddy.ts";
import type { Release, UnreadableRelease } from "./history.ts";
import type { LockInfo } from "./lock.ts";

/** What `fleet ps` returns: the stage's containers; a Swarm stage's services and tasks. */
export interface PsResult {
  readonly stage: string;
  /** The engine's project (Compose) or stack (Swarm). */
  readonly project: string;
  /** Where: `local engine`, `ssh://…`, `context:…`. */
  readonly host: string;
  readonly containers: readonly PsContainer[];
  readonly services?: readonly PsService[];
  readonly tasks?: readonly PsTask[];
  /** The project's routes through the host's proxy, and the container that serves each (§14). */
  readonly routes?: readonly ProxyRoute[];
}

/** What `fleet history` returns: the releases recorded on the host, newest first. */
export interface HistoryResult {
  readonly stage: string;
  readonly host: string;
  /** How many releases the host keeps (the stage's `keep:`). */
  readonly keep: number;
  readonly releases: readonly Release[];
  /** Records on the host that do not parse: listed apart, never a rollback target. */
  readonly unreadable: readonly UnreadableRelease[];
  /** A stage with several hosts: the releases recorded on each (then `releases` is empty). */
  readonly hosts?: readonly {
    readonly name: string;
    readonly host: string;
    readonly releases: readonly Release[];
  }[];
}

/** What `fleet down` returns: the project whose containers were removed (volumes are kept). */
export interface DownResult {
  readonly stage: string;
  readonly project: string;
  /** A stage with several hosts: the hosts taken down. */
  readonly hosts?: readonly string[];
}

/** What `fleet unlock` returns: whose lock was removed (absent: there was none). */
export interface UnlockResult {
  readonly stage: string;
  readonly held?: LockInfo;
}
