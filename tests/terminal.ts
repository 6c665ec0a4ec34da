/**
 * A tiny terminal for tests: replays what was written to one (text, `\r`, `\n`, cursor up,
 * erase line, erase down) and returns the screen's lines, so a test can check what a person
 * sees at the end, not only the bytes.
 */

/**
 * The lines on screen after `out` was written (a newline also returns the carriage, as a pty does).
 * @example screen("a\n\x1b[1A\x1b[2Kb\n") // ["b", ""]
 */
export function screen(out: string): string[] {
  const lines: string[] = [""];
  let row = 0;
  let col = 0;
  for (let i = 0; i < out.length;) {
    // deno-lint-ignore no-control-regex -- a terminal's escape sequences are what it reads
    const esc = /^\x1b\[(\??[\d;]*)([A-Za-z])/.exec(out.slice(i, i + 16));
    if (esc) {
      i += esc[0].length;
      const n = Number(esc[1] || 1);
      if (esc[2] === "A") row = Math.max(0, row - n);
      else if (esc[2] === "K") lines[row] = esc[1] === "2" ? "" : lines[row].slice(0, col);
      else if (esc[2] === "J") {
        lines[row] = lines[row].slice(0, col);
        lines.length = row + 1;
      }
      continue;
    }
    const c = out[i++];
    if (c === "\r") col = 0;
    else if (c === "\n") {
      row++;
      col = 0;
      lines[row] ??= "";
    } else {
      const l = lines[row].padEnd(col);
      lines[row] = l.slice(0, col) + c + l.slice(col + 1);
      col++;
    }
  }
  return lines;
}
