/**
 * One Compose service key at a time, in fleet's terms (pure; used by compose_import.ts):
 * build, ports, environment, env_file, volumes, depends_on, restart, healthcheck. What cannot be
 * carried is left as a note: commented YAML with the reason.
 */
import { stringify } from "yaml";

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
  readonly secretValues: Map<string, string>; // variable → the literal it replaced
}

const SECRET_NAME =
  /PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|(^|_)(API_?)?KEY(_|$)|(^|_)(PASS|PWD)(_|$)/i;
const FLAG = /^(true|false|yes|no|on|off|0|1)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
const BUILD_KEYS = ["context", "dockerfile", "target", "args"];
const HEALTHCHECK_KEYS = ["test", "interval", "timeout", "retries", "start_period", "disable"];

/** Leave a key out: a note with the reason and the key as it was, as YAML. */
export function dropped(
  ctx: ImportContext,
  path: readonly string[],
  value: Record<string, unknown>,
  why: string,
): void {
  const yaml = stringify(value, { lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  ctx.notes.push({ path, text: `not taken over from ${ctx.file}: ${why}\n${yaml}` });
}

/**
 * A literal secret (by its key's name, or a URL with a password) becomes `${VAR}`, with a note.
 * @example secretsOut({ DB_PASSWORD: "pw", PORT: "80" }, p, ctx) // { DB_PASSWORD: "${DB_PASSWORD}", PORT: "80" }
 */
export function secretsOut(
  values: Record<string, unknown>,
  path: readonly string[],
  ctx: ImportContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const literal = typeof value === "string" && value !== "" && !value.includes("${");
    if (!literal || !(secretName(key, value) || URL_WITH_PASSWORD.test(value))) {
      out[key] = value;
      continue;
    }
    let name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : key.replace(/\W/g, "_").toUpperCase();
    if (ctx.secretValues.has(name) && ctx.secretValues.get(name) !== value) {
      name = `${path[1].toUpperCase().replace(/\W/g, "_")}_${name}`; // another service's
    }
    ctx.secretValues.set(name, value);
    out[key] = `\${${name}}`;
    ctx.notes.push({
      path: [...path, key],
      text: `a secret, literal in ${ctx.file}: now \${${name}}, set where fleet runs`,
    });
  }
  return out;
}

/** A key named like a secret, unless it names a file (`*_FILE`) or its value is a yes/no flag. */
function secretName(key: string, value: string): boolean {
  return SECRET_NAME.test(key) && !/_FILE$/i.test(key) && !FLAG.test(value);
}

/** `build: dir` or `build: {…}` → fleet's build (Compose's default Dockerfile made explicit). */
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
  const rest = Object.fromEntries(Object.entries(b).filter(([k]) => !BUILD_KEYS.includes(k)));
  if (Object.keys(rest).length) {
    dropped(ctx, path, { build: rest }, "fleet builds from context, dockerfile, target and args");
  }
  return out;
}

/** A port, short syntax kept; long syntax → `[host_ip:]published:target[/protocol]`. */
export function convertPort(p: unknown): string | number {
  if (typeof p === "number" || typeof p === "string") return p;
  const m = asMap(p);
  let s = String(m.target);
  if (m.published !== undefined) s = `${m.published}:${s}`;
  if (m.host_ip) s = `${String(m.host_ip).includes(":") ? `[${m.host_ip}]` : m.host_ip}:${s}`;
  return m.protocol && m.protocol !== "tcp" ? `${s}/${m.protocol}` : s;
}

