/**
 * The stage file schema (valibot, strict: unknown keys are errors) and the translation of
 * valibot issues into messages of the form `services.api.prots: unknown key (did you mean "ports"?)`.
 */
import * as v from "valibot";
import { platformProblem } from "./platforms.ts";
import {
  argNameProblem,
  imageProblem,
  longPortProblem,
  portProblem,
  registryProblem,
} from "./formats.ts";
import {
  COMPOSE_SERVICE_KEYS,
  isExtension,
  SERVICE_NAME_RE,
  SERVICE_NAME_RULE,
} from "./compose_spec.ts";
import {
  Orchestrator,
  orchestratorProblems,
  SWARM_SERVICE_KEYS,
  swarmReason,
  UpdateSchema,
} from "./swarm_settings.ts";
import { proxyProblems, ProxyServiceSchema, ProxyStageSchema } from "./proxy_settings.ts";
import {
  HOSTS_SERVICE_KEYS,
  HOSTS_STAGE_KEYS,
  hostsProblems,
  RolloutSchema,
} from "./hosts_settings.ts";

export const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_RULE = "[a-z0-9][a-z0-9_-]*";

const Name = v.pipe(v.string(), v.regex(NAME_RE, `must match ${NAME_RULE}`));
const Scalar = v.union([v.string(), v.number(), v.boolean()]);
const StringList = v.array(v.string());
const StringOrList = v.union([v.string(), StringList]);
const Duration = v.union([v.string(), v.number()]);

/** A string that `problem` finds nothing wrong with (the issue: the value and the problem). */
const valid = (problem: (s: string) => string | undefined) =>
  v.pipe(
    v.string(),
    v.check(
      (s) => problem(s) === undefined,
      (i) => `${JSON.stringify(i.input)}: ${problem(i.input as string)}`,
    ),
  );
// "" means no registry (a stage can so drop the one of _base)
const Registry = valid((s) => (s === "" ? undefined : registryProblem(s)));

const LongPort = v.pipe(
  v.strictObject({
    target: v.union([v.number(), v.string()]),
    published: v.optional(v.union([v.number(), v.string()])),
    host_ip: v.optional(v.string()),
    protocol: v.optional(v.picklist(["tcp", "udp", "sctp"])),
    mode: v.optional(v.picklist(["host", "ingress"])),
    name: v.optional(v.string()),
    app_protocol: v.optional(v.string()),
  }),
  v.check((p) => longPortProblem(p) === undefined, (i) => longPortProblem(i.input as never)!),
);
const Port = v.union([
  valid(portProblem),
  v.pipe(
    v.number(),
    v.check((n) => portProblem(n) === undefined, (i) => `${i.input}: not a port (1–65535)`),
  ),
  LongPort,
]);

const FLEET_LABEL = /^dev\.fleet\./;
const Labels = v.pipe(
  v.union([StringList, v.record(v.string(), Scalar)]),
  v.check(
    (l) =>
      (Array.isArray(l) ? l.map((x) => x.split("=")[0]) : Object.keys(l)).every((k) =>
        !FLEET_LABEL.test(k)
      ),
    "dev.fleet.* labels are fleet's own",
  ),
);
const Volume = valid((s) =>
  /^~[^/:]/.test(s) ? "~user is not supported: ~ is the home of the user running fleet" : undefined
);

/** A key of Compose's that fleet sets or relies on: an error under `compose:`, saying why. */
const ONE_CONTAINER = "fleet runs one container per service";

/**
 * Compose keys fleet sets or relies on, by key path under `compose:`, with the reason (an error
 * there). `<service>` stands for the service's name.
 */
export const COMPOSE_OWNED: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    [
      "image",
      "build",
      "labels",
      "ports",
      "environment",
      "env_file",
      "volumes",
      "depends_on",
      "command",
      "restart",
      "healthcheck",
    ].map((k) => [k, `fleet sets ${k} itself: use services.<service>.${k}`]),
  ),
  scale: ONE_CONTAINER,
  "deploy.replicas": ONE_CONTAINER,
  "deploy.mode": ONE_CONTAINER,
  pull_policy: "fleet pulls before anything stops (--no-pull skips that)",
};

const owned = (why: string) => v.optional(v.custom<never>(() => false, why));
const ownedUnder = (prefix: string) =>
  Object.fromEntries(
    Object.entries(COMPOSE_OWNED).filter(([k]) =>
      k.startsWith(prefix) && !k.slice(prefix.length).includes(".")
    )
      .map(([k, why]) => [k.slice(prefix.length), owned(why)]),
  );

/** `compose:` passes any other Compose service key through as written. */
const ComposeSchema = v.objectWithRest({
  ...ownedUnder(""),
  deploy: v.optional(v.looseObject(ownedUnder("deploy."))),
}, v.unknown());

