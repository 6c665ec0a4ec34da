/**
 * Render the Compose model of a stage (pure). `${VAR}` references are kept as they are, so
 * Compose resolves them from its own environment: values never land in argv or a file.
 */
import { stringify } from "yaml";
import { isAbsolute, resolve } from "node:path";
import { composeProject, type ImageOptions, imageRef } from "../docker/images.ts";
import type { Service, Stage } from "../config/stage.ts";

/** Label keys fleet puts on what it deploys. */
export const LABEL = {
  stage: "dev.fleet.stage",
  service: "dev.fleet.service",
} as const;

type Model = {
  name: string;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, never>>;
};

/**
 * The Compose model of a stage as a plain object.
 * @example renderCompose(stage).services.web.image // "127.0.0.1:5000/demo-web-dev:latest"
 */
export function renderCompose(
  stage: Stage,
  opts: ImageOptions & { images?: Readonly<Record<string, string>> } = {},
): Model {
  const services: Model["services"] = {};
  const named = new Set<string>();
  for (const svc of stage.services) {
    services[svc.name] = renderService(
      stage,
      svc,
      opts.images?.[svc.name] ?? imageRef(stage, svc, opts),
      named,
    );
  }
  const model: Model = { name: composeProject(stage), services };
  if (named.size) model.volumes = Object.fromEntries([...named].sort().map((v) => [v, {}]));
  return model;
}

/** The Compose model as YAML text (what `fleet config <stage> --compose` prints). */
export function composeYaml(stage: Stage, opts: Parameters<typeof renderCompose>[1] = {}): string {
  return stringify(renderCompose(stage, opts), { lineWidth: 0 });
}

function renderService(stage: Stage, svc: Service, image: string, named: Set<string>) {
  const out: Record<string, unknown> = { image: escape(image) };
  if (svc.command !== undefined) out.command = escape(svc.command);
  if (svc.ports) out.ports = svc.ports.map((p) => escape(String(p)));
  if (svc.environment) out.environment = escape(svc.environment);
  if (svc.env_file !== undefined) {
    out.env_file = [svc.env_file].flat().map((f) => resolve(stage.root, f));
  }
  if (svc.volumes) out.volumes = svc.volumes.map((v) => volume(stage.root, v, named));
  if (svc.depends_on) out.depends_on = svc.depends_on;
  if (svc.restart) out.restart = svc.restart;
  if (svc.healthcheck) out.healthcheck = healthcheck(svc.healthcheck);
  out.labels = { [LABEL.stage]: stage.name, [LABEL.service]: svc.name };
  return { ...out, ...(escape(svc.compose ?? {}) as Record<string, unknown>) };
}

/** `./data:/data` → absolute bind; `data:/data` → named volume (declared at the top level). */
function volume(root: string, spec: string, named: Set<string>): string {
  const [src, ...rest] = spec.split(":");
  if (rest.length === 0) return spec; // anonymous volume
  if (src.startsWith(".") || src.startsWith("~")) return [resolve(root, src), ...rest].join(":");
  if (!isAbsolute(src) && !src.includes("${")) named.add(src);
  return escape(spec) as string;
}

function healthcheck(h: NonNullable<Service["healthcheck"]>): Record<string, unknown> {
  const dur = (d: string | number | undefined) => (typeof d === "number" ? `${d}s` : d);
  const out: Record<string, unknown> = {};
  if (h.test !== undefined) out.test = escape(h.test);
  if (h.interval !== undefined) out.interval = dur(h.interval);
  if (h.timeout !== undefined) out.timeout = dur(h.timeout);
  if (h.retries !== undefined) out.retries = h.retries;
  if (h.start_period !== undefined) out.start_period = dur(h.start_period);
  if (h.disable !== undefined) out.disable = h.disable;
  return out;
}

/** Keep `${VAR}` for Compose to resolve; any other `$NAME` is literal text, so double it. */
function escape<T>(x: T): T {
  if (typeof x === "string") return x.replace(/\$(?=[A-Za-z_])/g, "$$$$") as T;
  if (Array.isArray(x)) return x.map(escape) as T;
  if (x && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, escape(v)])) as T;
  }
  return x;
}
