/** Columns for people: the one table layout of every command's text output. */

/**
 * Pad columns to a table (trailing spaces trimmed).
 * @example table([["A", "B"], ["xx", "y"]]) // "A   B\nxx  y"
 */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "";
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}
