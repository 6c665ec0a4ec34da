/**
 * YAML parsed and written, kept between runs. Parsing the stage files and writing the model are
 * most of what `fleet stages`, `config` and a dry run do (yaml's parser and stringifier run cold
 * in every process: ~10 ms for two small stage files, ~5 ms for a small model), and they rarely
 * change between two commands. Two kinds of entry, under the user's cache directory:
 * - a parsed file: its data and positions, by the file's absolute path, used only for the very
 *   same text (compared whole);
 * - a written value: its YAML text, by the value's JSON, used only for the very same JSON.
 * Either only as made by the very same code (fleet's version and the YAML modules as they are on
 * disk). A value JSON cannot carry exactly (`.inf`, `-0`, a `__proto__` key) or an entry past
 * {@link MAX_BYTES} is never kept.
 *
 * Where: $FLEET_CACHE_DIR, else $XDG_CACHE_HOME/fleet, else ~/.cache/fleet (in `yaml/`, the
 * user's alone: 0700, entries 0600); FLEET_CACHE_DIR="" turns it off. No secret goes in: stage
 * files name secrets as `${VAR}`, and models and resolved stages keep them so. Used only with
 * read and write access already granted: no permission is ever asked for it; any failure to
 * read or write it is a miss, never an error.
 */
import { stringify } from "yaml";
import { VERSION } from "../core/version.ts";
import { join } from "../core/paths.ts";

/** What is kept of a parsed file: its data and where each value is (line, column). */
export interface Kept {
  readonly data: Record<string, unknown>;
  readonly positions: Readonly<Record<string, readonly [number, number]>>;
}

/** An entry on disk: what it is for (a path, or "yaml" for a written value), and its source. */
interface Entry {
  readonly stamp: string;
  readonly key: string;
  readonly text: string;
  readonly value: unknown;
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
/** The key of written values (no path starts with it). */
const WRITTEN = "yaml:";

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

/** FNV-1a (32-bit, with two seeds): a short file name for an entry (its key is checked inside). */
function nameOf(path: string): string {
  const h = (seed: number) => {
    let x = seed;
    for (let i = 0; i < path.length; i++) x = Math.imul(x ^ path.charCodeAt(i), 16777619) >>> 0;
    return x.toString(16).padStart(8, "0");
  };
  return `${h(2166136261)}${h(0x811c9dc5 ^ 0x5bd1e995)}.json`;
}

/** The value kept for `key` and exactly this `text` (its file named by `name`), else undefined. */
function recallEntry(name: string, key: string, text: string): unknown {
  const d = dir();
  if (!d) return undefined;
  try {
    const e = JSON.parse(Deno.readTextFileSync(join(d, nameOf(name)))) as Entry;
    return e.key === key && e.text === text && e.stamp === stamp() ? e.value : undefined;
  } catch {
    return undefined;
  }
}

/** Keep `value` for `key` and `text` (its file named by `name`), if it is small enough. */
function keepEntry(name: string, key: string, text: string, value: unknown): void {
  const d = dir();
  if (!d) return;
  const body = JSON.stringify({ stamp: stamp(), key, text, value } satisfies Entry);
  if (body.length > MAX_BYTES) return;
  try {
    // the user's own: a Compose file may hold a literal password, as the file itself does
    Deno.mkdirSync(d, { recursive: true, mode: 0o700 });
    // written whole, then renamed: a reader sees the old entry or the new one
    const tmp = join(d, `.${nameOf(name)}.${Deno.pid}.tmp`);
    Deno.writeTextFileSync(tmp, body, { mode: 0o600 });
    Deno.renameSync(tmp, join(d, nameOf(name)));
    trim(d);
  } catch {
    // a cache that cannot be written is a miss next time
  }
}

/** The kept parse of the file at `path` when its text is `text`, else undefined. */
export function recall(path: string, text: string): Kept | undefined {
  return recallEntry(path, path, text) as Kept | undefined;
}

/** Keep the parse of `path` (text, data, positions) for the next run, if JSON carries it. */
export function keep(path: string, text: string, kept: Kept): void {
  if (exact(kept.data)) keepEntry(path, path, text, kept);
}

/**
 * `value` as YAML text (yaml's stringify, no line folding), kept between runs: the same value
 * again (the same JSON) is not written again.
 * @example yamlText({ name: "shop-dev", services: {} }) // "name: shop-dev\nservices: {}\n"
 */
export function yamlText(value: unknown): string {
  const json = exact(value) ? JSON.stringify(value) : undefined;
  if (json === undefined) return stringify(value, { lineWidth: 0 });
  const name = WRITTEN + json;
  const kept = recallEntry(name, WRITTEN, json);
  if (typeof kept === "string") return kept;
  const text = stringify(value, { lineWidth: 0 });
  keepEntry(name, WRITTEN, json, text);
  return text;
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
