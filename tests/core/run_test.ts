/**
 * The real runner (lib/core/run.ts): the diagnose hook on failures, commands that cannot start,
 * and the secret mask — `redact` itself, and every way a secret could reach output from a real
 * process: its whole stdout/stderr, each streamed line, a failed command's argv and stderr tail.
 * The processes are tiny `sh -c` scripts; the secret is in their environment or stdin.
 */
import assert from "node:assert/strict";
import {
  createRunner,
  redact,
  type RunResult,
  secretsOf,
  shQuote,
  type Step,
  tail,
} from "../../lib/core/run.ts";
import { CommandError, formatError, InterruptedError, SetupError } from "../../lib/core/errors.ts";

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

const SECRET = "hunter2-s3cr3t";
const runner = () => createRunner({ env: { PATH: Deno.env.get("PATH") ?? "" }, cwd: "/" });

/** A step that runs a shell script with the secret in its environment as $S. */
const sh = (script: string, extra: Partial<Step> = {}): Step => ({
  kind: "query",
  title: "echo things",
  argv: ["sh", "-c", script],
  secretEnv: { S: SECRET },
  ...extra,
});

/** Run a step and collect what it streamed, line by line. */
async function streamed(step: Step) {
  const lines: string[] = [];
  const res: RunResult = await runner().run(step, {
    onLine: (l, stream) => lines.push(`${stream}: ${l}`),
    check: false,
  });
  return { lines, res };
}

Deno.test("redact: every occurrence, longest secret first, short values left alone", () => {
  assert.equal(redact("pw=hunter2 again hunter2", ["hunter2"]), "pw=*** again ***");
  assert.equal(redact("token abcdef", ["abc", "abcdef"]), "token ***");
  assert.equal(redact("a b ab", ["a", "ab"]), "a b ab", "1–2 characters are no secret");
  assert.equal(redact("nothing here", []), "nothing here");
  assert.equal(redact("x.y*z", ["x.y*z"]), "***", "no regular expression is made of a secret");
});

Deno.test("secretsOf: secretEnv values and stdin (as given and trimmed)", () => {
  assert.deepEqual(secretsOf({ kind: "query", title: "t", argv: [] }), []);
  assert.deepEqual(
    secretsOf({ kind: "query", title: "t", argv: [], secretEnv: { A: "one" }, input: "pw\n" }),
    ["one", "pw", "pw\n"],
  );
});

Deno.test("tail: the last n lines, trailing blank lines dropped", () => {
  assert.equal(tail("a\nb\nc\n\n", 2), "b\nc");
  assert.equal(tail("only"), "only");
});

Deno.test("whole outputs are masked: stdout and stderr of a real process", async () => {
  const r = await runner().run(sh(`echo "out $S"; echo "err $S" >&2`));
  assert.deepEqual(r, { code: 0, stdout: "out ***\n", stderr: "err ***\n" });
});

Deno.test("streamed lines are masked, on both streams, including a last line without newline", async () => {
  const { lines, res } = await streamed(
    sh(`echo "one $S"; echo "two $S" >&2; printf "last $S"`),
  );
  assert.deepEqual(lines.toSorted(), ["stderr: two ***", "stdout: last ***", "stdout: one ***"]);
  assert.equal(res.stdout, "one ***\nlast ***");
});

Deno.test("a secret in a line longer than one read is masked whole", async () => {
  // 200 000 characters before the secret: the line arrives in many chunks
  const { lines } = await streamed(sh(`printf '%200000s' '' | tr ' ' a; echo "$S end"`));
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes(SECRET));
  assert.ok(lines[0].endsWith("a*** end"));
});

Deno.test("stdin is a secret too: a password echoed back is masked", async () => {
  const step: Step = {
    kind: "login",
    title: "login",
    argv: ["sh", "-c", "cat; echo; cat >&2 </dev/null"],
    input: SECRET,
  };
  const { lines, res } = await streamed(step);
  assert.deepEqual(lines, ["stdout: ***"]);
  assert.equal(res.stdout, "***\n");
});

