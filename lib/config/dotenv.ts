/**
 * `.env` as Docker Compose reads it (compose-go's dotenv): `KEY=value` lines, `export ` allowed,
 * `#` comments, single quotes literal, double quotes with `\n` escapes, inline ` #` comments on
 * unquoted values. The process environment wins over it; fleet only reads it, like Compose.
 */
import { join } from "../core/paths.ts";

/**
 * The variables of `dir/.env` (none when there is no such file).
 * @example readDotenv("/repo") // { TAG: "1.2" }
 */
export function readDotenv(dir: string): Record<string, string> {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(dir, ".env"));
  } catch {
    return {};
  }
  return parseDotenv(text);
}

/**
 * Parse the text of a `.env` file.
 * @example parseDotenv("A=1\nexport B='x y' # note\n") // { A: "1", B: "x y" }
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*)$/);
    if (!m) continue;
    out[m[1]] = value(m[2]);
  }
  return out;
}

function value(v: string): string {
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    return end === -1 ? v.slice(1) : v.slice(1, end);
  }
  if (v.startsWith('"')) {
    let out = "";
    for (let i = 1; i < v.length; i++) {
      const c = v[i];
      if (c === '"') break;
      if (c === "\\" && i + 1 < v.length) {
        const n = v[++i];
        out += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n;
      } else out += c;
    }
    return out;
  }
  const hash = v.search(/\s#/);
  return (hash === -1 ? v : v.slice(0, hash)).trim();
}