const BuildSchema = v.strictObject({
  context: v.optional(v.string()),
  dockerfile: v.optional(v.string()),
  target: v.optional(v.string()),
  args: v.optional(v.record(valid(argNameProblem), v.nullable(Scalar))),
  secrets: v.optional(v.array(v.strictObject({
    id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/, "must match [A-Za-z0-9_.-]+")),
    env: valid(argNameProblem),
  }))),
});

/** A string with a `${VAR}`: Compose's to check once it is resolved. */
const Templated = v.pipe(v.string(), v.regex(/\$\{?[A-Za-z_]/, "not a variable"));
/** A number, or a `${VAR}` that gives one (`retries: ${RETRIES:-3}`). */
const Count = v.union([v.number(), Templated]);

const HealthcheckSchema = v.strictObject({
  test: v.optional(StringOrList),
  interval: v.optional(Duration),
  timeout: v.optional(Duration),
  retries: v.optional(Count),
  start_period: v.optional(Duration),
  start_interval: v.optional(Duration),
  disable: v.optional(v.union([v.boolean(), Templated])),
});

const ServiceName = v.pipe(
  v.string(),
  v.regex(SERVICE_NAME_RE, `must match ${SERVICE_NAME_RULE}`),
);
/** `depends_on`: a list of names, or Compose's long syntax (condition, required, restart). */
const DependsOn = v.union([
  v.array(v.union([ServiceName, Templated])),
  v.record(
    ServiceName,
    v.strictObject({
      condition: v.optional(
        v.picklist(["service_started", "service_healthy", "service_completed_successfully"]),
      ),
      required: v.optional(v.union([v.boolean(), Templated])),
      restart: v.optional(v.union([v.boolean(), Templated])),
    }),
  ),
]);
const Restart = v.union([
  v.picklist(["no", "always", "on-failure", "unless-stopped"]),
  v.pipe(v.string(), v.regex(/^on-failure:\d+$/, "on-failure:<retries>")),
  Templated,
]);
/** A service's networks: a list of names, or names → aliases, fixed addresses, priority… */
const ServiceNetworks = v.union([
  v.array(v.string()),
  v.record(v.string(), v.nullable(v.looseObject({ aliases: v.optional(StringList) }))),
]);
/** Volumes: Compose's short syntax (checked here) or its long syntax (Compose checks it). */
const ServiceVolume = v.union([Volume, v.looseObject({ target: v.optional(v.string()) })]);
/** Image references: checked here unless a `${VAR}` makes them (resolved when a command runs). */
const ImageOrTemplate = valid((s) => /\$\{?[A-Za-z_]/.test(s) ? undefined : imageProblem(s));

/** Keys of the compose-spec that fleet passes through as written (Compose checks them). */
const PASSED = Object.fromEntries(
  COMPOSE_SERVICE_KEYS.map((k) => [k, v.optional(v.unknown())]),
) as Record<never, never>; // typed as the rest (unknown); the keys fleet checks are typed below

const SERVICE_ENTRIES = {
  ...PASSED,
  build: v.optional(v.union([BuildSchema, v.null()])),
  image: v.optional(ImageOrTemplate),
  registry: v.optional(Registry),
  labels: v.optional(Labels),
  ports: v.optional(v.array(Port)),
  environment: v.optional(
    // the list first: a record accepts an array too (as keys "0", "1", …)
    v.union([StringList, v.record(v.string(), v.nullable(Scalar))]),
  ),
  env_file: v.optional(v.union([v.string(), v.array(v.union([v.string(), v.looseObject({})]))])),
  volumes: v.optional(v.array(ServiceVolume)),
  depends_on: v.optional(DependsOn),
  command: v.optional(v.nullable(StringOrList)),
  restart: v.optional(Restart),
  healthcheck: v.optional(HealthcheckSchema),
  networks: v.optional(ServiceNetworks),
  profiles: v.optional(StringList),
  container_name: v.optional(v.string()),
  compose: v.optional(ComposeSchema),
  proxy: v.optional(ProxyServiceSchema),
  ...SWARM_SERVICE_KEYS,
  ...HOSTS_SERVICE_KEYS,
};
/** A service: fleet's keys checked, Compose's other keys passed through (see unknownKeys). */
export const ServiceSchema = v.objectWithRest(SERVICE_ENTRIES, v.unknown());
const TypedService = v.object(SERVICE_ENTRIES);

/** The keys a service may have: fleet's, Compose's, and extensions (`x-…`). */
const SERVICE_KEYS = new Set(Object.keys(ServiceSchema.entries));

/** Release tasks (SPEC §11): one-off commands with the new image before anything stops. */
const TasksSchema = v.strictObject({
  // both keys are needed, but either may come from _base: checked when the stage resolves
  pre_deploy: v.optional(
    v.strictObject({ service: v.optional(ServiceName), command: v.optional(StringOrList) }),
  ),
});

/** Hooks: one argv, or a list of argvs, run on the machine that runs fleet. */
const Hook = v.union([
  v.pipe(StringList, v.minLength(1)),
  v.array(v.pipe(StringList, v.minLength(1))),
]);
const HooksSchema = v.strictObject({
  pre_deploy: v.optional(Hook),
  post_deploy: v.optional(Hook),
});

const HistorySchema = v.strictObject({
  keep: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "must be at least 1"))),
});

