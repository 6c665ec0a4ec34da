/**
 * Swarm stages in a stage file (SPEC §8): `orchestrator:`, the Swarm-only service keys
 * (replicas, update, placement, endpoint), and the checks across keys that a schema cannot say:
 * Swarm settings on a Compose stage, and keys Swarm ignores on a Swarm stage, each refused with
 * the reason (long-syntax ports are in schema.ts, for both). Pure.
 */
import * as v from "valibot";

/** Go-style durations as Compose and Swarm read them: 10s, 1m30s, 500ms; a number is seconds. */
const DURATION_RE = /^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/;
const Duration = v.union([
  v.pipe(v.number(), v.minValue(0)),
  v.pipe(v.string(), v.regex(DURATION_RE, "not a duration (e.g. 10s, 1m30s, 500ms)")),
]);
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** `orchestrator: compose | swarm` (default compose). */
export const Orchestrator = v.picklist(["compose", "swarm"]);

/** The rolling update policy of a Swarm service. */
export const UpdateSchema = v.strictObject({
  order: v.optional(v.picklist(["start-first", "stop-first"])),
  parallelism: v.optional(Count),
  delay: v.optional(Duration),
  monitor: v.optional(Duration),
});

/** The Swarm-only keys of a service (spread into the service schema). */
export const SWARM_SERVICE_KEYS = {
  replicas: v.optional(Count),
  update: v.optional(UpdateSchema),
  placement: v.optional(v.array(v.string())),
  endpoint: v.optional(v.picklist(["vip", "dnsrr"])),
};

/**
 * Seconds of a duration (a number is seconds already); undefined when it is not one.
 * @example seconds("1m30s") // 90
 */
export function seconds(d: string | number | undefined): number | undefined {
  if (typeof d === "number") return d;
  if (d === undefined || !DURATION_RE.test(d)) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)/g)) {
    total += Number(m[1]) * unit[m[2]];
  }
  return total;
}

const COMPOSE_ONLY = "a Swarm setting, and this stage deploys with Compose " +
  "(orchestrator: swarm makes it a Swarm stage)";
const NO_ORDER = "Swarm ignores it (docker stack deploy starts services in no order): remove it, " +
  "and let the service retry until what it needs answers";

/**
 * Compose keys under `compose:` that a Swarm stage refuses, with the reason: those
 * `docker stack deploy` ignores, and those fleet sets itself on a Swarm stage. (Keys fleet owns
 * on every stage, schema.ts's COMPOSE_OWNED, are refused there; for a few of them the reason on
 * a Swarm stage is this one.)
 */
const SWARM_REFUSES: Readonly<Record<string, string>> = {
  container_name: "Swarm ignores it: it names each task itself ({project}-{stage}_{service}.N)",
  links: "Swarm ignores it: services reach each other by name on the stack's network",
  external_links: "Swarm ignores it: services reach each other by name on the stack's network",
  network_mode: "Swarm ignores it: services join the stack's overlay network",
  cgroup_parent: "docker stack deploy ignores it",
  devices: "docker stack deploy ignores it",
  security_opt: "docker stack deploy ignores it",
  userns_mode: "docker stack deploy ignores it",
  "deploy.replicas": "fleet sets it on a Swarm stage: use services.<service>.replicas",
  "deploy.mode": "fleet deploys replicated services: use services.<service>.replicas",
  "deploy.update_config": "fleet sets it on a Swarm stage: use services.<service>.update",
  "deploy.rollback_config": "fleet sets it on a Swarm stage from services.<service>.update",
  "deploy.endpoint_mode": "fleet sets it on a Swarm stage: use services.<service>.endpoint",
  "deploy.restart_policy": "fleet sets it on a Swarm stage from services.<service>.restart",
  "deploy.placement.constraints":
    "fleet sets it on a Swarm stage: use services.<service>.placement",
};

/**
 * The reason a key under `services.<service>.compose` is refused on a Swarm stage, if it is.
 * @example swarmReason(["services", "web", "compose", "deploy", "replicas"]) // "fleet sets it … services.web.replicas"
 */
export function swarmReason(path: readonly string[]): string | undefined {
  if (path[0] !== "services" || path[2] !== "compose") return undefined;
  return SWARM_REFUSES[path.slice(3).join(".")]?.replace("<service>", path[1]);
}

function valueAt(x: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
    x,
  );
}

/** One problem: the key path and the message after it (the shape of schema.ts's Problem). */
export interface KeyProblem {
  readonly path: string[];
  readonly message: string;
}

type Doc = {
  readonly orchestrator?: string;
  readonly services?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
};

/**
 * Keys that do not fit the stage's orchestrator, each with the reason: Swarm settings on a
 * Compose stage; on a Swarm stage, keys Swarm ignores (also under `compose:`) and `deploy:`
 * keys fleet sets itself.
 * @example orchestratorProblems({ services: { web: { replicas: 2 } } })[0].path // ["services", "web", "replicas"]
 */
export function orchestratorProblems(doc: Doc): KeyProblem[] {
  const out: KeyProblem[] = [];
  const swarm = doc.orchestrator === "swarm";
  const services = doc.services && typeof doc.services === "object" ? doc.services : {};
  for (const [name, svc] of Object.entries(services)) {
    if (!svc || typeof svc !== "object" || Array.isArray(svc)) continue; // the schema says why
    const at = (...p: string[]) => ["services", name, ...p];
    if (!swarm) {
      for (const k of Object.keys(SWARM_SERVICE_KEYS)) {
        if (svc[k] !== undefined) out.push({ path: at(k), message: COMPOSE_ONLY });
      }
      continue;
    }
    if (svc.depends_on !== undefined) out.push({ path: at("depends_on"), message: NO_ORDER });
    for (const key of Object.keys(SWARM_REFUSES)) {
      const path = at("compose", ...key.split("."));
      if (valueAt(svc, path.slice(2)) !== undefined) {
        out.push({ path, message: swarmReason(path)! });
      }
      // the same key set directly on the service (Compose's keys are the stage's too)
      const direct = at(...key.split("."));
      if (valueAt(svc, direct.slice(2)) !== undefined) {
        out.push({ path: direct, message: swarmReason(path)! });
      }
    }
  }
  return out;
}
