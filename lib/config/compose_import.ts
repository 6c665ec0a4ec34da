/**
 * Read a Compose file for `fleet init --from` (pure): its name, its services, and — for
 * `--copy` — the same model in the shape of a stage file. Every Compose key is carried as it is,
 * except literal secrets (now `${VAR}`), paths (now from the project root), `build:` (fleet's),
 * a built service's `image:` (fleet names it per stage) and `dev.fleet.*` labels (fleet's own).
 */
import { ConfigError } from "../core/errors.ts";
import {
  asMap,
  convertBuild,
  definitionsOut,
  envFilesOut,
  environmentOut,
  type ImportContext,
  type Note,
  rebase,
  volumeOut,
} from "./compose_keys.ts";
import { parseCompose } from "./compose_yaml.ts";

export type { Note };

/** A Compose file in fleet's terms. */
export interface Imported {
  readonly name?: string; // the Compose file's top-level name:
  readonly services: Record<string, Record<string, unknown>>;
  /** Top-level networks, volumes, configs and secrets, as `_base.yaml` carries them. */
  readonly top: Record<string, unknown>;
  readonly notes: Note[];
  readonly secrets: string[]; // the variables that now stand for literal secrets
  /** Where the file sets fleet's own labels (`services.web.labels.dev.fleet.stage`). */
  readonly fleetLabels: string[];
}

/** Service names as Compose allows them. */
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Top-level keys carried into `_base.yaml` as they are (files and secrets adjusted). */
const TOP_KEYS = ["networks", "volumes", "configs", "secrets"] as const;
const FLEET_LABEL = /^dev\.fleet\./;

/**
 * Convert the text of a Compose file; `base` is its directory relative to the project root.
 * @example importCompose("services:\n  db:\n    image: postgres:16\n", { file: "compose.yaml", base: "" }).services
 * // { db: { image: "postgres:16" } }
 */
export function importCompose(text: string, opts: { file: string; base: string }): Imported {
  const data = parseCompose(text, opts.file);
  const ctx: ImportContext = { ...opts, notes: [], secretValues: new Map(), fleetLabels: [] };
  const services: Record<string, Record<string, unknown>> = {};
  const entries = Object.entries(asMap(data.services));
  if (entries.length === 0) {
    throw new ConfigError(`${opts.file}: services: no services to take over`);
  }
  for (const [name, svc] of entries) {
    if (!SERVICE_NAME.test(name)) {
      throw new ConfigError(
        `${opts.file}: services.${name}: not a service name Compose takes ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
      );
    }
    services[name] = copyService(name, asMap(svc), ctx);
  }
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "configs" || key === "secrets") top[key] = definitionsOut(key, asMap(value), ctx);
    else if ((TOP_KEYS as readonly string[]).includes(key)) top[key] = value;
    else if (key === "include") {
      ctx.notes.push({
        path: [],
        text: `not taken over from ${opts.file}: include (name the included files in ` +
          "compose_file: instead, or copy their services in)",
      });
    } else if (!["services", "name", "version"].includes(key) && !key.startsWith("x-")) {
      ctx.notes.push({
        path: [],
        text: `not taken over from ${opts.file}: ${key} (not Compose's)`,
      });
    }
  }
  const name = typeof data.name === "string" ? data.name : undefined;
  const secrets = [...ctx.secretValues.keys()];
  return { name, services, top, notes: ctx.notes, secrets, fleetLabels: ctx.fleetLabels };
}

/** One service, key by key in its own order: the few changes, everything else as it is. */
function copyService(
  name: string,
  svc: Record<string, unknown>,
  ctx: ImportContext,
): Record<string, unknown> {
  const path = ["services", name];
  const built = svc.build !== undefined && svc.build !== null;
  if (!built && svc.image === undefined && svc.extends === undefined) {
    throw new ConfigError(`${ctx.file}: services.${name}: has neither build nor image`, {
      hint: "Compose needs one of them (or extends:) for every service",
    });
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(svc)) {
    const at = [...path, key];
    if (key === "build") out.build = convertBuild(value, at, ctx);
    else if (key === "image" && built) {
      ctx.notes.push({
        path: at,
        text: `not taken over from ${ctx.file}: image: ${value} (fleet names the images it ` +
          "builds per stage; set image: here to choose the repository)",
      });
    } else if (key === "environment") out.environment = environmentOut(value, at, ctx);
    else if (key === "env_file") out.env_file = envFilesOut(value, ctx.base);
    else if (key === "volumes" && Array.isArray(value)) {
      out.volumes = value.map((v) => volumeOut(v, ctx.base));
    } else if (key === "labels") labelsOut(value, out, at, ctx);
    else if (key === "extends" && typeof asMap(value).file === "string") {
      out.extends = { ...asMap(value), file: rebase(String(asMap(value).file), ctx.base) };
    } else out[key] = value;
  }
  return out;
}

/** `labels:` without fleet's own `dev.fleet.*` (fleet sets them on every container). */
function labelsOut(v: unknown, out: Record<string, unknown>, at: string[], ctx: ImportContext) {
  const keyOf = (l: unknown) => String(l).split("=")[0];
  const fleets = Array.isArray(v)
    ? v.map(keyOf).filter((k) => FLEET_LABEL.test(k))
    : Object.keys(asMap(v)).filter((k) => FLEET_LABEL.test(k));
  if (fleets.length) {
    ctx.fleetLabels.push(...fleets.map((k) => `${at.join(".")}.${k}`));
    ctx.notes.push({
      path: at,
      text: `not taken over from ${ctx.file}: ${fleets.join(", ")} (dev.fleet.* labels are ` +
        "fleet's own: it sets them on every container)",
    });
  }
  const kept = Array.isArray(v)
    ? v.filter((l) => !FLEET_LABEL.test(keyOf(l)))
    : Object.fromEntries(Object.entries(asMap(v)).filter(([k]) => !FLEET_LABEL.test(k)));
  if (Object.keys(kept).length) out.labels = kept;
}
