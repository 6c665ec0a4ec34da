/**
 * The few Compose keys `fleet init --copy` changes on the way into `_base.yaml` (pure; used by
 * compose_import.ts): literal secrets become `${VAR}`, paths from the Compose file's directory
 * become paths from the project root, and `build:` becomes fleet's. Every other key is carried
 * as it is.
 */

/** A comment to put before the key at `path` (from the file's top; [] = the file's header). */
export interface Note {
  readonly path: readonly string[];
  readonly text: string;
}

/** What a conversion needs and collects. */
export interface ImportContext {
  readonly file: string; // the Compose file as named to the user
  readonly base: string; // its directory, posix, relative to the project root ("" = the root)
  readonly notes: Note[];
  readonly secretValues: Map<string, unknown>; // variable → the literal it replaced
  readonly fleetLabels: string[]; // the key paths of dev.fleet.* labels left out
}

const SECRET_NAME =
  /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|(^|_)(API_?)?KEY(_|$)|(^|_)(PASS|PWD)(_|$)/i;
const FLAG = /^(true|false|yes|no|on|off|0|1)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
/** The files Compose and Swarm mount secrets as. */
const SECRET_PATH = /^\/(var\/)?run\/secrets\//;
/** A reference to a variable (`$$` is a literal `$`, not one). */
const VARIABLE = /\$(\{|[A-Za-z_])/;
/** The build keys fleet's `build:` takes; fleet builds the image itself. */
const BUILD_KEYS = ["context", "dockerfile", "target", "args"];

/**
 * True when a key names a secret (PASSWORD, SECRET, TOKEN, KEY, CREDENTIALS …) and its value
 * is a literal one: a string or a number, not a variable, not empty, not a yes/no flag, not a
 * path under /run/secrets/, and the key does not name a file (`*_FILE`). A URL with a password
 * is a secret under any key.
 * @example isLiteralSecret("DB_PASSWORD", 98765432109) // true
 */
export function isLiteralSecret(key: string, value: unknown): boolean {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") {
    return false;
  }
  const text = String(value);
  if (text === "" || VARIABLE.test(text.replaceAll("$$", ""))) return false;
  if (SECRET_PATH.test(text)) return false; // where a secret is mounted, not the secret
  if (typeof value === "string" && URL_WITH_PASSWORD.test(text)) return true;
  return SECRET_NAME.test(key) && !/_FILE$/i.test(key) && !FLAG.test(text);
}

/**
 * Literal secrets of a map become `${VAR}` (the key's name, or `<SERVICE>_<KEY>` when another
 * service had another value under it), each with a note that names the variable, not the value.
 * @example secretsOut({ DB_PASSWORD: "pw", PORT: "80" }, p, ctx) // { DB_PASSWORD: "${DB_PASSWORD}", PORT: "80" }
 */
export function secretsOut(
  values: Record<string, unknown>,
  path: readonly string[],
  ctx: ImportContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = isLiteralSecret(key, value) ? variableFor(key, value, path, ctx) : value;
  }
  return out;
}

/** `environment:` in either form, its literal secrets as `${VAR}` (the form is kept). */
export function environmentOut(env: unknown, path: readonly string[], ctx: ImportContext): unknown {
  if (!Array.isArray(env)) return secretsOut(asMap(env), path, ctx);
  return env.map((e) => {
    const [key, ...rest] = String(e).split("=");
    if (!rest.length || !isLiteralSecret(key, rest.join("="))) return e;
    return `${key}=${variableFor(key, rest.join("="), path, ctx)}`;
  });
}

function variableFor(
  key: string,
  value: unknown,
  path: readonly string[],
  ctx: ImportContext,
  notePath = [...path, key],
): string {
  let name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : key.replace(/\W/g, "_").toUpperCase();
  if (ctx.secretValues.has(name) && ctx.secretValues.get(name) !== value) {
    name = `${path[1].toUpperCase().replace(/\W/g, "_")}_${name}`; // another service's
  }
  ctx.secretValues.set(name, value);
  ctx.notes.push({
    path: notePath,
    text: `a secret, literal in ${ctx.file}: now \${${name}}, set where fleet runs`,
  });
  return `\${${name}}`;
}

