/** Errors and their rendering at the edge (lib/core/errors.ts): exit codes and formatError. */
import assert from "node:assert/strict";
import {
  CommandError,
  ConfigError,
  exitCodeOf,
  FleetError,
  formatError,
  InterruptedError,
  UsageError,
} from "../../lib/core/errors.ts";

Deno.test("exit codes: 2 usage/config, 1 a failed operation or anything else, 130 interrupted", () => {
  assert.equal(exitCodeOf(new ConfigError("x")), 2);
  assert.equal(exitCodeOf(new UsageError("x")), 2);
  assert.equal(exitCodeOf(new CommandError("x")), 1);
  assert.equal(exitCodeOf(new FleetError("x")), 1);
  assert.equal(exitCodeOf(new InterruptedError("x")), 130);
  assert.equal(exitCodeOf(new Error("x")), 1);
  assert.equal(exitCodeOf("a string"), 1);
});

Deno.test("formatError: message, then the command and its stderr tail, then the hint", () => {
  const e = new CommandError("pull failed (exit 1)", ["docker", "pull", "x"], "line 1\nline 2\n", {
    hint: "log in first",
  });
  assert.equal(
    formatError(e),
    [
      "error: pull failed (exit 1)",
      "  command: docker pull x",
      "  | line 1",
      "  | line 2",
      "hint: log in first",
    ].join("\n"),
  );
});

Deno.test("formatError: no command line or tail when there is none; plain errors and values", () => {
  assert.equal(
    formatError(new ConfigError("bad key", { hint: "try ports" })),
    "error: bad key\nhint: try ports",
  );
  assert.equal(formatError(new CommandError("x", [], "  \n")), "error: x");
  assert.equal(formatError(new Error("boom")), "error: boom");
  assert.equal(formatError("just text"), "error: just text");
});

Deno.test("formatError verbose: the stack and every cause", () => {
  const e = new FleetError("outer", { cause: new Error("inner") });
  const out = formatError(e, true);
  assert.match(out, /^error: outer\nFleetError: outer\n\s+at /);
  assert.match(out, /\ncaused by:\nError: inner\n\s+at /);
  assert.ok(!formatError(e).includes("caused by"));
});
