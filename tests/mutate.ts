#!/usr/bin/env -S deno run -A
/**
 * Mutation check (run by hand, not in CI): break one rule at a time in a temporary copy of the
 * repo, run the fast tests there (`FLEET_E2E=skip deno test -A tests/`), and report which
 * breakages no test notices. Every mutation should be "killed".
 *
 *   deno run -A tests/mutate.ts [--all | --texts] [word…]
 *
 * Words pick the mutations whose name contains one; --all runs every test for each mutation and
 * names each that fails (default: stop at the first); --texts only checks that each search text
 * is found once in the tree (no tests run). A kill counts when the killing test fails again on its
 * own (so a test that fails under load now and then kills nothing). The tests run without type checking, so a
 * kill is always a behaviour a test noticed. A mutation whose search text is not found exactly
 * once, or whose copy does not load, is "stale" (the code moved: update its text here).
 * Exit 1 when any survives or is stale.
 */
import { join } from "node:path";

interface Edit {
  readonly file: string;
  readonly search: string;
  readonly replace: string;
}

interface Mutation {
  readonly name: string;
  readonly edits: readonly Edit[];
}

const m = (name: string, file: string, search: string, replace: string): Mutation => ({
  name,
  edits: [{ file, search, replace }],
});

const LOCK = "lib/release/lock.ts";
const RUN = "lib/core/run.ts";
const COMPOSE = "lib/engine/compose.ts";
const FLOW = "lib/release/flow.ts";

