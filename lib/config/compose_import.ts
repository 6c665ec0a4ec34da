/**
 * Read a Compose file into the shape of a stage file (pure; `fleet init --from` writes it).
 * Compose's own keys map to fleet's first-class keys; other service keys go under `compose:`;
 * keys fleet owns or cannot carry become comments that say why. Literal secrets become `${VAR}`.
 */
import { isMap, LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { NAME_RE } from "./schema.ts";
import {
  asList,
  asMap,
  convertBuild,
  convertHealthcheck,
  convertPort,
  convertVolume,
  dependsOn,
  dropped,
  envFiles,
  envMap,
  type ImportContext,
  type Note,
  restart,
  secretsOut,
} from "./compose_keys.ts";

export type { Note };

/** A Compose file in fleet's terms. */
export interface Imported {
  readonly name?: string; // the Compose file's top-level name:
  readonly services: Record<string, Record<string, unknown>>;
  readonly notes: Note[];
  readonly secrets: string[]; // the variables that now stand for literal secrets
}

/** Service keys fleet owns or cannot carry, each with the reason its comment gives. */
const DROPPED: Readonly<Record<string, string>> = {
  container_name:
    "Compose names containers {project}-{stage}-<service>-N; one fixed name would clash between stages",
  networks: "every service of a stage shares the stage's default network",
  secrets: "Compose secrets are not carried; pass values as ${VAR} in environment",
  configs: "Compose configs are not carried",
  extends: "extends is not carried; copy the keys into the service",
  pull_policy: "fleet deploy pulls first by itself (--no-pull skips it)",
  scale: "fleet runs one container per service",
  profiles: "fleet deploys every service of a stage; put a service in the stages that run it",
};

const TOP_DROPPED: Readonly<Record<string, string>> = {
  volumes: "fleet declares the named volumes services use, plainly (no driver, external or name)",
  networks: "every service of a stage shares the stage's default network",
  secrets: "Compose secrets are not carried",
  configs: "Compose configs are not carried",
};

/**
 * Convert the text of a Compose file; `base` is its directory relative to the project root.
 * @example importCompose("services:\n  db:\n    image: postgres:16\n", { file: "compose.yaml", base: "" }).services
 * // { db: { image: "postgres:16" } }
 */
export function importCompose(text: string, opts: { file: string; base: string }): Imported {
  const data = parseCompose(text, opts.file);
  const ctx: ImportContext = { ...opts, notes: [], secretValues: new Map() };
  const services: Record<string, Record<string, unknown>> = {};
  const entries = Object.entries(asMap(data.services));
  if (entries.length === 0) {
    throw new ConfigError(`${opts.file}: services: no services to take over`);
  }
  for (const [name, svc] of entries) {
    if (!NAME_RE.test(name)) {
      throw new ConfigError(
        `${opts.file}: services.${name}: fleet service names must match [a-z0-9][a-z0-9_-]*`,
        { hint: `rename the service in ${opts.file} first (and where others refer to it)` },
      );
    }
    services[name] = convertService(name, fromCompose(asMap(svc)), ctx);
  }
  for (const [key, why] of Object.entries(TOP_DROPPED)) {
    const defs = Object.entries(asMap(data[key])).filter(([, v]) => Object.keys(asMap(v)).length);
    if (defs.length) dropped(ctx, [], { [key]: Object.fromEntries(defs) }, why);
  }
  if (data.include !== undefined) {
    dropped(ctx, [], { include: data.include }, "copy the services of included files in");
  }
  const name = typeof data.name === "string" ? data.name : undefined;
  return { name, services, notes: ctx.notes, secrets: [...ctx.secretValues.keys()] };
}

function parseCompose(text: string, file: string): Record<string, unknown> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const { line, col } = lines.linePos(doc.errors[0].pos[0]);
    const what = doc.errors[0].message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new ConfigError(`${file}:${line}:${col}: YAML syntax error: ${what}`);
  }
  if (!isMap(doc.contents)) throw new ConfigError(`${file}: not a Compose file (no services:)`);
  return doc.toJS() as Record<string, unknown>;
}

