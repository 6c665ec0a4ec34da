/**
 * Variables in stage files, read exactly as Compose reads them: `$VAR`, `${VAR}`,
 * `${VAR:-d}`, `${VAR-d}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR:+x}`, `${VAR+x}` (nested in the
 * default, message or replacement too), and `$$` for a literal `$`. The ONE scanner: finding,
 * checking, masking and resolving all parse a value the same way. Values are never stored:
 * they are looked up when a command runs and handed to Docker through the child's environment.
 */
import { ConfigError } from "../core/errors.ts";

export type VarOp = ":-" | "-" | ":?" | "?" | ":+" | "+";

/** One variable reference in a value; `arg` is the raw text after the operator. */
export interface VarRef {
  readonly name: string;
  readonly op?: VarOp;
  readonly arg?: string;
}

interface Ref extends VarRef {
  readonly parts: readonly Part[]; // the parsed arg
}
type Part = string | Ref;

/** A variable the value needs that `env` does not give; `message` is `${VAR:?message}`'s. */
export interface UnsetVar {
  readonly name: string;
  readonly message?: string;
  readonly empty?: boolean; // ${VAR:?…} with VAR set to ""
}

type Env = Readonly<Record<string, string | undefined>>;

const NAME = /[_A-Za-z][_A-Za-z0-9]*/y;
const OPS: readonly VarOp[] = [":-", ":?", ":+", "-", "?", "+"];

/** Parse `text` from `at`; inside `${…}` stop at its `}`. Throws on what Compose rejects. */
function parse(text: string, at = 0, inside = false): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let lit = "";
  let i = at;
  while (i < text.length) {
    const c = text[i];
    if (inside && c === "}") break;
    if (c !== "$") {
      lit += c;
      i++;
      continue;
    }
    if (text[i + 1] === "$") {
      lit += "$";
      i += 2;
      continue;
    }
    if (text[i + 1] !== "{") {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (!m) {
        lit += "$"; // `$5`, `$ `, a trailing `$`: literal, as in Compose
        i++;
        continue;
      }
      if (lit) parts.push(lit), lit = "";
      parts.push({ name: m[0], parts: [] });
      i = NAME.lastIndex;
      continue;
    }
    NAME.lastIndex = i + 2;
    const m = NAME.exec(text);
    if (!m) throw invalid(text, i, text.indexOf("}", i) + 1);
    let j = NAME.lastIndex;
    const op = OPS.find((o) => text.startsWith(o, j));
    let ref: Ref = { name: m[0], parts: [] };
    if (op) {
      const arg = parse(text, j + op.length, true);
      ref = { name: m[0], op, arg: text.slice(j + op.length, arg.end), parts: arg.parts };
      j = arg.end;
    }
    if (text[j] !== "}") throw invalid(text, i, j + 1);
    if (lit) parts.push(lit), lit = "";
    parts.push(ref);
    i = j + 1;
  }
  if (inside && i >= text.length) throw new SyntaxError(`"\${" without its closing "}"`);
  if (lit) parts.push(lit);
  return { parts, end: i };
}

function invalid(text: string, from: number, to: number): SyntaxError {
  const what = text.slice(from, to > from ? Math.min(to, from + 40) : from + 12);
  return new SyntaxError(`invalid variable "${what}" (write $$ for a literal $)`);
}

function partsOf(text: string): Part[] {
  try {
    return parse(text).parts;
  } catch {
    return [text]; // templateError() reports it; here it is text
  }
}

/** Why Compose would reject the variables in `text`, or undefined when it would not. */
export function templateError(text: string): string | undefined {
  try {
    parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) { for (const x of value) strings(x, out); }
  else if (value && typeof value === "object") {
    for (const x of Object.values(value)) strings(x, out);
  }
  return out;
}

