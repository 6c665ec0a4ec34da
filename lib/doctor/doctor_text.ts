/** What `fleet doctor` prints: one line per check (✔/✘, name, detail, fix), or one JSON document. */
import type { Check } from "./probes.ts";

/**
 * The checks as lines, ✔ passed, ✘ failed (then its fix), - not run because another failed.
 * `color` adds green/red marks.
 * @example doctorText([{ name: "deno", ok: true, detail: "2.9.6 (≥ 2.0)" }], false)
 * // "✔ deno  2.9.6 (≥ 2.0)"
 */
export function doctorText(checks: readonly Check[], color: boolean): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  for (const c of checks) {
    const mark = c.ok ? paint("32", "✔") : c.skipped ? "-" : paint("31", "✘");
    lines.push(`${mark} ${c.name.padEnd(width)}  ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`  ${" ".repeat(width)}  fix: ${c.fix}`);
  }
  return lines.join("\n");
}

/**
 * The one JSON document of `fleet doctor --json`: `{ checks: [{ name, ok, detail, fix }], ok }`
 * (`fix` is null when ok; a check not run because another failed has `"skipped": true`).
 */
export function doctorJson(checks: readonly Check[]): string {
  return JSON.stringify(
    {
      checks: checks.map((c) => ({
        name: c.name,
        ok: c.ok,
        detail: c.detail,
        fix: c.ok ? null : c.fix || null,
        ...(c.skipped ? { skipped: true } : {}),
      })),
      ok: checks.every((c) => c.ok),
    },
    null,
    2,
  );
}
