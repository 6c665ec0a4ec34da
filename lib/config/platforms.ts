/**
 * Target platforms (SPEC §10): `platform:` in a stage file and `--platform` take one platform
 * or a list, `linux/amd64,linux/arm64` (a YAML list works in the file too). Each item is
 * os/arch[/variant]; common aliases are normalized as Docker does (x86_64 → amd64,
 * aarch64 → arm64), duplicates dropped, order kept. Pure: the one parser of platform text.
 */
import { UsageError } from "../core/errors.ts";

const ITEM_RE = /^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*(\/[a-z0-9][a-z0-9_.-]*)?$/;
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  "x86_64": "amd64",
  "x86-64": "amd64",
  "aarch64": "arm64",
  "i386": "386",
  "armhf": "arm/v7",
  "armel": "arm/v6",
};

/** Items of a platform list, trimmed and normalized (invalid ones as written). */
function items(text: string | readonly string[]): string[] {
  const list = typeof text === "string" ? text.split(",") : text.flatMap((t) => t.split(","));
  return list.map((s) => normalize(s.trim().toLowerCase()));
}

function normalize(item: string): string {
  const [os, arch, variant] = item.split("/");
  if (arch === undefined || !ITEM_RE.test(item)) return item;
  const a = ARCH_ALIASES[arch] ?? arch;
  if (a === "arm64" && (variant === "v8" || variant === "8")) return `${os}/arm64`;
  return [os, a, ...(variant && !a.includes("/") ? [variant] : [])].join("/");
}

/**
 * What is wrong with a platform list, or undefined when it is valid.
 * @example platformProblem("linux/amd64,arm64") // `"arm64" is not os/arch[/variant] …`
 */
export function platformProblem(text: string | readonly string[]): string | undefined {
  const list = items(text);
  if (list.length === 0 || list.every((i) => i === "")) {
    return "no platform given (e.g. linux/amd64, or linux/amd64,linux/arm64)";
  }
  const bad = list.find((i) => !ITEM_RE.test(i));
  if (bad === undefined) return undefined;
  return `${bad === "" ? "an empty item" : `"${bad}"`} is not os/arch[/variant]` +
    " (e.g. linux/amd64, linux/arm64, linux/arm/v7; several separated by commas)";
}

/**
 * Parse a platform list; throws a UsageError (exit 2) naming the bad item.
 * @example parsePlatforms("linux/amd64, linux/aarch64") // ["linux/amd64", "linux/arm64"]
 */
export function parsePlatforms(text: string | readonly string[], where = "--platform"): string[] {
  const problem = platformProblem(text);
  if (problem) {
    throw new UsageError(`${where}: ${problem}`, {
      hint: "name each platform as os/arch, e.g. --platform linux/amd64,linux/arm64",
    });
  }
  return [...new Set(items(text))];
}

/**
 * One platform normalized (aliases, arm64/v8), as written when it is not os/arch[/variant].
 * @example normalizePlatform("linux/arm64/v8") // "linux/arm64"
 */
export function normalizePlatform(platform: string): string {
  return normalize(platform.trim().toLowerCase());
}

/**
 * A platform as a tag-safe word.
 * @example platformSlug("linux/arm/v7") // "linux-arm-v7"
 */
export function platformSlug(platform: string): string {
  return platform.replaceAll("/", "-");
}