export const StageFileSchema = v.objectWithRest({
  project: v.optional(Name),
  registry: v.optional(Registry),
  platform: v.optional(v.pipe(
    v.union([v.string(), StringList]),
    v.check((p) => platformProblem(p) === undefined, (i) => platformProblem(i.input as string)!),
  )),
  buildx: v.optional(v.boolean()),
  tag: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "not a valid tag")),
  ),
  host: v.optional(v.pipe(
    v.string(),
    v.regex(/^(unix|tcp|ssh|npipe):\/\//, "must start with unix://, tcp:// or ssh://"),
  )),
  context: v.optional(
    v.pipe(v.string(), v.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/, "not a Docker context name")),
  ),
  confirm: v.optional(v.boolean()),
  compose_file: v.optional(v.union([v.pipe(v.string(), v.minLength(1)), v.array(v.string())])),
  profiles: v.optional(StringList),
  services: v.optional(v.record(ServiceName, ServiceSchema)),
  // Compose's own top-level maps, passed through (Compose checks them)
  networks: v.optional(v.record(v.string(), v.nullable(v.looseObject({})))),
  volumes: v.optional(v.record(v.string(), v.nullable(v.looseObject({})))),
  configs: v.optional(v.record(v.string(), v.nullable(v.looseObject({})))),
  secrets: v.optional(v.record(v.string(), v.nullable(v.looseObject({})))),
  tasks: v.optional(TasksSchema),
  hooks: v.optional(HooksSchema),
  history: v.optional(HistorySchema),
  orchestrator: v.optional(Orchestrator),
  proxy: v.optional(ProxyStageSchema),
  ...HOSTS_STAGE_KEYS,
}, v.unknown());

export type StageFile = v.InferOutput<typeof StageFileSchema>;
/** A service's settings: the keys fleet reads, typed (Compose's others are there, untyped). */
export type ServiceFile = v.InferOutput<typeof TypedService>;

/** The keys allowed at a key path (for "did you mean"), or [] where any key goes. */
export function keysAt(path: readonly string[]): string[] {
  const p = path.slice(0, -1);
  if (p.length === 0) return Object.keys(StageFileSchema.entries);
  if (p.length === 1 && p[0] === "tasks") return Object.keys(TasksSchema.entries);
  if (p.length === 1 && p[0] === "hooks") return Object.keys(HooksSchema.entries);
  if (p.length === 1 && p[0] === "history") return Object.keys(HistorySchema.entries);
  if (p.length === 1 && p[0] === "proxy") return Object.keys(ProxyStageSchema.entries);
  if (p.length === 1 && p[0] === "rollout") return Object.keys(RolloutSchema.entries);
  if (p.length === 2 && p[0] === "tasks") return ["service", "command"];
  if (p[0] !== "services") return [];
  if (p.length === 2) return Object.keys(ServiceSchema.entries);
  if (p.length === 3 && p[2] === "build") return Object.keys(BuildSchema.entries);
  if (p.length === 3 && p[2] === "healthcheck") return Object.keys(HealthcheckSchema.entries);
  if (p.length === 3 && p[2] === "update") return Object.keys(UpdateSchema.entries);
  if (p.length === 3 && p[2] === "proxy") return Object.keys(ProxyServiceSchema.entries);
  return [];
}

/** The closest candidate within edit distance 2 (or a shared prefix), if any. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      const swap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (swap) row[j] = Math.min(row[j], prev); // transposition ("prots" → "ports") costs 1
      prev = cur;
    }
  }
  return row[b.length];
}

/** One schema problem: the key path and the message after it. */
export interface Problem {
  readonly path: string[];
  readonly message: string;
  /** The problem is the key itself (unknown key, bad name): its position is the key's. */
  readonly key?: boolean;
}

