/**
 * The module graph: no import cycles (mod.ts, the scripts, bench/), and lib/ folders depend one
 * way only — cli → report/doctor → release/images → engine → docker → config → core.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const RANK: Record<string, number> = {
  core: 0,
  config: 1,
  docker: 2,
  engine: 3,
  images: 4,
  release: 4,
  report: 5,
  doctor: 5,
  cli: 6,
};

type Graph = Map<string, string[]>;

/** The project's own modules reachable from `entry`, each with the modules it imports. */
async function graphOf(entry: string): Promise<Graph> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const g: Graph = new Map();
  const own = (s: string) => s.startsWith("file://") ? relative(ROOT, new URL(s).pathname) : "";
  for (const m of info.modules ?? []) {
    const from = own(m.specifier ?? "");
    if (!from) continue;
    const deps = (m.dependencies ?? []).flatMap((d: Record<string, { specifier?: string }>) =>
      [d.code?.specifier, d.type?.specifier].map((s) => own(s ?? "")).filter(Boolean)
    );
    g.set(from, [...new Set(deps as string[])]);
  }
  return g;
}

/** Strongly connected components with more than one module (or a self-import): the cycles. */
export function cycles(g: Graph): string[][] {
  let n = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const comp: string[] = [];
    for (let w = ""; w !== v;) {
      w = stack.pop()!;
      on.delete(w);
      comp.push(w);
    }
    if (comp.length > 1 || (g.get(v) ?? []).includes(v)) found.push(comp.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

const entries = [
  "mod.ts",
  "bench/run.ts",
  ...[...Deno.readDirSync(`${ROOT}examples`)]
    .filter((e) => e.name.endsWith(".ts")).map((e) => `examples/${e.name}`),
  ...[...Deno.readDirSync(`${ROOT}scripts`)]
    .filter((e) => e.name.endsWith(".ts")).map((e) => `scripts/${e.name}`),
];

for (const entry of entries) {
  Deno.test(`no import cycles reachable from ${entry}`, async () => {
    assert.deepEqual(cycles(await graphOf(entry)), []);
  });
}

Deno.test("lib/ folders depend one way: cli → report → release/images → engine → docker → config → core", async () => {
  const g = await graphOf("mod.ts");
  const folder = (f: string) => f.match(/^lib\/([^/]+)\//)?.[1];
  const wrong: string[] = [];
  for (const [from, deps] of g) {
    const a = folder(from);
    if (!a) continue;
    for (const to of deps) {
      const b = folder(to);
      if (!b) {
        if (to.startsWith("scripts/") || to === "mod.ts" || to === "cli.ts") {
          wrong.push(`${from} → ${to}`);
        }
        continue;
      }
      if (a !== b && RANK[b] >= RANK[a]) wrong.push(`${from} → ${to}`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("every lib/ folder has its place in that order", () => {
  const folders = [...Deno.readDirSync(`${ROOT}lib`)].filter((e) => e.isDirectory).map((e) =>
    e.name
  );
  assert.deepEqual(folders.filter((f) => !(f in RANK)), []);
});

Deno.test("bench/ and testbed/ import nothing from tests/", async () => {
  const g = await graphOf("bench/run.ts");
  assert.deepEqual([...g.keys()].filter((f) => f.startsWith("tests/")), []);
});

Deno.test("the cycle finder finds a cycle", () => {
  const g: Graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.deepEqual(cycles(g), [["a", "b", "c"]]);
});
