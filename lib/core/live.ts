/**
 * The live block on a terminal (used by lib/core/ui.ts only): one row per service, redrawn in
 * place with cursor-up and erase-line, the seconds of working rows ticking; any other line is
 * printed above the block, which is drawn again below it. When the work ends the block is drawn
 * one last time and left in the scrollback as its final state; every frame ends with a newline,
 * so an interrupt never leaves a half line (and the cursor is never hidden).
 */
import { stripAnsi } from "./run.ts";
import { type Observation, observe, type Phase, type Row, rowLines, settle } from "./progress.ts";

/** A block being drawn: update a service's row, then end it (rows still working → `settled`). */
export interface LiveProgress {
  update(o: Observation): void;
  end(settled?: string): void;
}

/** Lines printed above the live block, and the blocks themselves. */
export interface Live {
  /** A line of text: plain when no block is drawn, else above the block. */
  print(text: string): void;
  /** Start a block with these rows (a block still drawn is ended first). */
  start(rows: readonly Observation[]): LiveProgress;
}

export interface LiveOptions {
  /** Write to the terminal (stderr). */
  readonly write: (s: string) => void;
  /** Milliseconds now (the rows' seconds). */
  readonly now: () => number;
  /** The terminal's width: longer rows are cut, so that one row is one line. */
  readonly columns?: () => number | undefined;
  readonly paint?: (phase: Phase | "name" | "time", s: string) => string;
  /** Call `tick` every second until the returned stop is called (default: an unref'd interval). */
  readonly every?: (tick: () => void) => () => void;
}

/** Cursor up `n` lines (to the first line of the block). */
export const up = (n: number) => `\x1b[${n}A`;
/** Erase the whole line the cursor is on. */
export const ERASE_LINE = "\x1b[2K";
/** Erase from the cursor to the end of the screen. */
export const ERASE_DOWN = "\x1b[J";

function everySecond(tick: () => void): () => void {
  const id = setInterval(tick, 1000);
  Deno.unrefTimer(id);
  return () => clearInterval(id);
}

/** A live block renderer writing through `o.write` (see the module doc). */
export function createLive(o: LiveOptions): Live {
  let rows: Row[] = [];
  let active = false;
  let drawn = 0; // block lines on screen, the cursor at the start of the line below them
  let stop = () => {};
  let gen = 0; // the block a handle belongs to: a later block ends an earlier one's handle
  const fit = (line: string) => {
    const cols = o.columns?.() ?? 0;
    if (cols <= 1 || stripAnsi(line).length < cols) return line;
    return stripAnsi(line).slice(0, cols - 2) + "…";
  };
  const frame = (above: readonly string[]) => {
    const block = rowLines(rows, o.now(), o.paint).map(fit);
    const lines = [...above, ...block];
    // from the first column (the terminal may have echoed `^C` below the block), erasing below
    // too, so that echo goes
    o.write(
      (drawn ? `\r${up(drawn)}` : "") + lines.map((l) => `${ERASE_LINE}${l}\n`).join("") +
        ERASE_DOWN,
    );
    drawn = block.length;
  };
  const end = (settled?: string) => {
    if (!active) return;
    stop();
    if (settled !== undefined) rows = settle(rows, settled, o.now());
    frame([]);
    active = false;
    drawn = 0;
    rows = [];
  };
  return {
    print(text) {
      if (active) frame(text.split("\n"));
      else o.write(text + "\n");
    },
    start(initial) {
      end();
      const now = o.now();
      rows = initial.reduce<Row[]>((acc, x) => observe(acc, x, now), []);
      active = true;
      frame([]);
      stop = (o.every ?? everySecond)(() => active && frame([]));
      const mine = ++gen;
      return {
        update(x) {
          if (mine !== gen || !active) return;
          const next = observe(rows, x, o.now());
          const changed = next.some((r, i) => r !== rows[i]) || next.length !== rows.length;
          rows = next;
          if (changed) frame([]);
        },
        end(settled) {
          if (mine === gen) end(settled);
        },
      };
    },
  };
}