/** Validate a merged stage document; returns the typed value or the problems found. */
export function validateStageFile(
  doc: unknown,
): { ok: true; value: StageFile } | { ok: false; problems: Problem[] } {
  const r = v.safeParse(StageFileSchema, doc, { abortEarly: false });
  const unknown = unknownKeys(doc);
  if (r.success && unknown.length) return { ok: false, problems: unknown };
  // keys that do not fit the stage's orchestrator (Swarm settings on Compose, and the reverse)
  const misfits = [
    ...orchestratorProblems((doc ?? {}) as Parameters<typeof orchestratorProblems>[0]),
    ...proxyProblems((doc ?? {}) as Parameters<typeof proxyProblems>[0]),
    ...hostsProblems((doc ?? {}) as Parameters<typeof hostsProblems>[0]),
  ];
  if (r.success && misfits.length) return { ok: false, problems: misfits };
  if (r.success) return { ok: true, value: r.output };
  const swarm = (doc as { orchestrator?: unknown } | null)?.orchestrator === "swarm";
  const problems = [
    ...r.issues.map(toProblem).map((p) => {
      const why = swarm ? swarmReason(p.path) : undefined;
      return why ? { ...p, message: why } : p;
    }),
    ...misfits,
    ...unknown,
  ];
  // a union reports one issue per branch at the same path: keep the first of each path
  const seen = new Set<string>();
  return {
    ok: false,
    problems: problems.filter((p) => {
      const k = p.path.join(".");
      return seen.has(k) ? false : (seen.add(k), true);
    }),
  };
}

/** Keys that are neither fleet's nor Compose's nor extensions (`x-…`), with "did you mean". */
function unknownKeys(doc: unknown): Problem[] {
  const out: Problem[] = [];
  const check = (map: unknown, known: readonly string[], path: string[]) => {
    if (!map || typeof map !== "object" || Array.isArray(map)) return;
    for (const key of Object.keys(map)) {
      if (known.includes(key) || isExtension(key)) continue;
      const guess = didYouMean(key, known);
      out.push({
        path: [...path, key],
        key: true,
        message: guess
          ? `unknown key (did you mean "${guess}"?)`
          : `unknown key (valid keys: ${known.join(", ")})`,
      });
    }
  };
  check(doc, Object.keys(StageFileSchema.entries), []);
  const services = (doc as { services?: unknown } | null)?.services;
  if (services && typeof services === "object") {
    for (const [name, svc] of Object.entries(services)) {
      check(svc, [...SERVICE_KEYS], ["services", name]);
    }
  }
  return out;
}

function toProblem(issue: v.BaseIssue<unknown>): Problem {
  // a union whose every branch failed, one of them deeper inside the value (a map with a bad
  // value): that branch says what is wrong and where, the union only that nothing matched
  // (a branch's path starts where the union is)
  const deepest = (issue.issues ?? []).reduce<v.BaseIssue<unknown> | undefined>(
    (d, i) => ((i.path?.length ?? 0) > (d?.path?.length ?? 0) ? i : d),
    undefined,
  );
  if (issue.type === "union" && deepest) {
    const path = [...(issue.path ?? []), ...(deepest.path ?? [])];
    return toProblem({ ...deepest, path: path as v.BaseIssue<unknown>["path"] });
  }
  const path = (issue.path ?? []).map((p) => String(p.key));
  const last = path.at(-1) ?? "";
  if (issue.type === "strict_object" && issue.expected === "never") {
    const valid = keysAt(path);
    // a list where a map belongs: its indexes are no keys (valibot walks an array as an object)
    if (Array.isArray(issue.path?.at(-1)?.input)) {
      return {
        path: path.slice(0, -1),
        message: `a map (keys: ${valid.join(", ")}), not a list`,
      };
    }
    const guess = didYouMean(last, valid);
    return {
      path,
      key: true,
      message: guess
        ? `unknown key (did you mean "${guess}"?)`
        : `unknown key (valid keys: ${valid.join(", ")})`,
    };
  }
  if (issue.type === "regex" && path[0] === "services" && path.length === 2) {
    return {
      path,
      key: true,
      message: `invalid service name "${last}" (names must match ${SERVICE_NAME_RULE})`,
    };
  }
  if (issue.type === "regex" && last === "project") {
    return { path, message: `invalid project name ${issue.received} (must match ${NAME_RULE})` };
  }
  if (issue.type === "regex") return { path, message: `${issue.received}: ${issue.message}` };
  if (issue.type === "custom") {
    return { path, message: issue.message.replace("<service>", path[1] ?? "<service>") };
  }
  if (issue.type === "check") return { path, message: issue.message };
  if (issue.type === "picklist") {
    return { path, message: `expected one of ${issue.expected}, got ${issue.received}` };
  }
  return { path, message: `expected ${issue.expected}, got ${issue.received}` };
}
