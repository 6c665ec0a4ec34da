/** Tier 4: bad numbers in options are usage errors (exit 2) naming the option and what it takes. */
import assert from "node:assert/strict";
import { dockerShim, fleet } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";

const project = () =>
  tempProject({ "stages/dev.yaml": "project: app\nservices:\n  web: { image: nginx }\n" });

const SECONDS = /it takes a number of seconds, 0 or more/;
const WHOLE = /it takes a whole number, 1 or more/;
// [argv, the option as commander names it, the bad value, what it takes]
const cases: [string[], string, string, RegExp][] = [
  [["deploy", "dev", "--timeout", "abc"], "--timeout <seconds>", "abc", SECONDS],
  [["deploy", "dev", "--timeout", "-5"], "--timeout <seconds>", "-5", SECONDS],
  [["deploy", "dev", "--lock-wait", "-1"], "--lock-wait <seconds>", "-1", SECONDS],
  [["rollback", "dev", "--timeout", ""], "--timeout <seconds>", "", SECONDS],
  [["exec", "dev", "-n", "web", "--index", "abc", "--", "ls"], "--index <n>", "abc", WHOLE],
  [["exec", "dev", "-n", "web", "--index", "0", "--", "ls"], "--index <n>", "0", WHOLE],
  [["build", "dev", "-j", "abc"], "-j, --jobs <n>", "abc", WHOLE],
  [["build", "dev", "-j", "2.5"], "-j, --jobs <n>", "2.5", WHOLE],
];

for (const [args, option, bad, takes] of cases) {
  Deno.test(`fleet ${args.join(" ")}: exit 2 naming ${option} and what it takes`, async () => {
    const shim = dockerShim();
    const r = await fleet(args, { cwd: project(), env: shim.env });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!r.stderr.includes("Uncaught"), r.stderr);
    assert.ok(r.stderr.includes(`option '${option}' argument '${bad}' is invalid`), r.stderr);
    assert.match(r.stderr, takes);
    assert.doesNotMatch(r.stderr, args[0] === "deploy" || args[0] === "rollback" ? WHOLE : SECONDS);
    assert.deepEqual(shim.calls(), [], "no docker command ran");
  });
}

Deno.test("--json with a bad number: the failure document on stdout, exit 2", async () => {
  const r = await fleet(["deploy", "dev", "--lock-wait", "-1", "--json"], { cwd: project() });
  assert.equal(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.result, "failed");
  assert.equal(doc.error.exitCode, 2);
  assert.match(doc.error.message, /--lock-wait <seconds>.*'-1' is invalid/);
});

Deno.test("good numbers still pass: --timeout 1.5 and -j 2 reach the dry run", async () => {
  const d = await fleet(["deploy", "dev", "--dry-run", "--timeout", "1.5"], { cwd: project() });
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /--wait-timeout 2/);
  const built = tempProject({
    "stages/dev.yaml": "project: app\nservices:\n  web: { build: {} }\n",
    "Dockerfile": "FROM busybox\n",
  });
  const b = await fleet(["build", "dev", "--dry-run", "-j", "2"], { cwd: built });
  assert.equal(b.code, 0, b.stderr);
});
