/** Choosing services with `-n`: one rule for every command (build, deploy, logs, rollback). */
import { ConfigError, UsageError } from "../core/errors.ts";
import { keyAt } from "./positions.ts";
import { didYouMean } from "./schema.ts";
import type { Service, Stage } from "./stage.ts";

/**
 * The services `-n` names, in file order (all of `pool` when none is named). An unknown name is
 * a UsageError with "did you mean" and the valid names.
 * @example pickServices(stage, ["web"]).map((s) => s.name) // ["web"]
 */
export function pickServices(
  stage: Stage,
  names: readonly string[],
  pool: readonly Service[] = stage.services,
  what = "services",
): Service[] {
  if (stage.services.length === 0) {
    throw new ConfigError(`${keyAt(stage, ["services"])}: the stage has no services`, {
      hint: "add services: (here or in stages/_base.yaml)",
    });
  }
  const known = pool.map((s) => s.name);
  for (const n of names) {
    if (known.includes(n)) continue;
    const guess = didYouMean(n, known);
    throw new UsageError(
      `unknown service "${n}"${guess ? ` (did you mean "${guess}"?)` : ""}` +
        ` (${what}: ${known.join(", ") || "none"})`,
      { hint: `the services are those under services: in ${stage.file}` },
    );
  }
  return names.length ? pool.filter((s) => names.includes(s.name)) : [...pool];
}

/**
 * The stage with more active profiles (`--profile`), besides its own `profiles:`.
 * @example withProfiles(stage, ["debug"]).profiles // ["debug"]
 */
export function withProfiles(stage: Stage, more: readonly string[] = []): Stage {
  if (more.length === 0) return stage;
  return { ...stage, profiles: [...new Set([...(stage.profiles ?? []), ...more])] };
}

/**
 * The services a release starts: those without `profiles:`, and those with an active profile
 * (Compose's rule).
 * @example activeServices(stage).map((s) => s.name) // ["web", "db"]
 */
export function activeServices(stage: Stage, pool: readonly Service[] = stage.services): Service[] {
  return pool.filter((s) => {
    const p = (s as { profiles?: readonly string[] }).profiles;
    return !p?.length || p.some((x) => (stage.profiles ?? []).includes(x));
  });
}
