/**
 * README.md and README.ja.md stay in step: the same commands in their command tables (the
 * command column is code, the same in both languages), and each links the other at the top.
 */
import assert from "node:assert/strict";

const REPO = new URL("../../", import.meta.url).pathname;
const read = (f: string) => Deno.readTextFileSync(`${REPO}${f}`);

/** The code spans of the first column of the first table under `heading`. */
function commandColumn(text: string, heading: string): string[] {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.trim() === heading);
  assert.ok(at >= 0, `no "${heading}" heading`);
  const first = lines.findIndex((l, i) => i > at && l.startsWith("|"));
  const rows: string[] = [];
  for (let i = first + 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(lines[i]);
  // cells are split on | that is not escaped (`a\|b` is one cell)
  return rows.flatMap((r) => r.split(/(?<!\\)\|/)[1].match(/`[^`]+`/g) ?? []);
}

Deno.test("README.md and README.ja.md list the same commands", () => {
  const en = commandColumn(read("README.md"), "## Commands");
  const ja = commandColumn(read("README.ja.md"), "## コマンド");
  assert.ok(en.length >= 10, `only ${en.length} commands found in README.md`);
  const missing = en.filter((c) => !ja.includes(c));
  const extra = ja.filter((c) => !en.includes(c));
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    "README.ja.md's command table: add the missing rows (translated), drop the extra ones",
  );
});

Deno.test("each README links the other at the top", () => {
  const top = (f: string) => read(f).split("\n").slice(0, 5).join("\n");
  assert.match(top("README.md"), /\[日本語\]\(README\.ja\.md\)/);
  assert.match(top("README.ja.md"), /\[English\]\(README\.md\)/);
});

Deno.test("the command column parser: code spans, escaped pipes, only the first table", () => {
  const text = "## Commands\n\ntext\n\n| command | what |\n| --- | --- |\n" +
    "| `fleet a`, `fleet b <x>` | `not this` |\n| `fleet c x\\|y` | z |\n\n| `other` | table |\n";
  assert.deepEqual(commandColumn(text, "## Commands"), [
    "`fleet a`",
    "`fleet b <x>`",
    "`fleet c x\\|y`",
  ]);
});
