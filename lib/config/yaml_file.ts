/**
 * Read one YAML stage file: UTF-8 only, `<<` merge keys, duplicate keys found in linear time,
 * aliases bounded. Every problem is a ConfigError naming the file (and the line where known).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { resolve } from "../core/paths.ts";
import { ConfigError } from "../core/errors.ts";
import { keep, recall } from "./yaml_cache.ts";
import { filePositions, type Position, type Positions } from "./positions.ts";

/**
 * A parsed stage file: its data, where each value is, and the document and lines (parsed when
 * first asked for, when the rest came from the YAML cache: only an error's position needs them).
 */
export interface YamlFile {
  readonly file: string; // relative to the root, e.g. stages/live.yaml
  readonly data: Record<string, unknown>;
  readonly positions: Positions;
  readonly doc: ReturnType<typeof parseDocument>;
  readonly lines: LineCounter;
}

const HINT = "fix the YAML at that line (indentation, a missing colon or quote)";

/**
 * Read and parse `root/rel`; throws ConfigError on anything but a valid map of settings. The
 * same text as last time comes from the YAML cache (yaml_cache.ts).
 */
export function readYamlFile(root: string, rel: string): YamlFile {
  const abs = resolve(root, rel);
  const text = decodeUtf8(rel, Deno.readFileSync(abs));
  const kept = recall(abs, text);
  if (kept) {
    let parsed: Parsed | undefined;
    const doc = () => (parsed ??= parseChecked(rel, text));
    const positions: Record<string, Position> = {};
    for (const [k, [line, col]] of Object.entries(kept.positions)) {
      positions[k] = { file: rel, line, col };
    }
    return {
      file: rel,
      data: kept.data,
      positions,
      get doc() {
        return doc().doc;
      },
      get lines() {
        return doc().lines;
      },
    };
  }
  const { doc, lines } = parseChecked(rel, text);
  const data = (doc.toJS({ maxAliasCount: -1 }) ?? {}) as Record<string, unknown>;
  const positions = filePositions({ file: rel, doc, lines });
  const at = Object.fromEntries(
    Object.entries(positions).map(([k, p]) => [k, [p.line, p.col] as const]),
  );
  keep(abs, text, { data, positions: at });
  return { file: rel, data, positions, doc, lines };
}

interface Parsed {
  readonly doc: Doc;
  readonly lines: LineCounter;
}

/** The document of a file's text, checked: syntax, duplicate keys, a map, aliases bounded. */
function parseChecked(rel: string, text: string): Parsed {
  const lines = new LineCounter();
  // yaml's own duplicate-key check compares each key with every earlier one (quadratic on
  // large maps): it is off, and uniqueKeys() below does it with a set per map
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
    merge: true,
  });
  const syntax = (pos: number, message: string) => {
    const { line, col } = lines.linePos(pos);
    const what = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return new ConfigError(`${rel}:${line}:${col}: YAML syntax error: ${what}`, { hint: HINT });
  };
  if (doc.errors.length > 0) throw syntax(doc.errors[0].pos[0], doc.errors[0].message);
  const dup = duplicateKey(doc);
  if (dup !== undefined) throw syntax(dup, "Map keys must be unique");
  if (!isMap(doc.contents) && doc.contents !== null) {
    const { line, col } = lines.linePos(doc.contents.range?.[0] ?? 0);
    throw new ConfigError(`${rel}:${line}:${col}: expected a map of settings at the top level`);
  }
  // what the aliases expand to is bounded, not their count: real Compose files use hundreds
  const size = expandedSize(doc);
  if (size > MAX_NODES) {
    throw new ConfigError(
      `${rel}: YAML aliases expand too far: ${size} values once expanded (at most ${MAX_NODES})`,
      { hint: "use fewer aliases (*name) of aliases: the file expands to too much data" },
    );
  }
  return { doc, lines };
}

/** The most values a file may expand to with its aliases (a real Compose file: a few thousand). */
export const MAX_NODES = 1_000_000;

type Doc = ReturnType<typeof parseDocument>;

/**
 * The number of values the document holds once every alias is expanded, computed once per
 * anchored node (linear in the file's size), stopping early past {@link MAX_NODES}.
 */
export function expandedSize(doc: Doc): number {
  const memo = new Map<unknown, number>();
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return 1;
      if (memo.has(target)) return memo.get(target)!;
      memo.set(target, 1); // a cycle counts once (yaml refuses it when it converts)
      const n = size(target);
      memo.set(target, n);
      return n;
    }
    if (isPair(node)) return size(node.key) + size(node.value);
    if (isMap(node) || isSeq(node)) {
      let n = 1;
      for (const it of node.items as unknown[]) {
        n += size(it);
        if (n > MAX_NODES) return n;
      }
      return n;
    }
    return 1;
  };
  return size(doc.contents);
}

/** The text of a file, or a ConfigError naming its first line that is not UTF-8. */
function decodeUtf8(rel: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    for (let start = 0; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start) === -1 ? bytes.length : bytes.indexOf(0x0a, start);
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end));
      } catch {
        break;
      }
      start = end + 1;
    }
    throw new ConfigError(`${rel}:${line}: not UTF-8 text`, { hint: "save the file as UTF-8" });
  }
}

/** The offset of the first key that repeats a key of its map (merge keys `<<` may repeat). */
function duplicateKey(doc: ReturnType<typeof parseDocument>): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const k = isScalar(key) ? key.value : key;
        if (k === "<<" || (typeof k === "symbol")) continue;
        if (seen.has(k)) {
          found = (key as { range?: [number] }).range?.[0] ?? 0;
          return visit.BREAK;
        }
        seen.add(k);
      }
    },
  });
  return found;
}

/** True when the file itself sets the key path (so a problem there is reported against it). */
export function hasPath(f: YamlFile, path: readonly string[]): boolean {
  const node = path.length ? f.doc.getIn(path, true) : f.doc.contents;
  if (node !== undefined) return true;
  // an unknown key: the node is the key itself, look at the parent map's keys
  const parent = f.doc.getIn(path.slice(0, -1), true);
  return isMap(parent) &&
    parent.items.some((it) => isScalar(it.key) && String(it.key.value) === path.at(-1));
}