/**
 * `build: dir` or `build: {…}` → fleet's build: context from the root, Compose's default
 * Dockerfile made explicit, args as a map with secrets out. Other build keys are named in a note
 * (their values are not copied: an inline Dockerfile may hold anything).
 */
export function convertBuild(
  v: unknown,
  path: readonly string[],
  ctx: ImportContext,
): Record<string, unknown> {
  const b = typeof v === "string" ? { context: v } : asMap(v);
  const out: Record<string, unknown> = { context: rebase(String(b.context ?? "."), ctx.base) };
  if (b.dockerfile !== undefined || b.dockerfile_inline === undefined) {
    out.dockerfile = b.dockerfile ?? "Dockerfile";
  }
  if (b.target !== undefined) out.target = b.target;
  if (b.args !== undefined) {
    const args = Object.entries(envMap(b.args)).map(([k, a]) => [k, a ?? `\${${k}}`]);
    out.args = secretsOut(Object.fromEntries(args), [...path, "args"], ctx);
  }
  const rest = Object.keys(b).filter((k) => !BUILD_KEYS.includes(k));
  if (rest.length) {
    ctx.notes.push({
      path,
      text: `not taken over from ${ctx.file}: build.${rest.join(", build.")} (fleet builds ` +
        `from context, dockerfile, target and args; the rest stays in ${ctx.file})`,
    });
  }
  return out;
}

/** A volume, short or long syntax, with a bind mount's source from the root. */
export function volumeOut(v: unknown, base: string): unknown {
  if (typeof v === "string") {
    const [src, ...rest] = v.split(":");
    return rest.length && /^[.~/]/.test(src) ? [bindPath(src, base), ...rest].join(":") : v;
  }
  const m = asMap(v);
  if (m.type !== "bind" || typeof m.source !== "string") return v;
  return { ...m, source: bindPath(m.source, base) };
}

function bindPath(src: string, base: string): string {
  const p = rebase(src, base);
  return /^[.~/$]/.test(p) ? p : `./${p}`;
}

/** `env_file:` in any form (a path, a list of paths or of `{ path, required }`) from the root. */
export function envFilesOut(v: unknown, base: string): unknown {
  const one = (f: unknown) =>
    typeof f === "string"
      ? rebase(f, base)
      : { ...asMap(f), path: rebase(String(asMap(f).path), base) };
  return Array.isArray(v) ? v.map(one) : one(v);
}

/** A top-level `configs:`/`secrets:` map: `file:` from the root; inline secret content out. */
export function definitionsOut(
  key: "configs" | "secrets",
  defs: Record<string, unknown>,
  ctx: ImportContext,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(defs).map(([name, d]) => {
      const m = asMap(d);
      if (d === null || !Object.keys(m).length) return [name, d];
      const out: Record<string, unknown> = { ...m };
      if (typeof m.file === "string") out.file = rebase(m.file, ctx.base);
      if (m.content !== undefined && isLiteralSecret(name, m.content)) {
        const variable = name.replace(/\W/g, "_").toUpperCase();
        out.content = variableFor(variable, m.content, [key, name], ctx, [key, name, "content"]);
      }
      return [name, out];
    }),
  );
}

/** `environment:` (or build args) as a map: `NAME=value` → value, a bare `NAME` → null. */
export function envMap(env: unknown): Record<string, unknown> {
  if (!Array.isArray(env)) return asMap(env);
  return Object.fromEntries(env.map((e) => {
    const [k, ...v] = String(e).split("=");
    return [k, v.length ? v.join("=") : null];
  }));
}

/** A path of the Compose file, relative to the project root instead of the file's directory. */
export function rebase(p: string, base: string): string {
  const kept = !base || /^[/~]/.test(p) || p.includes("$") || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ||
    p.startsWith("git@");
  if (kept) return p;
  const parts: string[] = [];
  for (const seg of `${base}/${p}`.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && parts.length && parts.at(-1) !== "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/") || ".";
}

/** A value as a map ({} for anything else). */
export function asMap(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {};
}
