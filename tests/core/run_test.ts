/** The real runner on a tiny child process: output lines and results as fleet shows them. */
import assert from "node:assert/strict";
import { createRunner } from "../../lib/core/run.ts";

Deno.test("a child's colour and cursor codes never reach fleet's output or errors", async () => {
  const runner = createRunner({ env: { PATH: Deno.env.get("PATH") ?? "" }, cwd: "/" });
  const lines: string[] = [];
  const script = String.raw`printf '\033[2Kweb-1  | hi\n\033[31mred\033[0m s3cret\n'; ` +
    String.raw`printf '\033[1A\033[2Kerr\n' >&2; exit 3`;
  const r = await runner.run(
    { kind: "exec", title: "t", argv: ["sh", "-c", script], secretEnv: { S: "s3cret" } },
    { check: false, onLine: (l, s) => lines.push(`${s}: ${l}`) },
  );
  assert.deepEqual(lines.sort(), ["stderr: err", "stdout: red ***", "stdout: web-1  | hi"]);
  assert.equal(r.stdout, "web-1  | hi\nred ***\n");
  assert.equal(r.stderr, "err\n");
  await assert.rejects(
    runner.run({ kind: "exec", title: "t", argv: ["sh", "-c", script] }),
    (e: Error & { stderrTail?: string }) => e.stderrTail === "err",
  );
});
