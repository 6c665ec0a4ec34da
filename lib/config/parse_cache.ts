/**
 * Parsed YAML kept between runs. Parsing is most of what `fleet stages`, `config` and a dry run
 * do (yaml's parser runs cold in every process: ~10 ms for two small stage files), and the files
 * rarely change between two commands. An entry is the file's data and positions, kept under the
 * user's cache directory by the file's absolute path, and used only for the very same text
 * (compared whole), parsed by the very same code (fleet's version and the parser's modules
 * as they are on disk). A file whose data JSON cannot carry exactly (`.inf`, `-0`, a `__proto__`
 * key) or that expands past {@link MAX_BYTES} is never kept.
 *
 * Where: $FLEET_CACHE_DIR, else $XDG_CACHE_HOME/fleet, else ~/.cache/fleet (in `yaml/`);
 * FLEET_CACHE_DIR="" turns it off. Only with read and write access already granted: no
 * permission is ever asked for it; any failure to read or write it is a miss, never an error.
 */
import { VERSION } from "../core/version.ts";
import { join } from "../core/paths.ts";

/** What is kept of a parsed file: its data and where each value is (line, column). */
export interface Kept {
  readonly data: Record<string, unknown>;
  readonly positions: Readonly<Record<string, readonly [number, number]>>;
}

interface Entry extends Kept {
  readonly stamp: string;
  readonly path: string;
  readonly text: string;
}

/** The largest entry kept (a file whose aliases expand far is parsed every time). */
export const MAX_BYTES = 1 << 20;
/** Entries kept at most; past it, the oldest half goes. */
export const MAX_ENTRIES = 400;

/**
 * The modules whose code makes an entry (a change on disk invalidates every entry); in a single
 * file (a bundle), this module's own URL is that file.
 */
const CODE = ["", "./yaml_file.ts", "./positions.ts", "../../vendor/yaml.js"];

let stampOf: string | undefined;

function granted(name: "read" | "write" | "env", path?: string): boolean {
  try {
    const d = name === "env" ? { name, variable: path } : { name, path };
    return Deno.permissions.querySync(d as Deno.PermissionDescriptor).state === "granted";
  } catch {
    return false;
  }
}

/** The cache directory, or undefined when there is none (off, no HOME, no access). */
function dir(): string | undefined {
  const env = (k: string) => (granted("env", k) ? Deno.env.get(k) : undefined);
  const own = env("FLEET_CACHE_DIR");
  const base = own ?? (env("XDG_CACHE_HOME") || (env("HOME") && join(env("HOME")!, ".cache")));
  if (!base) return undefined;
  const d = own === undefined ? join(base, "fleet", "yaml") : join(base, "yaml");
  return granted("read", d) && granted("write", d) ? d : undefined;
}

/** fleet's version and when the parsing code last changed (a bundle: the bundle itself). */
function stamp(): string {
  if (stampOf !== undefined) return stampOf;
  const times = CODE.map((rel) => {
    try {
      const url = new URL(rel, import.meta.url);
      return url.protocol === "file:" ? String(Deno.statSync(url).mtime?.getTime()) : "";
    } catch {
      return "";
    }
  });
  return (stampOf = [VERSION, ...times].join("|"));
}

/** FNV-1a (32-bit, twice with two seeds): a short file name for a path. */
function nameOf(path: string): string {
  const h = (seed: number) => {
    let x = seed;
    for (let i = 0; i < path.length; i++) x = Math.imul(x ^ path.charCodeAt(i), 16777619) >>> 0;
    return x.toString(16).padStart(8, "0");
  };
  return `${h(2166136261)}${h(0x811c9dc5 ^ 0x5bd1e995)}.json`;
}

/** The kept parse of the file at `path` when its text is `text`, else undefined. */
export function recall(path: string, text: string): Kept | undefined {
  const d = dir();
  if (!d) return undefined;
  try {
    const e = JSON.parse(Deno.readTextFileSync(join(d, nameOf(path)))) as Entry;
    if (e.path !== path || e.text !== text || e.stamp !== stamp()) return undefined;
    return { data: e.data, positions: e.positions };
  } catch {
    return undefined;
  }
}

/** Keep the parse of `path` (text, data, positions) for the next run, if JSON carries it. */
export function keep(path: string, text: string, kept: Kept): void {
  const d = dir();
  if (!d || !exact(kept.data)) return;
  const body = JSON.stringify({ stamp: stamp(), path, text, ...kept } satisfies Entry);
  if (body.length > MAX_BYTES) return;
  try {
    Deno.mkdirSync(d, { recursive: true });
    // written whole, then renamed: a reader sees the old entry or the new one
    const tmp = join(d, `.${nameOf(path)}.${Deno.pid}.tmp`);
    Deno.writeTextFileSync(tmp, body);
    Deno.renameSync(tmp, join(d, nameOf(path)));
    trim(d);
  } catch {
    // a cache that cannot be written is a miss next time
  }
}

/** Past MAX_ENTRIES, remove the oldest half (by last write). */
function trim(d: string): void {
  const names = [...Deno.readDirSync(d)].filter((e) => e.name.endsWith(".json"));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((e) => {
    try {
      return { name: e.name, t: Deno.statSync(join(d, e.name)).mtime?.getTime() ?? 0 };
    } catch {
      return { name: e.name, t: 0 };
    }
  }).sort((a, b) => a.t - b.t);
  for (const { name } of aged.slice(0, names.length - MAX_ENTRIES / 2)) {
    try {
      Deno.removeSync(join(d, name));
    } catch {
      // another process removed it first
    }
  }
}

/** Whether JSON gives back exactly this value: plain maps and lists of finite numbers and text. */
export function exact(v: unknown): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every(exact);
  if (typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return false;
  return Object.keys(v).every((k) => k !== "__proto__") &&
    Object.values(v as Record<string, unknown>).every(exact);
}