/** The breakages: the two from issue 19, one (or more) per rule of SPEC §5 and §7, and issue 9's units. */
export const MUTATIONS: readonly Mutation[] = [
  // the lock names its real holder (who, since when, what command)
  m(
    "lock holder label is a constant",
    LOCK,
    "[`${L}holder`]: info.holder",
    '[`${L}holder`]: "someone"',
  ),
  m(
    "lock since label is a constant",
    LOCK,
    "[`${L}since`]: info.since",
    '[`${L}since`]: "unknown"',
  ),
  m(
    "lock command label is a constant",
    LOCK,
    "[`${L}command`]: info.command",
    '[`${L}command`]: "deploy"',
  ),
  m(
    "readLock ignores the holder label",
    LOCK,
    `holder: labels[L + "holder"] ?? "unknown",`,
    `holder: "unknown",`,
  ),
  // the secret mask, on every output path
  m(
    "redact returns its input",
    RUN,
    `out = out.split(s).join("***");`,
    `out = out.split(s).join(s);`,
  ),
  // (run.ts's clean() is strip escapes + redact: each mutation keeps the stripping, drops the mask)
  m(
    "streamed lines are not masked",
    RUN,
    "for (const l of lines) onLine(clean(l, secrets), stream);",
    "for (const l of lines) onLine(stripAnsi(l), stream);",
  ),
  m(
    "a streamed last line (no newline) is not masked",
    RUN,
    "buf && onLine(clean(buf, secrets), stream)",
    "buf && onLine(stripAnsi(buf), stream)",
  ),
  m(
    "whole stdout is not masked",
    RUN,
    "stdout: clean(r.stdout, secrets),",
    "stdout: stripAnsi(r.stdout),",
  ),
  m(
    "whole stderr (the error's stderr tail) is not masked",
    RUN,
    "stderr: clean(cause ? notStarted(step.argv[0], cause) : r.stderr, secrets),",
    "stderr: clean(cause ? notStarted(step.argv[0], cause) : r.stderr, []),",
  ),
  m(
    "a failed command's argv is not masked",
    RUN,
    "step.argv.map((a) => redact(a, secrets)),",
    "[...step.argv],",
  ),
  m(
    "stdin (a password) is not a secret to mask",
    RUN,
    "if (step.input) s.push(step.input.trim(), step.input);",
    "",
  ),
  m(
    "--dry-run (showStep) prints secret values",
    RUN,
    "...Object.keys(step.secretEnv ?? {}).map((k) => `${k}=***`),",
    "...Object.entries(step.secretEnv ?? {}).map(([k, v]) => `${k}=${v}`),",
  ),
  m("--dry-run (showStep) prints stdin (a password)", RUN, `" < (stdin)"`, "` < ${step.input}`"),
  m(
    "deploy --dry-run shows the secret env as plain env",
    FLOW,
    `commands: all.map(showStep) };`,
    `commands: all.map((s) => showStep({ ...s, env: { ...s.env, ...s.secretEnv }, secretEnv: {} })) };`,
  ),
  m(
    "Compose ${VAR} values go in the plain env (unmasked)",
    "lib/engine/compose_step.ts",
    `env: { ...ctx.target.env, COMPOSE_PROGRESS: "plain", ...profilesEnv(ctx) },\n    secretEnv: ctx.secretEnv,`,
    `env: { ...ctx.target.env, COMPOSE_PROGRESS: "plain", ...profilesEnv(ctx), ...ctx.secretEnv },`,
  ),
  m(
    "formatError drops the stderr tail",
    "lib/core/errors.ts",
    'lines.push(...err.stderrTail.trimEnd().split("\\n").map((l) => `  | ${l}`));',
    "",
  ),
  m(
    "formatError drops the hint",
    "lib/core/errors.ts",
    "if (err.hint) lines.push(`hint: ${err.hint}`);",
    "",
  ),
  // secrets never on a command line
  m(
    "registry password on argv",
    "lib/docker/registry_login.ts",
    "argv: loginArgv(host, c.user),",
    `argv: [...loginArgv(host, c.user), "--password", c.password],`,
  ),
  m(
    "secret build arg value on argv",
    "lib/images/plan.ts",
    `...Object.keys(b.secretArgs).flatMap((k) => ["--build-arg", k]),`,
    '...Object.entries(b.secretArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),',
  ),
  // the order: pull → stop → rm → up
  m(
    "pull after stop",
    COMPOSE,
    "const steps: Step[] = [];\n  if (opts.pull && toPull.length) {",
    `const steps: Step[] = [composeStep(ctx, "stop", ["stop", ...services])];\n  if (opts.pull && toPull.length) {`,
  ),
  {
    name: "the flow pulls after taking the lock",
    edits: [
      {
        file: FLOW,
        search: "const pulled = pull ? runStep(deps, pull) : Promise.resolve();",
        replace: "const pulled = Promise.resolve();",
      },
      {
        file: FLOW,
        search: "planSteps(engine, ctx, services, [], o,",
        replace: "planSteps(engine, ctx, services, sel.toPull, o,",
      },
    ],
  },
  m(
    "rm before stop",
    COMPOSE,
    `  steps.push(composeStep(ctx, "stop", ["stop", ...services]));\n  steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services]));`,
    `  steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services]));\n  steps.push(composeStep(ctx, "stop", ["stop", ...services]));`,
  ),
  m(
    "rm removes volumes",
    COMPOSE,
    `steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", ...services]));`,
    `steps.push(composeStep(ctx, "rm", ["rm", "--force", "--stop", "-v", ...services]));`,
  ),
  m("up builds", COMPOSE, `      "--no-build",\n`, ""),
  m("up without --pull never", COMPOSE, `      "--pull",\n      "never",\n`, ""),
  m(
    "up without --no-deps under -n",
    COMPOSE,
    `...(opts.only ? ["--no-deps"] : []),`,
    "...([] as string[]),",
  ),
  m(
    "the flow drops -n's --no-deps",
    FLOW,
    "only: o.only || !all,",
    "only: !all,",
  ),
  // the lock: taken before stop, always released (only the one this process took)
  m(
    "the lock released by name, whoever holds it",
    FLOW,
    "await releaseLock(deps, ctx.target, lock.id);",
    "await releaseLock(deps, ctx.target, `fleet-lock-${ctx.project}`);",
  ),
  m(
    "no lock taken",
    FLOW,
    "const lock = await takeLock(deps, ctx, fresh[sel.services[0]].id, info, o.lockWait);",
    "const lock = { id: `fleet-lock-${ctx.project}`, waited: false }; void takeLock;",
  ),
  m(
    "lock released only on success",
    FLOW,
    "    return done;\n  } finally {\n    if (recorded && !pruned) await pruneHistory(deps, ctx).catch(() => 0);\n    await releaseLock(deps, ctx.target, lock.id); // ours only: never a lock taken after an unlock\n  }",
    "    await releaseLock(deps, ctx.target, lock.id);\n    return done;\n  } finally {\n    if (recorded && !pruned) await pruneHistory(deps, ctx).catch(() => 0);\n  }",
  ),
  m(
    "lock not released on an interrupt",
    FLOW,
    "    await releaseLock(deps, ctx.target, lock.id); // ours only: never a lock taken after an unlock\n  }\n}",
    "    if (!deps.signal?.aborted) await releaseLock(deps, ctx.target, lock.id);\n  }\n}",
  ),
  m(
    "unlock is interruptible",
    "lib/docker/engine_cli.ts",
    `["rm", "--force", ...names], quiet, "lock");`,
    `["rm", "--force", ...names], { check: false }, "lock");`,
  ),
  // exit 2 means no docker command ran
  {
    name: "deploy without a terminal asks anyway (no exit 2)",
    edits: [
      {
        file: "scripts/deploy.ts",
        search: `  refuseWithoutTerminal(deps.ui, stage, "deploy", fo);\n`,
        replace: "",
      },
      {
        file: FLOW,
        search: "  refuseWithoutTerminal(deps.ui, ctx.stage, sel.kind, o);\n",
        replace: "",
      },
    ],
  },
  m(
    "rollback refuses only after reading the history",
    "scripts/deploy.ts",
    `  refuseWithoutTerminal(deps.ui, stage, "rollback", fo);\n`,
    "",
  ),
  m(
    "unlock reads the lock before refusing",
    "scripts/ops.ts",
    `  refuseWithoutTerminal(deps.ui, ctx.stage, "unlock", { ...opts, always: true });\n`,
    `  if (!(await readLock(deps, ctx.target, ctx.project))) return { stage };\n  refuseWithoutTerminal(deps.ui, ctx.stage, "unlock", { ...opts, always: true });\n`,
  ),
  m(
    "a config error exits 1",
    "lib/core/errors.ts",
    "return err instanceof FleetError ? err.exitCode : 1;",
    "return err instanceof ConfigError ? 1 : err instanceof FleetError ? err.exitCode : 1;",
  ),
  m(
    "a usage error exits 1",
    "lib/core/errors.ts",
    "export class UsageError extends FleetError {\n  override readonly exitCode = 2;",
    "export class UsageError extends FleetError {\n  override readonly exitCode: number = 1;",
  ),
  // issue 9's units: the ssh wrapper, runPool, pickRollback
  m(
    "ssh wrapper shares no connection",
    "lib/docker/ssh_mux.ts",
    ` -o ControlMaster=auto -o "ControlPath=\${dir}/%C" -o ControlPersist=30 "$@"`,
    ` "$@"`,
  ),
  m(
    "ssh mux is not closed",
    "lib/docker/ssh_mux.ts",
    `    await mux.close();\n`,
    "",
  ),
  m(
    "runPool ignores its limit",
    "lib/core/pool.ts",
    "const n = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));",
    "const n = items.length;",
  ),
  m(
    "runPool stops at the first failure",
    "lib/core/pool.ts",
    `results[i] = { status: "rejected", reason };`,
    `results[i] = { status: "rejected", reason };\n        next = items.length;`,
  ),
  m(
    "runPool ignores an abort",
    "lib/core/pool.ts",
    `if (signal?.aborted) throw new InterruptedError("interrupted");`,
    "void InterruptedError;",
  ),
  m(
    "pickRollback ignores the kept tag",
    "lib/release/rollback.ts",
    "if (have.get(tagged)) return tagged;",
    "",
  ),
  m(
    "pickRollback takes the newest good release even when it runs now",
    "lib/release/rollback.ts",
    "names.some((n) => r.services[n] && r.services[n].id !== now[n]?.id)",
    "names.some((n) => r.services[n])",
  ),
  m(
    "the proxy starts without tcp_migrate_req",
    "lib/engine/proxy_host.ts",
    `...(migrate ? ["--sysctl", MIGRATE_SYSCTL] : []),`,
    "",
  ),
  m(
    "the proxy never falls back on a kernel without tcp_migrate_req",
    "lib/engine/proxy_host.ts",
    `if (r.code !== 0 && r.stderr.includes("tcp_migrate_req")) {`,
    "if (false) {",
  ),
  m(
    "a list where a map belongs is an unknown key again",
    "lib/config/schema.ts",
    "if (Array.isArray(issue.path?.at(-1)?.input)) {",
    "if (false) {",
  ),
  m(
    "ps across hosts drops the routes",
    "lib/release/host_ops.ts",
    "const routed = views.some((v) => v.routes);",
    "const routed = false;",
  ),
  m(
    "a quick --no-pull pulls",
    "lib/cli/quick.ts",
    `"--no-pull": { key: "pull", sets: false },`,
    `"--no-pull": { key: "pull" },`,
  ),
  m(
    "a quick line ignores FLEET_DIR",
    "lib/cli/quick.ts",
    "if (o.dir === undefined && env.FLEET_DIR !== undefined) o.dir = env.FLEET_DIR;",
    "",
  ),
  m(
    "a quick line takes a second argument",
    "lib/cli/quick.ts",
    "if (positional.length > args) return undefined;",
    "",
  ),
  m(
    "relative paths keep the common part",
    "lib/core/paths.ts",
    "while (same < a.length && same < b.length && a[same] === b[same]) same++;",
    "",
  ),
  m(
    "a release model is read back as nothing",
    "lib/release/model_labels.ts",
    'return new TextDecoder().decode(await through(gz, new DecompressionStream("gzip")));',
    "return undefined;",
  ),
  m(
    "the YAML cache serves another text",
    "lib/config/yaml_cache.ts",
    "return e.key === key && e.text === text && e.stamp === stamp() ? e.value : undefined;",
    "return e.key === key && e.stamp === stamp() ? e.value : undefined;",
  ),
  m(
    "the YAML cache keeps what JSON cannot carry",
    "lib/config/yaml_cache.ts",
    "if (exact(kept.data)) keepEntry(path, path, text, kept);",
    "keepEntry(path, path, text, kept);",
  ),
  m(
    "the YAML cache is readable by others",
    "lib/config/yaml_cache.ts",
    "Deno.writeTextFileSync(tmp, body, { mode: 0o600 });",
    "Deno.writeTextFileSync(tmp, body, { mode: 0o644 });",
  ),
  m(
    "a kept file's error has no position",
    "lib/config/yaml_file.ts",
    "positions[k] = { file: rel, line, col };",
    "void [k, line, col];",
  ),
  m(
    "a container's sysctls are never read",
    "lib/docker/engine_client.ts",
    "sysctls: { ...d?.HostConfig?.Sysctls },",
    "sysctls: {},",
  ),
];

