/**
 * `${VAR}` and `${VAR:-default}` in stage files. Values are never stored: they are looked up
 * when a command runs, and handed to Docker through the child process's environment.
 */
import { ConfigError } from "../core/errors.ts";

/** One `${…}` reference found in a value. */
export interface VarRef {
  readonly name: string;
  readonly fallback?: string;
}

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g;

/** Every `${VAR}` reference in a value (strings, arrays and maps, walked deeply). */
export function findVars(value: unknown): VarRef[] {
  const found: VarRef[] = [];
  const walk = (x: unknown): void => {
    if (typeof x === "string") {
      for (const m of x.matchAll(VAR_RE)) {
        found.push(m[2] === undefined ? { name: m[1] } : { name: m[1], fallback: m[2] });
      }
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object") Object.values(x).forEach(walk);
  };
  walk(value);
  return found;
}

/** Names of the references that have no default and are unset in `env`, sorted, unique. */
export function missingVars(value: unknown, env: Record<string, string | undefined>): string[] {
  const names = findVars(value).filter((r) => r.fallback === undefined && env[r.name] === undefined)
    .map((r) => r.name);
  return [...new Set(names)].sort();
}

/**
 * Replace each `${VAR}` in a string with its value from `env` (or its default).
 * @example interpolate("v${A:-1}", {}) // "v1"
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    VAR_RE,
    (_m, name: string, fallback?: string) => env[name] ?? fallback ?? "",
  );
}

/** True when a string holds at least one `${VAR}` reference. */
export function hasVars(text: string): boolean {
  return findVars(text).length > 0;
}

/**
 * The value of each variable a value refers to that is set in `env`, by name: the environment
 * a child process needs to resolve them itself (Compose does), so values stay out of argv.
 * @example varEnv({ e: "${PW}", f: "${X:-1}" }, { PW: "s3cret" }) // { PW: "s3cret" }
 */
export function varEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name } of findVars(value)) {
    if (env[name] !== undefined) out[name] = env[name]!;
  }
  return out;
}

/**
 * Throw one ConfigError for every unset `${VAR}` without default in `fields` (where → value),
 * a line each: the one message for build settings, service settings and recorded releases.
 * @example requireVars([["stages/dev.yaml: services.web", svc]], env)
 */
export function requireVars(
  fields: readonly (readonly [string, unknown])[],
  env: Readonly<Record<string, string | undefined>>,
): void {
  const lines: string[] = [];
  const names = new Set<string>();
  for (const [where, value] of fields) {
    for (const name of missingVars(value, env)) {
      lines.push(`${where}: \${${name}} is not set (and has no default)`);
      names.add(name);
    }
  }
  if (lines.length === 0) return;
  const all = [...names];
  throw new ConfigError(lines.join("\n"), {
    hint: `set ${all.join(", ")} in the environment, or give a default: \${${all[0]}:-value}`,
  });
}