/** Every variable reference in a value (strings, arrays and maps, walked deeply), nested ones too. */
export function findVars(value: unknown): VarRef[] {
  const found: VarRef[] = [];
  const walk = (parts: readonly Part[]) => {
    for (const p of parts) {
      if (typeof p === "string") continue;
      found.push(p.op ? { name: p.name, op: p.op, arg: p.arg } : { name: p.name });
      walk(p.parts);
    }
  };
  for (const s of strings(value)) walk(partsOf(s));
  return found;
}

/** True when a string refers to at least one variable. */
export function hasVars(text: string): boolean {
  return findVars(text).length > 0;
}

/** Evaluate as Compose does; `unset` hears of each variable the value needs and lacks. */
function evaluate(parts: readonly Part[], env: Env, unset?: (u: UnsetVar) => void): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "string") {
      out += p;
      continue;
    }
    const v = env[p.name];
    const sub = () => evaluate(p.parts, env, unset);
    const present = p.op?.startsWith(":") ? v !== undefined && v !== "" : v !== undefined;
    if (!p.op) {
      if (v === undefined) unset?.({ name: p.name });
      out += v ?? "";
    } else if (p.op.endsWith("-")) out += present ? v : sub();
    else if (p.op.endsWith("+")) out += present ? sub() : "";
    else if (present) out += v;
    else {
      const message = sub() || undefined;
      unset?.({ name: p.name, message, ...(v === "" ? { empty: true } : {}) });
    }
  }
  return out;
}

/**
 * Replace each variable in a string with its value from `env` (a default, a replacement) and
 * `$$` with `$`. Check first ({@link requireVars}): an unset one becomes "".
 * @example interpolate("v${A:-1}$$", {}) // "v1$"
 */
export function interpolate(text: string, env: Env): string {
  return evaluate(partsOf(text), env);
}

/** The variables a value needs that `env` lacks (first of each name, sorted by name). */
export function unsetVars(value: unknown, env: Env): UnsetVar[] {
  const found = new Map<string, UnsetVar>();
  for (const s of strings(value)) {
    evaluate(partsOf(s), env, (u) => found.has(u.name) || found.set(u.name, u));
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Names of the variables a value needs that are unset in `env`, sorted, unique. */
export function missingVars(value: unknown, env: Env): string[] {
  return unsetVars(value, env).map((u) => u.name);
}

/**
 * Throw one ConfigError for every variable the `fields` (where → value) need and `env` lacks,
 * a line each: the one message for build settings, service settings and recorded releases.
 * `${VAR:?message}` adds its message.
 * @example requireVars([["stages/dev.yaml: services.web", svc]], env)
 */
export function requireVars(fields: readonly (readonly [string, unknown])[], env: Env): void {
  const lines: string[] = [];
  const names = new Set<string>();
  let plain: string | undefined;
  for (const [where, value] of fields) {
    for (const u of unsetVars(value, env)) {
      const required = u.message !== undefined || u.empty;
      if (!required) plain ??= u.name;
      const more = u.message ? `: ${u.message}` : required ? "" : " (and has no default)";
      lines.push(`${where}: \${${u.name}} is ${u.empty ? "empty" : "not set"}${more}`);
      names.add(u.name);
    }
  }
  if (lines.length === 0) return;
  const all = [...names].join(", ");
  throw new ConfigError(lines.join("\n"), {
    hint: plain
      ? `set ${all} in the environment, or give a default: \${${plain}:-value}`
      : `set ${all} in the environment`,
  });
}

/**
 * The value of each variable a value refers to that is set in `env`, by name: the environment
 * a child process needs to resolve them itself (Compose does), and the values to mask.
 * @example varEnv({ e: "${PW:?}", f: "$X" }, { PW: "s3cret" }) // { PW: "s3cret" }
 */
export function varEnv(value: unknown, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name } of findVars(value)) {
    if (env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}

/**
 * Text that Compose must take as it is (a path fleet made): every `$` doubled.
 * @example literal("/home/a$b") // "/home/a$$b"
 */
export function literal(text: string): string {
  return text.replaceAll("$", () => "$$");
}
