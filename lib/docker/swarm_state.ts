/**
 * Questions fleet asks a Swarm manager: a stack's services (spec, update state) and their tasks,
 * the nodes' platforms. Parsing is pure and exported; secrets in a service's spec (its Env) are
 * never kept.
 */
import type { Deps } from "../core/deps.ts";
import type { RunResult } from "../core/run.ts";
import { dockerStep, type Target } from "./target.ts";

/** The label `docker stack deploy` puts on a stack's services and networks. */
export const STACK_LABEL = "com.docker.stack.namespace";

/** A Swarm service, as the wait and `fleet ps` need it. */
export interface SwarmService {
  /** The service's name in Swarm: `{stack}_{service}`. */
  readonly name: string;
  readonly image: string;
  readonly replicas: number;
  /** UpdateStatus.State: updating, paused, completed, rollback_started, …; "" when none. */
  readonly update: string;
  readonly updateMessage: string;
  /** No previous spec: the service was created, not updated. */
  readonly created: boolean;
  /** Its task template or endpoint differs from the previous spec: tasks are to be replaced. */
  readonly changed: boolean;
}

/** A task of a service, as `docker service ps` reports it. */
export interface SwarmTask {
  readonly id: string;
  /** The task's name: `{stack}_{service}.{slot}`. */
  readonly name: string;
  /** The Swarm service it belongs to. */
  readonly service: string;
  readonly image: string;
  readonly node: string;
  /** Desired state, lower case: running, shutdown, … */
  readonly desired: string;
  /** Current state, lower case: running, starting, failed, rejected, shutdown, pending, … */
  readonly state: string;
  readonly error: string;
}

/** Parse `docker service inspect --format '{{json .}}'` lines. */
export function parseServices(stdout: string): SwarmService[] {
  return jsonLines(stdout).map((j) => {
    const spec = j.Spec ?? {};
    const prev = j.PreviousSpec;
    const same = (k: string) =>
      JSON.stringify(spec[k] ?? null) === JSON.stringify(prev?.[k] ?? null);
    return {
      name: spec.Name ?? "",
      image: spec.TaskTemplate?.ContainerSpec?.Image ?? "",
      replicas: spec.Mode?.Replicated?.Replicas ?? 0,
      update: j.UpdateStatus?.State ?? "",
      updateMessage: j.UpdateStatus?.Message ?? "",
      created: !prev,
      changed: !!prev && !(same("TaskTemplate") && same("EndpointSpec")),
    };
  });
}

/** Parse `docker service ps --no-trunc --format '{{json .}}'` lines. */
export function parseTasks(stdout: string): SwarmTask[] {
  return jsonLines(stdout).map((j) => ({
    id: j.ID ?? "",
    name: j.Name ?? "",
    service: String(j.Name ?? "").replace(/\.[^.]+$/, ""),
    image: j.Image ?? "",
    node: j.Node ?? "",
    desired: String(j.DesiredState ?? "").toLowerCase(),
    state: String(j.CurrentState ?? "").split(" ")[0].toLowerCase(),
    error: String(j.Error ?? "").replace(/^"(.*)"$/, "$1"),
  }));
}

// deno-lint-ignore no-explicit-any
function jsonLines(stdout: string): any[] {
  return stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l));
}

/** The services of a stack (by Swarm name) with their state; missing ones are left out. */
export async function stackServices(
  deps: Deps,
  target: Target,
  names: readonly string[],
): Promise<{ services: SwarmService[]; result: RunResult }> {
  const r = await deps.runner.run(
    dockerStep(target, "inspect services", [
      "service",
      "inspect",
      "--format",
      "{{json .}}",
      ...names,
    ]),
    { check: false, uninterruptible: true },
  );
  return { services: parseServices(r.stdout), result: r };
}

/** The tasks of services (by Swarm name), every state (Swarm keeps a few old ones per slot). */
export async function serviceTasks(
  deps: Deps,
  target: Target,
  names: readonly string[],
): Promise<{ tasks: SwarmTask[]; result: RunResult }> {
  const r = await deps.runner.run(
    dockerStep(target, "list tasks", [
      "service",
      "ps",
      "--no-trunc",
      "--format",
      "{{json .}}",
      ...names,
    ]),
    { check: false, uninterruptible: true },
  );
  return { tasks: parseTasks(r.stdout), result: r };
}

/** The Swarm names of a stack's services (none when the stack is not there). */
export async function stackServiceNames(
  deps: Deps,
  target: Target,
  stack: string,
): Promise<string[]> {
  const r = await deps.runner.run(
    dockerStep(target, "list services", [
      "service",
      "ls",
      "--filter",
      `label=${STACK_LABEL}=${stack}`,
      "--format",
      "{{.Name}}",
    ]),
    { uninterruptible: true },
  );
  return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean).sort();
}

/** A service of a stack as `fleet ps` shows it. */
export interface PsService {
  /** The stage's name of the service (without the stack's prefix). */
  readonly name: string;
  readonly running: number;
  readonly replicas: number;
  /** The image reference, with its digest when pinned. */
  readonly image: string;
  /** The update state ("" when there was none). */
  readonly update: string;
}

/** A task of a stack as `fleet ps` shows it. */
export interface PsTask {
  /** `{service}.{slot}` */
  readonly name: string;
  readonly service: string;
  readonly node: string;
  readonly state: string;
  readonly error: string;
}

/** A node: its platform (os/arch as the node reports it: linux/x86_64) and whether it takes tasks. */
export interface SwarmNode {
  readonly platform: string;
  readonly ready: boolean;
}

/** Parse `docker node inspect --format '{{.Description.Platform.OS}}/… {{.Status.State}} {{.Spec.Availability}}'`. */
export function parseNodes(stdout: string): SwarmNode[] {
  return stdout.split("\n").map((l) => l.trim().split(" ")).filter((f) => f.length === 3).map((
    [platform, state, availability],
  ) => ({
    platform: platform.toLowerCase(),
    ready: state === "ready" && availability === "active",
  }));
}

/** The host names of the swarm's nodes that are not ready (down, unknown, disconnected). */
export async function downNodes(deps: Deps, target: Target): Promise<string[]> {
  const r = await deps.runner.run(
    dockerStep(target, "list nodes", ["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]),
    { check: false, uninterruptible: true },
  );
  return parseDownNodes(r.stdout);
}

/**
 * The nodes whose status is not Ready, from `docker node ls --format '{{.Hostname}} {{.Status}}'`.
 * @example parseDownNodes("n1 Ready\nn2 Down\n") // ["n2"]
 */
export function parseDownNodes(stdout: string): string[] {
  return stdout.split("\n").map((l) => l.trim().split(" ")).filter((f) => f.length === 2)
    .filter(([, status]) => status.toLowerCase() !== "ready").map(([host]) => host);
}
