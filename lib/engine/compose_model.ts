/**
 * Render the Compose model of a stage (pure). Stage files use Compose's own variable syntax
 * (lib/config/vars.ts), so user values go in as written and Compose resolves `${VAR}` from its
 * environment: values never land in argv or a file. Text fleet makes (paths) is `literal()`.
 */
import { yamlText } from "../config/yaml_cache.ts";
import { isAbsolute, join, resolve } from "../core/paths.ts";
import { literal } from "../config/vars.ts";
import { ConfigError } from "../core/errors.ts";
import { composeProject, type ImageOptions, imageRef } from "../docker/images.ts";
import { keyAt } from "../config/positions.ts";
import type { Service, Stage } from "../config/stage.ts";

/** Label keys fleet puts on what it deploys. */
export const LABEL = {
  stage: "dev.fleet.stage",
  service: "dev.fleet.service",
} as const;

/** What the model depends on besides the stage: image overrides, pins, and `~` for volumes. */
export type ModelOptions = ImageOptions & {
  readonly images?: Readonly<Record<string, string>>;
  /** The home of the user running fleet: `~` in a bind mount's source (from HOME). */
  readonly home?: string;
};

type Model = {
  name: string;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
  configs?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
};

/**
 * The Compose model of a stage as a plain object. On a stage with `compose_file:` it is the
 * overlay fleet puts over the user's files (`-f file… -f -`): fleet's image names and labels,
 * and what the stage files set; Compose merges it with the files by its own rules.
 * @example renderCompose(stage).services.web.image // "127.0.0.1:5000/demo-web-dev:latest"
 */
export function renderCompose(
  stage: Stage,
  opts: ModelOptions = {},
): Model {
  const services: Model["services"] = {};
  const named = new Set<string>();
  for (const svc of stage.services) {
    const image = opts.images?.[svc.name] ?? imageRef(stage, svc, opts);
    // on a Compose-file stage only what the stage files set goes over the files' service
    const src: Service = stage.compose ? { ...(svc.own ?? {}), name: svc.name } as Service : svc;
    services[svc.name] = renderService(stage, src, image, named, opts.home);
  }
  const model: Model = { name: composeProject(stage), services };
  for (const [k, value] of Object.entries(stage.top ?? {})) {
    (model as Record<string, unknown>)[k] = value;
  }
  const declared = Object.keys(stage.top?.volumes ?? {});
  const more = [...named].filter((v) => !declared.includes(v)).sort();
  if (more.length) {
    model.volumes = { ...model.volumes, ...Object.fromEntries(more.map((v) => [v, {}])) };
  }
  return model;
}

/** The Compose model as YAML text (what `fleet config <stage> --compose` prints). */
export function composeYaml(stage: Stage, opts: Parameters<typeof renderCompose>[1] = {}): string {
  return yamlText(renderCompose(stage, opts));
}

/** Keys of a stage file's service that are fleet's own: never in the Compose model. */
const FLEET_KEYS = new Set([
  "name",
  "on",
  "own",
  "build",
  "registry",
  "compose",
  "replicas",
  "update",
  "placement",
  "endpoint",
  "proxy",
]);
/** The keys rendered first, in this order (the rest follow as the stage file has them). */
const FIRST = [
  "command",
  "ports",
  "environment",
  "env_file",
  "volumes",
  "depends_on",
  "restart",
  "healthcheck",
];

/**
 * One service of the model: Compose's keys as the stage file sets them (paths made absolute,
 * durations with units), fleet's image and labels; the named volumes it uses go into `named`.
 */
export function renderService(
  stage: Stage,
  svc: Service,
  image: string,
  named: Set<string>,
  home: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { image };
  const all = svc as unknown as Record<string, unknown>;
  const keys = [
    ...FIRST.filter((k) => all[k] !== undefined),
    ...Object.keys(all).filter((k) => !FIRST.includes(k) && k !== "image" && k !== "labels"),
  ].filter((k) => !FLEET_KEYS.has(k));
  for (const k of keys) out[k] = all[k];
  if (svc.ports) out.ports = svc.ports.map((p) => typeof p === "number" ? String(p) : p);
  if (svc.env_file !== undefined) out.env_file = envFiles(stage.root, svc.env_file);
  if (svc.volumes) {
    const where = keyAt(stage, ["services", svc.name, "volumes"]);
    out.volumes = svc.volumes.map((v) =>
      typeof v === "string" ? volume(stage.root, v, named, home, where) : longVolume(stage.root, v)
    );
  }
  if (svc.healthcheck) out.healthcheck = healthcheck(svc.healthcheck);
  out.labels = { ...userLabels(svc.labels), [LABEL.stage]: stage.name, [LABEL.service]: svc.name };
  return { ...out, ...svc.compose };
}

/** `env_file:` entries with absolute paths (Compose's `{ path, required }` form kept). */
function envFiles(root: string, files: NonNullable<Service["env_file"]>): unknown[] {
  return [files].flat().map((f) =>
    typeof f === "string"
      ? resolve(literal(root), f)
      : { ...f, path: resolve(literal(root), String((f as { path?: unknown }).path ?? "")) }
  );
}

/** A long-syntax volume: a relative bind source made absolute. */
function longVolume(root: string, v: Record<string, unknown>): Record<string, unknown> {
  const src = v.source;
  return typeof src === "string" && src.startsWith(".") && v.type === "bind"
    ? { ...v, source: resolve(literal(root), src) }
    : v;
}

/**
 * `./data:/data` → absolute bind; `~/data:/data` → in the home of the user running fleet;
 * `data:/data` → named volume (declared at the top level).
 */
function volume(
  root: string,
  spec: string,
  named: Set<string>,
  home: string | undefined,
  where: string,
): string {
  const [src, ...rest] = spec.split(":");
  if (rest.length === 0) return spec; // anonymous volume
  if (src.startsWith(".")) return [resolve(literal(root), src), ...rest].join(":");
  if (src === "~" || src.startsWith("~/")) {
    if (!home) {
      throw new ConfigError(`${where}: "${spec}": ~ needs HOME, which is not set`, {
        hint: "set HOME, or write the absolute path",
      });
    }
    return [join(literal(home), src.slice(1)), ...rest].join(":");
  }
  if (!isAbsolute(src) && !src.includes("$")) named.add(src);
  return spec;
}

/** `labels:` of the stage file as a map (Compose's list form `k=v` too). */
function userLabels(labels: Service["labels"]): Record<string, string> {
  if (Array.isArray(labels)) {
    return Object.fromEntries(
      labels.map((l) => [l.split("=")[0], l.split("=").slice(1).join("=")]),
    );
  }
  return Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)]));
}

function healthcheck(h: NonNullable<Service["healthcheck"]>): Record<string, unknown> {
  const dur = (d: string | number | undefined) => (typeof d === "number" ? `${d}s` : d);
  const out: Record<string, unknown> = {};
  if (h.test !== undefined) out.test = h.test;
  if (h.interval !== undefined) out.interval = dur(h.interval);
  if (h.timeout !== undefined) out.timeout = dur(h.timeout);
  if (h.retries !== undefined) out.retries = h.retries;
  if (h.start_period !== undefined) out.start_period = dur(h.start_period);
  if (h.start_interval !== undefined) out.start_interval = dur(h.start_interval);
  if (h.disable !== undefined) out.disable = h.disable;
  return out;
}