/** A volume in short syntax (binds made relative to the root), or [] with a note. */
export function convertVolume(v: unknown, path: readonly string[], ctx: ImportContext): string[] {
  if (typeof v === "string") {
    const [src, ...rest] = v.split(":");
    const bind = /^[.~/]/.test(src);
    return [rest.length && bind ? [bindPath(src, ctx.base), ...rest].join(":") : v];
  }
  const m = asMap(v);
  const type = m.type ?? "volume";
  const extra = Object.keys(m).filter((k) =>
    !["type", "source", "target", "read_only"].includes(k)
  );
  if ((type !== "volume" && type !== "bind") || extra.length) {
    const why = type === "tmpfs"
      ? "use compose: { tmpfs: [<target>] }"
      : "fleet takes volumes as source:target[:ro]";
    dropped(ctx, [...path, "volumes"], { volumes: [v] }, why);
    if (type !== "volume" && type !== "bind") return [];
  }
  const ro = m.read_only ? ":ro" : "";
  if (m.source === undefined) return [`${m.target}${ro}`];
  const src = type === "bind" ? bindPath(String(m.source), ctx.base) : String(m.source);
  return [`${src}:${m.target}${ro}`];
}

function bindPath(src: string, base: string): string {
  const p = rebase(src, base);
  return /^[.~/$]/.test(p) ? p : `./${p}`;
}

/** `healthcheck:`, the keys fleet takes; the others become a note. */
export function convertHealthcheck(
  h: Record<string, unknown>,
  path: readonly string[],
  ctx: ImportContext,
): Record<string, unknown> {
  const keep = (k: string) => HEALTHCHECK_KEYS.includes(k);
  const rest = Object.fromEntries(Object.entries(h).filter(([k]) => !keep(k)));
  if (Object.keys(rest).length) {
    dropped(ctx, [...path, "healthcheck"], { healthcheck: rest }, "not a key fleet takes");
  }
  return Object.fromEntries(Object.entries(h).filter(([k]) => keep(k)));
}

/** `environment:` (or build args) as a map: `NAME=value` → value, a bare `NAME` → null. */
export function envMap(env: unknown): Record<string, unknown> {
  if (!Array.isArray(env)) return asMap(env);
  return Object.fromEntries(env.map((e) => {
    const [k, ...v] = String(e).split("=");
    return [k, v.length ? v.join("=") : null];
  }));
}

/** `env_file:` as paths from the root (a file's `required: false` is not carried). */
export function envFiles(v: unknown, base: string): string | string[] {
  const files = asList(v).map((f) =>
    rebase(typeof f === "string" ? f : String(asMap(f).path), base)
  );
  return typeof v === "string" ? files[0] : files;
}

/** `depends_on:` as a list of names; conditions other than service_started become a note. */
export function dependsOn(v: unknown, path: readonly string[], ctx: ImportContext): string[] {
  if (Array.isArray(v)) return v.map(String);
  const deps = asMap(v);
  const conditions = Object.entries(deps).filter(([, d]) => {
    const m = asMap(d);
    return Object.keys(m).some((k) => k !== "condition") || m.condition !== "service_started";
  });
  if (conditions.length) {
    const why = "fleet starts services in order, then waits until every one is healthy";
    dropped(ctx, [...path, "depends_on"], { depends_on: Object.fromEntries(conditions) }, why);
  }
  return Object.keys(deps);
}

/** `restart:` — `on-failure:3` becomes on-failure (with a note), an unknown policy a note. */
export function restart(
  v: unknown,
  out: Record<string, unknown>,
  path: readonly string[],
  ctx: ImportContext,
): void {
  const policy = String(v === false ? "no" : v);
  const kind = policy.split(":")[0];
  if (["no", "always", "on-failure", "unless-stopped"].includes(kind)) out.restart = kind;
  if (kind !== policy || !out.restart) {
    const why = "fleet takes no, always, on-failure or unless-stopped";
    dropped(ctx, [...path, "restart"], { restart: v }, why);
  }
}

/** A path of the Compose file, relative to the project root instead of the file's directory. */
export function rebase(p: string, base: string): string {
  const kept = !base || /^[/~]/.test(p) || p.includes("${") || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ||
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

/** A value as a list (a scalar becomes a list of one). */
export function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}
