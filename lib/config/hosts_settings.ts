/**
 * Several hosts per stage (SPEC §15): `hosts:` (names → Docker hosts), `rollout: { parallel }`,
 * a service's `on:` (the hosts it runs on), and the checks across keys that a schema cannot say:
 * `hosts:` beside `host:`/`context:`, on a Swarm stage, `on:` without `hosts:` or naming a host
 * that is not there. Pure.
 */
import * as v from "valibot";

const HOST_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
/** A Docker host: a DOCKER_HOST URL, or a Docker context name. */
const HOST_RE = /^((unix|tcp|ssh):\/\/.+|[a-zA-Z0-9][a-zA-Z0-9_.+-]*)$/;

const HostName = v.pipe(v.string(), v.regex(HOST_NAME_RE, "must match [a-z0-9][a-z0-9_-]*"));
const HostAddress = v.pipe(
  v.string(),
  v.regex(HOST_RE, "must be unix://, tcp:// or ssh://…, or a Docker context name"),
);

/** `rollout:`: how many hosts are updated at a time. */
export const RolloutSchema = v.strictObject({
  parallel: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

/** The stage keys of several hosts (spread into the stage file's schema). */
export const HOSTS_STAGE_KEYS = {
  hosts: v.optional(v.record(HostName, HostAddress)),
  rollout: v.optional(RolloutSchema),
};

/** The service key of several hosts (spread into the service schema). */
export const HOSTS_SERVICE_KEYS = {
  on: v.optional(v.array(HostName)),
};

/** One host of a stage: its name and where its engine is (a URL, or a context). */
export interface StageHost {
  readonly name: string;
  readonly host?: string;
  readonly context?: string;
}

/**
 * The hosts of `hosts:`, in name order (the order locks are taken in).
 * @example stageHosts({ b: "ssh://x", a: "live" }) // [{ name: "a", context: "live" }, { name: "b", host: "ssh://x" }]
 */
export function stageHosts(hosts: Readonly<Record<string, string>>): StageHost[] {
  return Object.keys(hosts).sort().map((name) =>
    /^[a-z]+:\/\//.test(hosts[name]) ? { name, host: hosts[name] } : { name, context: hosts[name] }
  );
}

/** One problem: the key path and the message after it (the shape of schema.ts's Problem). */
export interface HostsProblem {
  readonly path: string[];
  readonly message: string;
}

type Doc = {
  readonly hosts?: unknown;
  readonly host?: unknown;
  readonly context?: unknown;
  readonly orchestrator?: unknown;
  readonly rollout?: unknown;
  readonly services?: unknown;
};

const isMap = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Keys of several hosts that do not fit the rest of the stage, each with the reason.
 * @example hostsProblems({ services: { web: { on: ["a"] } } })[0].path // ["services", "web", "on"]
 */
export function hostsProblems(doc: Doc): HostsProblem[] {
  const out: HostsProblem[] = [];
  const hosts = isMap(doc.hosts) ? Object.keys(doc.hosts) : undefined;
  if (hosts) {
    for (const k of ["host", "context"] as const) {
      if (doc[k] !== undefined) {
        out.push({
          path: [k],
          message:
            `set either hosts or ${k}, not both (hosts: names every Docker host of the stage)`,
        });
      }
    }
    if (doc.orchestrator === "swarm") {
      out.push({
        path: ["hosts"],
        message: "a Swarm stage deploys through its manager (host:), and Swarm places the tasks " +
          "(services.<service>.placement): hosts: is for Compose stages",
      });
    }
    if (hosts.length === 0) out.push({ path: ["hosts"], message: "names no host" });
  } else if (doc.rollout !== undefined) {
    out.push({ path: ["rollout"], message: "only for a stage with hosts: (names → Docker hosts)" });
  }
  const services = isMap(doc.services) ? doc.services : {};
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc) || !Array.isArray(svc.on)) continue;
    const path = ["services", name, "on"];
    if (!hosts) {
      out.push({ path, message: "names hosts of hosts:, and this stage has none" });
      continue;
    }
    if (svc.on.length === 0) {
      out.push({ path, message: "names no host: the service would run nowhere" });
    }
    for (const h of svc.on) {
      if (typeof h === "string" && !hosts.includes(h)) {
        out.push({ path, message: `unknown host "${h}" (hosts: ${hosts.sort().join(", ")})` });
      }
    }
  }
  return out;
}
