/**
 * Read one YAML stage file: UTF-8 only, `<<` merge keys, duplicate keys found in linear time,
 * aliases bounded. Every problem is a ConfigError naming the file (and the line where known).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { join } from "../core/paths.ts";
import { ConfigError } from "../core/errors.ts";

/** A parsed stage file: its data, and the document and lines for positions. */
export interface YamlFile {
  readonly file: string; // relative to the root, e.g. stages/live.yaml
  readonly data: Record<string, unknown>;
  readonly doc: ReturnType<typeof parseDocument>;
  readonly lines: LineCounter;
}

const HINT = "fix the YAML at that line (indentation, a missing colon or quote)";

/** Read and parse `root/rel`; throws ConfigError on anything but a valid map of settings. */
export function readYamlFile(root: string, rel: string): YamlFile {
  const text = decodeUtf8(rel, Deno.readFileSync(join(root, rel)));
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
  const data = doc.toJS({ maxAliasCount: -1 }) ?? {};
  return { file: rel, data: data as Record<string, unknown>, doc, lines };
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
