/**
 * Where each setting of a stage file is written, from the YAML document's node ranges, so that
 * every configuration error starts with its position:
 * `stages/live.yaml:7:5: services.api.prots: unknown key (did you mean "ports"?)`.
 * Only the nodes are walked (aliases are not expanded), once per stage file read.
 */
import { type Document, isMap, isScalar, isSeq, type LineCounter } from "yaml";

/** A line and column (1-based) in a stage file (`file` as shown: relative to the root). */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** The position of every value by key path (`services.web.ports.0`); "" is the top-level map. */
export type Positions = Readonly<Record<string, Position>>;

/** A parsed stage file, as positions need it. */
export interface SourceFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

interface Ranged {
  readonly range?: readonly number[] | null;
}

function at(src: SourceFile, node: unknown): Position | undefined {
  const start = (node as Ranged | null)?.range?.[0];
  if (start === undefined) return undefined;
  const { line, col } = src.lines.linePos(start);
  return { file: src.file, line, col };
}

/**
 * The position of a key path in one file: its value, or with `key` the key itself (an unknown
 * key, a bad service name); undefined when the file does not set that path.
 */
export function positionOf(
  src: SourceFile,
  path: readonly string[],
  key = false,
): Position | undefined {
  if (!key) return at(src, path.length ? src.doc.getIn(path, true) : src.doc.contents);
  const parent = src.doc.getIn(path.slice(0, -1), true) ??
    (path.length === 1 ? src.doc.contents : undefined);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === path.at(-1));
  return pair ? at(src, pair.key) : undefined;
}

/** Every value's position by key path in one file. */
export function filePositions(src: SourceFile): Record<string, Position> {
  const out: Record<string, Position> = {};
  const walk = (node: unknown, path: string, fallback?: unknown): void => {
    const p = at(src, node) ?? at(src, fallback);
    if (p) out[path] = p;
    const join = (k: string) => (path ? `${path}.${k}` : k);
    if (isMap(node)) {
      for (const it of node.items) {
        const k = isScalar(it.key) ? String(it.key.value) : undefined;
        if (k !== undefined && k !== "<<") walk(it.value, join(k), it.key);
      }
    } else if (isSeq(node)) node.items.forEach((it, i) => walk(it, join(String(i))));
  };
  walk(src.doc.contents, "");
  return out;
}

/** Every value's position by key path; a later file's (the stage's own) win over _base's. */
export function positionsOf(
  ...files: readonly ({ positions: Positions } | undefined)[]
): Positions {
  return Object.assign({}, ...files.map((f) => f?.positions ?? {}));
}

/** `file:line:col` for people (just the file when the position is unknown). */
export function showPosition(p: Position | undefined, file: string): string {
  return p ? `${p.file}:${p.line}:${p.col}` : file;
}

/**
 * Where a problem at a key path is: in the stage's own file if it sets that path, else in
 * _base, else at the nearest setting above it in the own file.
 * @example locate(["services", "api", "prots"], true, own, base) // "stages/live.yaml:7:5"
 */
export function locate(
  path: readonly string[],
  key: boolean,
  own: SourceFile,
  base?: SourceFile,
  ...below: readonly SourceFile[]
): string {
  // the stage's own file, then _base, then the Compose files under them (the last one first)
  const files = [own, ...(base ? [base] : []), ...[...below].reverse()];
  for (const f of files) {
    const exact = positionOf(f, path, key);
    if (exact) return showPosition(exact, own.file);
  }
  for (let n = path.length - 1; n >= 0; n--) {
    for (const f of files) {
      const p = positionOf(f, path.slice(0, n));
      if (p) return showPosition(p, own.file);
    }
  }
  return own.file;
}

/**
 * The head of a config error about a key path of a loaded stage: `file:line:col: key.path`,
 * from the nearest setting the files have (just `file: key.path` without positions).
 * @example keyAt(stage, ["services", "web", "build", "context"]) // "stages/dev.yaml:4:16: services.web.build.context"
 */
export function keyAt(
  stage: { readonly file: string; readonly positions?: Positions },
  path: readonly string[],
): string {
  const ps = stage.positions ?? {};
  for (let n = path.length; n >= 0; n--) {
    const p = ps[path.slice(0, n).join(".")];
    if (p) return `${showPosition(p, stage.file)}: ${path.join(".")}`;
  }
  return `${stage.file}: ${path.join(".")}`;
}
