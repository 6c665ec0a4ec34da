/**
 * A stage's own Compose files (`compose_file:`), read for what fleet must know before it runs
 * anything: the services, their builds, images, dependencies, profiles. This is a light read,
 * not Compose's loader: the model that is deployed is the one Compose itself makes of the files
 * (`docker compose -f … -f - config`, lib/engine/compose_source.ts), with fleet's overlay on top.
 */
import { dirname, isAbsolute, relative, resolve } from "../core/paths.ts";
import { ConfigError } from "../core/errors.ts";
import { readYamlFile, type YamlFile } from "./yaml_file.ts";

type Dict = Record<string, unknown>;

/** The Compose files of a stage, read. */
export interface ComposeSource {
  /** Absolute paths, in `-f` order. */
  readonly files: readonly string[];
  /** Compose's project directory: the first file's (relative paths in the files start there). */
  readonly projectDir: string;
  /** The parsed files (for the positions of config errors). */
  readonly parsed: readonly YamlFile[];
  /** The services of all the files merged, each in the shape of a stage file's service. */
  readonly services: Readonly<Record<string, Dict>>;
  /** Top-level `networks` of the files (names), for commands that take a project away. */
  readonly networks: Readonly<Record<string, unknown>>;
}

const isDict = (x: unknown): x is Dict => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Read `compose_file:` (paths relative to the project root), merged in order.
 * @example readComposeFiles("/repo", ["compose.yaml"], "stages/_base.yaml:2:15").services.web
 */
export function readComposeFiles(
  root: string,
  list: readonly string[],
  where: string,
): ComposeSource {
  if (list.length === 0) {
    throw new ConfigError(`${where}: an empty list`, {
      hint: "compose_file: compose.yaml (or a list of files, merged in order)",
    });
  }
  const files = list.map((f) => resolve(root, f));
  const projectDir = dirname(files[0]);
  const parsed = files.map((abs, i) => {
    try {
      Deno.statSync(abs);
    } catch {
      throw new ConfigError(`${where}: ${list[i]}: no such Compose file (${abs})`, {
        hint: "compose_file: paths are relative to the project root (the directory with stages/)",
      });
    }
    return readYamlFile(root, isAbsolute(list[i]) ? relative(root, abs) : list[i]);
  });
  let services: Record<string, Dict> = {};
  let networks: Record<string, unknown> = {};
  parsed.forEach((f, i) => {
    const own = isDict(f.data.services) ? f.data.services : {};
    for (const [name, svc] of Object.entries(own)) {
      if (!isDict(svc)) continue; // the schema says why
      const flat = extended(svc, own, dirname(files[i]), f.file, new Set([name]));
      services[name] = name in services ? mergeService(services[name], flat) : flat;
    }
    if (isDict(f.data.networks)) networks = { ...networks, ...f.data.networks };
  });
  services = Object.fromEntries(
    Object.entries(services).map(([n, s]) => [n, forFleet(s, projectDir)]),
  );
  return { files, projectDir, parsed, services, networks };
}

/** A service with its `extends:` resolved (same file, or another file beside it). */
function extended(svc: Dict, all: Dict, dir: string, file: string, seen: Set<string>): Dict {
  const ext = svc.extends;
  if (ext === undefined) return svc;
  const { extends: _, ...rest } = svc;
  const e = typeof ext === "string" ? { service: ext } : isDict(ext) ? ext : {};
  const name = String(e.service ?? "");
  let pool = all;
  let from = dir;
  if (typeof e.file === "string") {
    const abs = resolve(dir, e.file);
    const other = readYamlFile(dirname(abs), relative(dirname(abs), abs));
    pool = isDict(other.data.services) ? other.data.services : {};
    from = dirname(abs);
  }
  const base = pool[name];
  if (!isDict(base) || seen.has(`${from}:${name}`)) {
    throw new ConfigError(`${file}: extends: no service "${name}" to extend`, {
      hint: "extends: { service: <name>, file: <other compose file> }",
    });
  }
  seen.add(`${from}:${name}`);
  return mergeService(extended(base, pool, from, file, seen), rest);
}

/** Lists Compose appends when files are merged (the rest are replaced, maps merge by key). */
const APPENDED = new Set([
  "ports",
  "expose",
  "volumes",
  "dns",
  "dns_search",
  "cap_add",
  "cap_drop",
]);

/** One service over another, as Compose merges files (close enough for what fleet reads). */
export function mergeService(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (APPENDED.has(k) && Array.isArray(b) && Array.isArray(v)) {
      out[k] = [...b, ...v.filter((x) => !b.some((y) => JSON.stringify(y) === JSON.stringify(x)))];
    } else if (isDict(b) && isDict(v)) out[k] = mergeService(b, v);
    else if (k === "environment" || k === "labels") out[k] = mergeMap(b, v);
    else out[k] = v;
  }
  return out;
}

/** Two `environment`/`labels` values (list `K=V` or map) merged as maps. */
function mergeMap(a: unknown, b: unknown): unknown {
  const map = (x: unknown): Dict =>
    Array.isArray(x)
      ? Object.fromEntries(
        x.map((s) => String(s)).map((
          s,
        ) => [s.split("=")[0], s.includes("=") ? s.slice(s.indexOf("=") + 1) : null]),
      )
      : isDict(x)
      ? x
      : {};
  return { ...map(a), ...map(b) };
}

/**
 * A Compose service in the shape fleet's stage files use: `build: dir` as `{ context }` (an
 * absolute path: Compose resolves it from the project directory), only the build settings fleet
 * builds with, and no `image:` on a built service (fleet names its image, SPEC §3).
 */
function forFleet(svc: Dict, projectDir: string): Dict {
  if (svc.build === undefined || svc.build === null) return svc;
  const b = typeof svc.build === "string"
    ? { context: svc.build }
    : isDict(svc.build)
    ? svc.build
    : {};
  const build: Dict = { context: resolve(projectDir, String(b.context ?? ".")) };
  if (typeof b.dockerfile === "string") build.dockerfile = b.dockerfile;
  if (typeof b.target === "string") build.target = b.target;
  const args = Array.isArray(b.args) ? mergeMap({}, b.args) : b.args;
  if (isDict(args)) build.args = args;
  const { image: _, ...rest } = svc;
  return { ...rest, build };
}