function convertService(
  name: string,
  svc: Record<string, unknown>,
  ctx: ImportContext,
): Record<string, unknown> {
  const path = ["services", name];
  const built = svc.build !== undefined;
  if (!built && svc.image === undefined) {
    throw new ConfigError(`${ctx.file}: services.${name}: has neither build nor image`, {
      hint: "fleet init takes over services that build an image or run one",
    });
  }
  const out: Record<string, unknown> = {};
  if (built) out.build = convertBuild(svc.build, [...path, "build"], ctx);
  if (!built) out.image = svc.image;
  else if (svc.image !== undefined) {
    dropped(ctx, [...path, "image"], { image: svc.image }, "fleet names built images per stage");
  }
  if (svc.ports !== undefined) out.ports = asList(svc.ports).map(convertPort);
  if (svc.environment !== undefined) {
    out.environment = secretsOut(envMap(svc.environment), [...path, "environment"], ctx);
  }
  if (svc.env_file !== undefined) out.env_file = envFiles(svc.env_file, ctx.base);
  if (svc.volumes !== undefined) {
    out.volumes = asList(svc.volumes).flatMap((v) => convertVolume(v, path, ctx));
  }
  if (svc.depends_on !== undefined) out.depends_on = dependsOn(svc.depends_on, path, ctx);
  if (svc.command !== undefined) out.command = svc.command;
  if (svc.restart !== undefined) restart(svc.restart, out, path, ctx);
  if (svc.healthcheck !== undefined) {
    out.healthcheck = convertHealthcheck(asMap(svc.healthcheck), path, ctx);
  }
  if (svc.labels !== undefined) labels(svc.labels, out, path, ctx);
  const compose: Record<string, unknown> = {};
  const mapped = ["build", "image", "restart", "healthcheck", ...Object.keys(out)];
  for (const [key, value] of Object.entries(svc)) {
    if (mapped.includes(key)) continue;
    if (key in DROPPED) dropped(ctx, [...path, key], { [key]: value }, DROPPED[key]);
    else if (key === "deploy") deploy(asMap(value), compose, path, ctx);
    else compose[key] = value;
  }
  if (Object.keys(compose).length) out.compose = compose;
  return out;
}

/** `labels:` are fleet's key too; fleet's own `dev.fleet.*` labels cannot be set. */
function labels(v: unknown, out: Record<string, unknown>, path: string[], ctx: ImportContext) {
  const keys = Array.isArray(v) ? v.map((l) => String(l).split("=")[0]) : Object.keys(asMap(v));
  if (keys.some((k) => k.startsWith("dev.fleet."))) {
    dropped(ctx, [...path, "labels"], { labels: v }, "dev.fleet.* labels are fleet's own");
  } else out.labels = v;
}

/** `deploy:` under compose:, without replicas and mode (fleet runs one container per service). */
function deploy(
  d: Record<string, unknown>,
  compose: Record<string, unknown>,
  path: string[],
  ctx: ImportContext,
): void {
  const { replicas, mode, ...rest } = d;
  if (replicas !== undefined || mode !== undefined) {
    const one = Object.fromEntries(
      Object.entries({ replicas, mode }).filter(([, x]) => x !== undefined),
    );
    dropped(ctx, [...path, "deploy"], { deploy: one }, "fleet runs one container per service");
  }
  if (Object.keys(rest).length) compose.deploy = rest;
}

/**
 * Compose interpolation as fleet reads it: the same (`$$` a literal `$`, `${VAR:?message}`
 * required …), with `$VAR` written `${VAR}`.
 * @example fromCompose("$$HOME $USER ${A:?set A}") // "$$HOME ${USER} ${A:?set A}"
 */
export function fromCompose<T>(x: T): T {
  if (typeof x === "string") {
    return x.replace(
      /\$\$|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (m, bare?: string) => (m === "$$" ? "$$" : `\${${bare}}`),
    ) as T;
  }
  if (Array.isArray(x)) return x.map(fromCompose) as T;
  if (x && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, fromCompose(v)])) as T;
  }
  return x;
}
