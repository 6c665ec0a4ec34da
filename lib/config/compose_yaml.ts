/**
 * Parse a Compose file's YAML for `fleet init` (pure): anchors, aliases and `<<` merge keys as
 * Compose takes them (hundreds of aliases are fine), duplicate keys found in linear time, and an
 * alias bomb refused by bounding what the aliases expand to, not how many there are. Every
 * problem is a ConfigError naming the file.
 */
import { isAlias, isCollection, isMap, isPair, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError } from "../core/errors.ts";
import { MAX_NODES } from "./yaml_file.ts";

/** The data of a Compose file; throws ConfigError on a YAML error, a bomb or no map. */
export function parseCompose(text: string, file: string): Record<string, unknown> {
  const lines = new LineCounter();
  // yaml's own duplicate-key check is quadratic in a map's size: see duplicateKey()
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    merge: true,
    uniqueKeys: false,
  });
  const syntax = (pos: number, message: string) => {
    const { line, col } = lines.linePos(pos);
    const what = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    return new ConfigError(`${file}:${line}:${col}: YAML syntax error: ${what}`);
  };
  if (doc.errors.length > 0) throw syntax(doc.errors[0].pos[0], doc.errors[0].message);
  if (!isMap(doc.contents)) throw new ConfigError(`${file}: not a Compose file (no services:)`);
  const { own, expanded, duplicate } = measure(doc.contents);
  if (duplicate !== undefined) throw syntax(duplicate, "Map keys must be unique");
  if (expanded > MAX_NODES) {
    // the same bound as stage files and compose_file: (yaml_file.ts), so what init takes loads
    throw new ConfigError(
      `${file}: YAML aliases expand too far: ${
        expanded > 1e12 ? "more than 10¹²" : expanded
      } values once expanded (at most ${MAX_NODES}; ${own} written)`,
      { hint: "Compose files use aliases (*name) for shared settings, not aliases of aliases" },
    );
  }
  return doc.toJS({ maxAliasCount: -1 }) as Record<string, unknown>;
}

/**
 * The number of nodes written (`own`) and once every alias is expanded (`expanded`), and the
 * offset of the first key that repeats one of its map; one pass in document order, each
 * anchored node's expanded size computed once.
 */
function measure(root: Node): { own: number; expanded: number; duplicate?: number } {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let own = 0;
  let duplicate: number | undefined;
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      own++;
      const target = anchors.get(node.source);
      return target === undefined ? 1 : sizes.get(target) ?? Infinity; // in progress: a cycle
    }
    own++;
    const n = node as Node | null;
    if (n?.anchor) anchors.set(n.anchor, n);
    let total = 1;
    if (isCollection(n)) {
      const seen = isMap(n) ? new Set<unknown>() : undefined;
      for (const item of n.items) {
        if (isPair(item)) {
          const k = (item.key as { value?: unknown } | null)?.value ?? item.key;
          if (seen && k !== "<<" && duplicate === undefined) {
            if (seen.has(k)) duplicate = (item.key as Node).range?.[0] ?? 0;
            seen.add(k);
          }
          total += size(item.key) + size(item.value);
        } else total += size(item);
      }
    }
    if (n) sizes.set(n, total);
    return total;
  };
  const expanded = size(root);
  return { own, expanded, duplicate };
}