Deno.test("a failed command: CommandError with masked argv and stderr tail; formatError shows no secret", async () => {
  const step = sh(`echo "denied for $S" >&2; exit 3`, {
    argv: ["sh", "-c", `echo "denied for $S" >&2; exit 3`, SECRET],
  });
  const err = await runner().run(step).then(() => undefined, (e) => e);
  assert.ok(err instanceof CommandError);
  assert.equal(err.message, "echo things failed (exit 3)");
  assert.deepEqual(err.argv, ["sh", "-c", `echo "denied for $S" >&2; exit 3`, "***"]);
  assert.equal(err.stderrTail, "denied for ***");
  const shown = formatError(err, true);
  assert.ok(!shown.includes(SECRET), shown);
  assert.equal(
    formatError(err),
    [
      "error: echo things failed (exit 3)",
      `  command: sh -c echo "denied for $S" >&2; exit 3 ***`,
      "  | denied for ***",
    ].join("\n"),
  );
});

Deno.test("check: false returns a non-zero exit instead of throwing", async () => {
  const r = await runner().run(sh("exit 4"), { check: false });
  assert.equal(r.code, 4);
});

Deno.test("an aborted signal: nothing starts, except an uninterruptible step", async () => {
  const ctl = new AbortController();
  ctl.abort();
  const r = createRunner({
    env: { PATH: Deno.env.get("PATH") ?? "" },
    cwd: "/",
    signal: ctl.signal,
  });
  await assert.rejects(r.run(sh("echo hi")), InterruptedError);
  assert.equal((await r.run(sh("echo hi"), { uninterruptible: true })).stdout, "hi\n");
});

Deno.test("stripAnsi removes what node:util's stripVTControlCharacters removes", async () => {
  const { stripVTControlCharacters } = await import("node:util");
  const { stripAnsi } = await import("../../lib/core/run.ts");
  for (
    const t of [
      "\x1b[31mred\x1b[0m",
      "\x1b[2K\x1b[1Aup",
      "\x1b]0;title\x07x",
      "\x1b[?25lhidden\x1b[?25h",
      "\x9b31mx",
      "plain | text",
    ]
  ) assert.equal(stripAnsi(t), stripVTControlCharacters(t), JSON.stringify(t));
});

Deno.test("a child ended by Ctrl-C (SIGINT to the process group) is an interrupt, never the machine's fault", async () => {
  // the terminal signals fleet's children too: one may end before fleet's own handler runs
  const r = createRunner({
    env,
    cwd: "/",
    diagnose: () => new SetupError("no Docker engine answers"),
  });
  const killed = ["sh", "-c", "echo 'error during connect' >&2; kill -INT $$; sleep 5"];
  const q = { kind: "query" as const, title: "list tasks", argv: killed };
  const answer = await r.run(q, { check: false, uninterruptible: true });
  assert.notEqual(answer.code, 0, "a query polled again reads the failed answer");
  await assert.rejects(r.run(q), (e: Error) => {
    assert.ok(e instanceof InterruptedError && !(e instanceof SetupError), String(e));
    assert.equal(e.message, "interrupted during: list tasks");
    return true;
  });
});

Deno.test("after an abort, a failed uninterruptible step is not diagnosed either", async () => {
  const ctl = new AbortController();
  ctl.abort();
  const r = createRunner({
    env,
    cwd: "/",
    signal: ctl.signal,
    diagnose: () => new SetupError("no Docker engine answers"),
  });
  const res = await r.run({ kind: "lock", title: "release deploy lock", argv: fail }, {
    check: false,
    uninterruptible: true,
  });
  assert.equal(res.code, 3);
});

Deno.test("a child that fails of the interrupt before fleet's handler ran is still an interrupt", async () => {
  const ctl = new AbortController();
  const r = createRunner({
    env,
    cwd: "/",
    signal: ctl.signal,
    diagnose: () => new SetupError("no Docker engine answers"),
  });
  // the child sees the Ctrl-C first and says so the docker way; fleet's abort comes 30 ms later
  const step = {
    kind: "query" as const,
    title: "inspect services",
    argv: ["sh", "-c", "echo 'error during connect: context canceled' >&2; exit 1"],
  };
  const res = await r.run(step, {
    check: false,
    uninterruptible: true,
    onLine: () => setTimeout(() => ctl.abort(), 30),
  });
  assert.equal(res.code, 1, "an answer to poll again, not a SetupError");
});

Deno.test("a process started marks the process as held open (the edge then arms its exit timer)", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const code = `import { heldOpen } from "${root}lib/core/leave.ts";\n` +
    `import { createRunner } from "${root}lib/core/run.ts";\n` +
    `const before = heldOpen();\n` +
    `await createRunner({ env: {}, cwd: "/" }).run({ title: "t", argv: ["true"] });\n` +
    `console.log(before, heldOpen());\n`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${root}deno.json`, code],
    stdout: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "false true");
});
