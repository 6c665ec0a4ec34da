/**
 * The versions fleet needs of Deno, the docker CLI and engine, and its plugins, and how to read
 * them from what the tools print (pure).
 */

/** The oldest versions fleet works with (README: Requirements). */
export const MINIMUM = {
  deno: "2.0",
  docker: "20.10",
  engine: "20.10",
  compose: "2.20",
  buildx: "0.10",
} as const;

/**
 * The first version number in a tool's output, without a leading "v" or a build suffix.
 * @example parseVersion("Docker Compose version v2.26.1-desktop.1") // "2.26.1"
 * @example parseVersion("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3") // "0.13.1"
 */
export function parseVersion(text: string): string | undefined {
  return text.match(/(?:^|[\s,v])(\d+\.\d+(?:\.\d+)?)/)?.[1];
}

/**
 * True when `version` is `min` or newer (numeric, part by part).
 * @example atLeast("2.9.1", "2.20") // false
 */
export function atLeast(version: string, min: string): boolean {
  const a = version.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}
