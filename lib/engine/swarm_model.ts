/**
 * Render the stack file of a Swarm stage (pure): each service as in the Compose model, plus
 * `deploy:` (replicas, a rolling update that Swarm rolls back when it fails, placement, endpoint
 * mode, the restart policy), on an attachable overlay network (the release task and `fleet run`
 * join it). `${VAR}` stays for `docker stack deploy` to resolve from its own environment.
 */
import { parse, stringify } from "yaml";
import { yamlText } from "../config/yaml_cache.ts";
import type { Service, Stage } from "../config/stage.ts";
import { seconds } from "../config/swarm_settings.ts";
import { imageRef } from "../docker/images.ts";
import { activeServices } from "../config/services.ts";
import { LABEL, type ModelOptions, renderService } from "./compose_model.ts";

/** The stack file format: 3.8 is read by every client from 20.10 on. */
export const STACK_VERSION = "3.8";

/** How a stack model is made. */
export type StackOptions = ModelOptions & {
  /** false: a failed update is paused instead of rolled back (--no-rollback). */
  readonly rollback?: boolean;
};

type Model = {
  version: string;
  services: Record<string, Record<string, unknown>>;
  networks: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, never>>;
};

const RESTART: Readonly<Record<string, string>> = {
  "no": "none",
  "always": "any",
  "unless-stopped": "any",
  "on-failure": "on-failure",
};

/**
 * The stack model of a Swarm stage as a plain object.
 * @example renderStack(stage).services.web.deploy.update_config.order // "start-first"
 */
export function renderStack(stage: Stage, opts: StackOptions = {}): Model {
  const services: Model["services"] = {};
  const named = new Set<string>();
  // Swarm has no profiles: a service runs when its profile is active, and loses the key
  for (const svc of activeServices(stage)) {
    const image = opts.images?.[svc.name] ?? imageRef(stage, svc, opts);
    const { profiles: _p, ...base } = renderService(stage, svc, image, named, opts.home);
    services[svc.name] = withDeploy(stage, svc, base, opts.rollback !== false);
  }
  // the networks of the Compose files and the stage files, as overlay networks
  const declared = { ...stage.compose?.networks, ...stage.top?.networks };
  const networks = Object.fromEntries(
    Object.entries(declared).map(([n, d]) => {
      const def = (d ?? {}) as Record<string, unknown>;
      return [n, def.external ? def : { driver: "overlay", attachable: true, ...def }];
    }),
  );
  const model: Model = {
    version: STACK_VERSION,
    services,
    networks: { default: { driver: "overlay", attachable: true }, ...networks },
  };
  if (named.size) model.volumes = Object.fromEntries([...named].sort().map((v) => [v, {}]));
  return model;
}

/** The stack model as YAML text (what `fleet config <stage> --compose` prints). */
export function stackYaml(stage: Stage, opts: StackOptions = {}): string {
  return yamlText(renderStack(stage, opts));
}

/**
 * Seconds Swarm watches a new task for failure: long enough for the healthcheck to decide
 * (`retries` checks `interval` apart, the last taking up to `timeout`; Docker's defaults
 * 3 × 30s + 30s), at least 5.
 * @example defaultMonitor({ healthcheck: { interval: "1s", retries: 3, timeout: "1s" } }) // 5
 */
export function defaultMonitor(svc: Pick<Service, "healthcheck">): number {
  const h = svc.healthcheck;
  if (!h || h.disable || h.test === undefined) return 5;
  const retries = typeof h.retries === "number" ? h.retries : Number(h.retries ?? 3) || 3;
  const decide = retries * (seconds(h.interval) ?? 30) + (seconds(h.timeout) ?? 30);
  return Math.max(5, Math.ceil(decide));
}

function withDeploy(
  stage: Stage,
  svc: Service,
  base: Record<string, unknown>,
  rollback: boolean,
): Record<string, unknown> {
  const { restart: _r, depends_on: _d, deploy: given, ...rest } = base;
  const extra = (given ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const u = svc.update ?? {};
  const dur = (d: string | number) => (typeof d === "number" ? `${d}s` : d);
  const policy = {
    parallelism: u.parallelism ?? 1,
    order: u.order ?? "start-first",
    monitor: dur(u.monitor ?? defaultMonitor(svc)),
  };
  const deploy: Record<string, unknown> = {
    ...extra,
    replicas: svc.replicas ?? 1,
    update_config: {
      ...policy,
      delay: dur(u.delay ?? 0),
      failure_action: rollback ? "rollback" : "pause",
    },
    rollback_config: { ...policy, failure_action: "pause" },
    labels: { ...extra.labels, [LABEL.stage]: stage.name, [LABEL.service]: svc.name },
  };
  if (svc.endpoint) deploy.endpoint_mode = svc.endpoint;
  if (svc.restart) deploy.restart_policy = { condition: RESTART[svc.restart] };
  if (svc.placement) deploy.placement = { ...extra.placement, constraints: svc.placement };
  return { ...rest, deploy };
}

/**
 * A stack file with only some of its services (`-n`): `docker stack deploy` leaves the
 * stack's other services as they are (unless --prune).
 */
export function onlyServices(model: string, services: readonly string[]): string {
  const m = parse(model) as Model;
  const all = Object.keys(m.services ?? {});
  if (all.every((s) => services.includes(s))) return model;
  m.services = Object.fromEntries(services.map((s) => [s, m.services[s]]));
  return stringify(m, { lineWidth: 0 });
}

/** The image each service of a stack file names. */
export function imagesOfModel(model: string): Record<string, string> {
  const m = parse(model) as Model;
  return Object.fromEntries(
    Object.entries(m.services ?? {}).map(([s, svc]) => [s, String(svc.image ?? "")]),
  );
}