const ROOT = new URL("../", import.meta.url).pathname;

interface Outcome {
  readonly verdict: "killed" | "SURVIVED" | "stale";
  readonly detail: string;
}

async function runTests(
  dir: string,
  all: boolean,
  only?: { file: string; name: string },
): Promise<{ code: number; out: string }> {
  const what = only ? [only.file, "--filter", only.name] : ["tests/"];
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", ...(all ? [] : ["--fail-fast"]), ...what],
    cwd: dir,
    env: { FLEET_E2E: "skip", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** The failed tests of a run: name and file. */
function failedTests(out: string): { name: string; file: string }[] {
  const failures = out.slice(out.lastIndexOf(" FAILURES "));
  return [...failures.matchAll(/^(.+?) => \.\/(tests\/\S+?):\d+:\d+$/gm)]
    .map((x) => ({ name: x[1], file: x[2] }));
}

/**
 * The tests that kill the mutation, each confirmed by failing again alone (a test that fails only
 * once is load-dependent, not a kill); without fail-fast the second time, if need be.
 */
async function killers(dir: string, all: boolean): Promise<Outcome> {
  const unconfirmed: string[] = [];
  for (const everything of all ? [true] : [false, true]) {
    const { code, out } = await runTests(dir, everything);
    if (code === 0) return { verdict: "SURVIVED", detail: "all tests pass" };
    const failed = failedTests(out);
    if (!/^FAILED \|/m.test(out) || failed.length === 0) {
      const why = out.split("\n").find((l) => l.startsWith("error")) ?? "no test summary";
      return { verdict: "stale", detail: `did not load: ${why}` };
    }
    const confirmed: string[] = [];
    for (const t of failed) {
      if ((await runTests(dir, true, t)).code !== 0) confirmed.push(`"${t.name}"`);
      else unconfirmed.push(`"${t.name}"`);
    }
    if (confirmed.length) return { verdict: "killed", detail: `by ${confirmed.join(", ")}` };
  }
  return { verdict: "SURVIVED", detail: `only failures that did not repeat: ${unconfirmed}` };
}

async function tryMutation(dir: string, mu: Mutation, all: boolean): Promise<Outcome> {
  const originals = new Map<string, string>();
  try {
    for (const e of mu.edits) {
      const path = join(dir, e.file);
      const text = originals.get(path) ?? await Deno.readTextFile(path);
      if (!originals.has(path)) originals.set(path, text);
      const current = await Deno.readTextFile(path);
      const n = current.split(e.search).length - 1;
      if (n !== 1) return { verdict: "stale", detail: `${e.file}: search text found ${n} times` };
      await Deno.writeTextFile(path, current.replace(e.search, () => e.replace));
    }
    return await killers(dir, all);
  } finally {
    for (const [path, text] of originals) await Deno.writeTextFile(path, text);
  }
}

/** Whether every search text is found exactly once in this tree (prints the ones that are not). */
async function checkTexts(chosen: readonly Mutation[]): Promise<boolean> {
  let ok = true;
  for (const mu of chosen) {
    for (const e of mu.edits) {
      const n = (await Deno.readTextFile(join(ROOT, e.file)).catch(() =>
        ""
      )).split(e.search).length - 1;
      if (n !== 1) console.log(`stale     ${mu.name}  (${e.file}: search text found ${n} times)`);
      ok &&= n === 1;
    }
  }
  return ok;
}

if (import.meta.main) {
  const all = Deno.args.includes("--all");
  const words = Deno.args.filter((a) => !a.startsWith("--"));
  const chosen = MUTATIONS.filter((mu) =>
    words.length === 0 || words.some((w) => mu.name.includes(w))
  );
  if (Deno.args.includes("--texts")) Deno.exit(await checkTexts(chosen) ? 0 : 1);
  const dir = await Deno.makeTempDir({ prefix: "fleet-mutate-" });
  const cp = await new Deno.Command("cp", { args: ["-r", `${ROOT}.`, dir] }).output();
  if (!cp.success) throw new Error(`cp -r ${ROOT} ${dir} failed`);
  await Deno.remove(join(dir, ".git"), { recursive: true }).catch(() => {});
  console.log(`mutating a copy in ${dir}: ${chosen.length} mutations, one at a time`);
  const base = await runTests(dir, false);
  if (base.code !== 0) {
    const by = failedTests(base.out).map((t) => t.name).join(", ") || base.out.slice(-500);
    console.log(`the unmutated copy fails its tests (${by}); fix that first`);
    await Deno.remove(dir, { recursive: true });
    Deno.exit(1);
  }
  let bad = 0;
  for (const mu of chosen) {
    const o = await tryMutation(dir, mu, all);
    if (o.verdict !== "killed") bad++;
    console.log(`${o.verdict.padEnd(8)}  ${mu.name}  (${o.detail})`);
  }
  await Deno.remove(dir, { recursive: true });
  console.log(`${chosen.length - bad} of ${chosen.length} killed`);
  Deno.exit(bad ? 1 : 0);
}
