/** The real runner: the diagnose hook on failures, commands that cannot start. */
import assert from "node:assert/strict";
import { createRunner, shQuote } from "../../lib/core/run.ts";
import { CommandError, SetupError } from "../../lib/core/errors.ts";

const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
const fail = ["sh", "-c", "echo 'engine gone' >&2; exit 3"];

Deno.test("a failure the hook names is thrown even with check: false; others are answers", async () => {
  const seen: string[] = [];
  const runner = createRunner({
    env,
    cwd: "/",
    diagnose: (step, res, e) => {
      seen.push(`${step.argv[0]} ${res.code} ${res.stderr.trim()} ${e.PATH === env.PATH}`);
      return res.stderr.includes("engine gone") ? new SetupError("no engine") : undefined;
    },
  });
  await assert.rejects(
    runner.run({ kind: "query", title: "t", argv: fail }, { check: false }),
    /no engine/,
  );
  const own = await runner.run({ kind: "query", title: "t", argv: ["sh", "-c", "exit 4"] }, {
    check: false,
  });
  assert.equal(own.code, 4);
  const ok = await runner.run({ kind: "query", title: "t", argv: ["sh", "-c", "echo hi"] });
  assert.equal(ok.stdout, "hi\n");
  assert.deepEqual(seen, ["sh 3 engine gone true", "sh 4  true"], "called on failures only");
});

Deno.test("without a hook, a failure is a CommandError with the end of stderr", async () => {
  const runner = createRunner({ env, cwd: "/" });
  const e = await runner.run({ kind: "query", title: "t", argv: fail }).catch((e) => e);
  assert.ok(e instanceof CommandError && !(e instanceof SetupError));
  assert.equal(e.stderrTail, "engine gone");
});

Deno.test("a command that is not on PATH is exit 127, for the hook to name", async () => {
  const runner = createRunner({ env, cwd: "/" });
  const r = await runner.run(
    { kind: "query", title: "t", argv: ["fleet-no-such-command-xyz", "--version"] },
    { check: false },
  );
  assert.equal(r.code, 127);
  assert.match(r.stderr, /fleet-no-such-command-xyz: (command )?not found/);
});

Deno.test("shQuote quotes for a POSIX shell", async () => {
  const arg = `it's a "$HOME" \`x\` \\ test`;
  const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shQuote(arg)}`] }).output();
  assert.equal(new TextDecoder().decode(out.stdout), arg);
});

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
