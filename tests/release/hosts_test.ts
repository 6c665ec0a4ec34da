/**
 * Tier 3: a release across several hosts (lib/release/hosts.ts) on a recording runner — what
 * happens before anything stops: every host answers, pulls everywhere, the rollout lock in name
 * order; and the one-host stages each host gets.
 */
import assert from "node:assert/strict";
import { deploy, rollback } from "../../scripts/deploy.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { CommandError, FleetError, UsageError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { hostStages, oneHost } from "../../lib/release/host_stages.ts";
import { HookError } from "../../lib/release/hooks.ts";
import type { ReleaseResult } from "../../lib/release/types.ts";
import { errorOf, recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { FakeHost } from "../fake_host.ts";
import type { Engine } from "../../lib/engine/engine.ts";
import { engineFor } from "../../lib/engine/engines.ts";
import { psHosts } from "../../lib/release/host_ops.ts";
import { psText } from "../../lib/report/text.ts";

const STAGE = `project: app
confirm: false
hosts: { b: "unix:///b.sock", a: "unix:///a.sock", c: "unix:///c.sock" }
services:
  web: { image: "reg.test/web:1", on: [a, b] }
  worker: { image: "reg.test/worker:1", on: [c] }
`;

const hostOf = (s: Step) => s.env?.DOCKER_HOST?.replace(/^unix:\/\/\/(\w)\.sock$/, "$1") ?? "-";
const changes = (steps: readonly Step[]) =>
  steps.filter((s) => ["stop", "rm", "up"].includes(s.kind));

function run(
  reply: (s: Step, host: string) => { code?: number; stdout?: string; stderr?: string } | undefined,
) {
  const dir = tempProject({ "stages/live.yaml": STAGE });
  const runner = recordingRunner((s) => reply(s, hostOf(s)));
  const deps = testDeps(dir, { runner });
  return { deps, runner, go: () => deploy("live", { yes: true }, deps) };
}

Deno.test("each host gets the stage with its own Docker host and the services on it", () => {
  const stage = loadStage(tempProject({ "stages/live.yaml": STAGE }), "live");
  const hs = hostStages(stage);
  assert.deepEqual(
    hs.map((h) => [h.host.name, h.stage.host, h.stage.services.map((s) => s.name)]),
    [
      ["a", "unix:///a.sock", ["web"]],
      ["b", "unix:///b.sock", ["web"]],
      ["c", "unix:///c.sock", ["worker"]],
    ],
  );
  assert.ok(hs.every((h) => h.stage.hosts === undefined));
  assert.equal(oneHost(stage, ["c"], "exec").host, "unix:///c.sock");
  const e = errorOf(() => oneHost(stage, undefined, "exec"));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, "exec works on one host, and live has several (hosts: a, b, c)");
  assert.match(
    errorOf(() => hostStages(stage, ["d"])).message,
    /unknown host "d" \(hosts of live: a, b, c\)/,
  );
});

Deno.test("a failed pull on one host changes nothing on any host, and names the host", async () => {
  const { runner, go } = run((s, host) =>
    s.argv.includes("pull") && host === "b" ? { code: 1, stderr: "manifest unknown" } : undefined
  );
  const e = await go().then(() => undefined, (e) => e);
  assert.ok(e instanceof CommandError, String(e));
  assert.match(
    e.message,
    /^pull failed on host b \(unix:\/\/\/b\.sock\): .*nothing was changed on any host/,
  );
  // every host was asked, and pulled, and nothing else happened: no lock, no stop
  const pulled = runner.steps.filter((s) => s.argv.includes("pull")).map(hostOf).sort();
  assert.deepEqual(pulled, ["a", "b", "c"]);
  assert.deepEqual(changes(runner.steps), []);
  assert.ok(!runner.steps.some((s) => s.argv.includes("create")), runner.argvs().join("\n"));
});

Deno.test("a host that does not answer is named before anything is pulled", async () => {
  const { runner, go } = run((s, host) =>
    s.argv[1] === "version" && host === "c"
      ? { code: 1, stderr: "Cannot connect to the Docker daemon at unix:///c.sock" }
      : undefined
  );
  const e = await go().then(() => undefined, (e) => e);
  assert.ok(e instanceof FleetError, String(e));
  assert.match(e.message, /^host c \(unix:\/\/\/c\.sock\) does not answer: Cannot connect/);
  assert.ok(!runner.steps.some((s) => s.argv.includes("pull")));
});

Deno.test("the rollout lock is taken in name order; a held one is named, the taken ones released", async () => {
  const { runner, go } = run((s, host) => {
    const a = s.argv.join(" ");
    if (host === "b" && a.includes("create --name fleet-lock-app-live.rollout")) {
      return { code: 1, stderr: "Conflict. The container name is already in use" };
    }
    if (host === "b" && a.includes("inspect --type container")) {
      return {
        stdout: JSON.stringify({ "dev.fleet.lock.holder": "bob", "dev.fleet.lock.since": "t0" }),
      };
    }
    return undefined;
  });
  const e = await go().then(() => undefined, (e) => e);
  assert.ok(e instanceof FleetError, String(e));
  assert.match(
    e.message,
    /^live is locked by bob \(deploy\) since t0 \(host b\); nothing was changed/,
  );
  assert.match(e.hint ?? "", /fleet unlock live --host b/);
  const locks = runner.steps.filter((s) => s.kind === "lock").map((s) =>
    `${hostOf(s)} ${s.argv[1]}`
  );
  // a first, then b (held); c never; a's released
  assert.deepEqual(locks.filter((l) => !l.endsWith("inspect")), ["a create", "b create", "a rm"]);
  assert.deepEqual(changes(runner.steps), []);
});

Deno.test("a dry run shows each host's commands under its name and runs nothing", async () => {
  const dir = tempProject({ "stages/live.yaml": STAGE });
  const deps = testDeps(dir);
  const r = await deploy("live", { dryRun: true }, deps);
  assert.equal(r.result, "dry-run");
  assert.deepEqual(deps.runner.steps, []);
  const heads = (r.commands ?? []).filter((c) => c.startsWith("# host"));
  assert.deepEqual(heads, [
    "# host a (unix:///a.sock)",
    "# host b (unix:///b.sock)",
    "# host c (unix:///c.sock)",
  ]);
  assert.deepEqual(r.hosts?.map((h) => [h.name, h.services]), [
    ["a", ["web"]],
    ["b", ["web"]],
    ["c", ["worker"]],
  ]);
  assert.deepEqual(r.services.map((s) => s.name), ["web", "worker"]);
});

/**
 * Three fake hosts (a, b: web; c: worker), each running release 1 (recorded), v2 in the
 * registry; `extra` goes into the stage file; hook steps answer `hook`.
 */
function fleetOf3(extra = "", hook: (s: Step) => { code?: number; stderr?: string } = () => ({})) {
  const dir = tempProject({ "stages/live.yaml": STAGE + extra });
  const hosts: Record<string, FakeHost> = {};
  for (const [name, svc] of [["a", "web"], ["b", "web"], ["c", "worker"]]) {
    const h = hosts[name] = new FakeHost("app-live");
    h.images.set(`reg.test/${svc}:1`, `sha256:${svc}2`);
    h.images.set(`${svc}-ref`, `sha256:${svc}1`);
    h.running.set(svc, `sha256:${svc}1`);
    h.seed("r20260101T000000Z-0000", { [svc]: `sha256:${svc}1` });
  }
  const runner = recordingRunner((s) =>
    s.kind === "hook" ? hook(s) : hosts[hostOf(s)]?.reply(s) ?? {}
  );
  return { dir, hosts, runner, deps: testDeps(dir, { runner }) };
}

Deno.test("a failing post_deploy hook after a good release on every host: the release stands, exit 1", async () => {
  const { hosts, runner, deps } = fleetOf3(
    `hooks: { post_deploy: [["./notify"]] }\n`,
    () => ({ code: 3, stderr: "notify: down" }),
  );
  const e = await deploy("live", { yes: true, timeout: 5 }, deps).then(() => undefined, (e) => e);
  assert.ok(e instanceof HookError, String(e));
  assert.equal(e.exitCode, 1);
  assert.match(
    e.message,
    /^post_deploy hook: \.\/notify failed \(exit 3\); release r\S+ stands \(ok\)$/,
  );
  const r = e.result as ReleaseResult;
  assert.equal(r.result, "ok");
  assert.deepEqual(r.hosts?.map((h) => [h.name, h.result]), [["a", "ok"], ["b", "ok"], [
    "c",
    "ok",
  ]]);
  assert.equal(r.hook?.error, "post_deploy hook: ./notify failed (exit 3)");
  // once per release, after every host; every host serves the release and says so
  assert.equal(runner.steps.filter((s) => s.kind === "hook").length, 1);
  assert.equal(runner.steps.at(-1)?.kind, "hook");
  assert.deepEqual(Object.values(hosts).map((h) => h.results()), [["ok"], ["ok"], ["ok"]]);
  assert.equal(hosts.b.running.get("web"), "sha256:web2");
});

Deno.test("rollback --dry-run across hosts: the release each host goes back to, nothing changed", async () => {
  const { hosts, runner, deps } = fleetOf3();
  // every host went on to a second release (c one of its own, at another time)
  for (const [name, svc, id] of [["a", "web", "2"], ["b", "web", "2"], ["c", "worker", "3"]]) {
    const h = hosts[name];
    h.images.set(`${svc}-ref${id}`, `sha256:${svc}${id}`);
    h.seed(`r2026010${id}T000000Z-0000`, { [svc]: `sha256:${svc}${id}` });
    h.running.set(svc, `sha256:${svc}${id}`);
  }
  const r = await rollback("live", { dryRun: true }, deps).catch((e) => e);
  assert.ok(!(r instanceof Error), String(r));
  assert.equal(r.result, "dry-run");
  assert.equal(r.command, "rollback");
  assert.deepEqual(r.hosts?.map((h: { name: string; note?: string }) => [h.name, h.note]), [
    ["a", "rollback to r20260101T000000Z-0000"],
    ["b", "rollback to r20260101T000000Z-0000"],
    ["c", "rollback to r20260101T000000Z-0000"],
  ]);
  assert.ok(r.commands?.includes("# host c (unix:///c.sock): rollback to r20260101T000000Z-0000"));
  assert.deepEqual(changes(runner.steps), []);
  assert.ok(!runner.steps.some((s) => ["create", "rm", "pull"].includes(s.argv[1])));
  assert.deepEqual(Object.values(hosts).map((h) => h.results()), [[], [], []]);
});

const TASK = `tasks: { pre_deploy: { service: web, command: ["bin/migrate"] } }\n`;
const isTask = (s: Step) => s.argv.includes("run") && s.argv.includes("bin/migrate");

Deno.test("a release task on several hosts runs once, on the first host of its service, before any host changes", async () => {
  const { hosts, runner, deps } = fleetOf3(TASK);
  const r = await deploy("live", { yes: true, timeout: 5 }, deps);
  assert.equal(r.result, "ok");
  const tasks = runner.steps.filter(isTask);
  assert.deepEqual(tasks.map(hostOf), ["a"]);
  const at = runner.steps.indexOf(tasks[0]);
  // after the pull on every host, before the first stop anywhere
  const pulls = runner.steps.filter((s) => s.argv.includes("pull")).map((s) =>
    runner.steps.indexOf(s)
  );
  assert.ok(pulls.length === 3 && pulls.every((i) => i < at), runner.argvs().join("\n"));
  assert.ok(runner.steps.indexOf(changes(runner.steps)[0]) > at);
  assert.deepEqual(Object.values(hosts).map((h) => h.results()), [["ok"], ["ok"], ["ok"]]);
});

Deno.test("a failed release task on several hosts: exit 1 naming the host, no host changed", async () => {
  const { hosts, runner, deps } = fleetOf3(TASK);
  const reply = runner.run.bind(runner);
  runner.run = (s, o) =>
    isTask(s)
      ? (runner.steps.push(s),
        Promise.reject(new CommandError("bin/migrate: exit 3", s.argv, "no db")))
      : reply(s, o);
  const e = await deploy("live", { yes: true, timeout: 5 }, deps).then(() => undefined, (e) => e);
  assert.ok(e instanceof CommandError, String(e));
  assert.match(e.message, /^release task failed: .*\(host a\); no host was changed$/);
  assert.deepEqual(changes(runner.steps), []);
  const r = e.result as ReleaseResult;
  assert.equal(r.result, "failed");
  assert.deepEqual(r.hosts?.map((h) => [h.name, h.result]), [
    ["a", "failed"],
    ["b", "not-started"],
    ["c", "not-started"],
  ]);
  // recorded where it ran; every host still runs what it ran
  assert.deepEqual(Object.values(hosts).map((h) => h.results()), [["failed"], [], []]);
  assert.equal(hosts.b.running.get("web"), "sha256:web1");
  // every lock released
  assert.ok(Object.values(hosts).every((h) => !h.lock && !h.rollout));
});

Deno.test("a dry run shows the release task once, on its host, before the hosts' commands", async () => {
  const dir = tempProject({ "stages/live.yaml": STAGE + TASK });
  const deps = testDeps(dir);
  const r = await deploy("live", { dryRun: true }, deps);
  assert.deepEqual(deps.runner.steps, []);
  const cmds = r.commands ?? [];
  assert.match(cmds[0], /^# release task, once, on host a \(unix:\/\/\/a\.sock\)/);
  assert.match(
    cmds[1],
    /compose .*run --rm --no-deps -T --name app-live-task-r\S+ web bin\/migrate/,
  );
  assert.equal(cmds.filter((c) => c.includes("bin/migrate")).length, 1);
});

Deno.test("a deploy that covers no host of the release task's service: exit 2 before anything runs", async () => {
  const { runner, deps } = fleetOf3(TASK);
  const e = await deploy("live", { yes: true, service: ["worker"] }, deps).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(e instanceof UsageError, String(e));
  assert.match(
    e.message,
    /tasks\.pre_deploy runs with service web, and this deploy covers no host that runs it \(hosts: c\)/,
  );
  assert.deepEqual(runner.steps, []);
});

Deno.test("ps across hosts with the proxy: each host's routes, with the host's name (on)", async () => {
  const dir = tempProject({
    "stages/live.yaml": "project: app\nhosts:\n  a: unix:///a.sock\n  b: unix:///b.sock\n" +
      "proxy: { tls: off }\nservices:\n  web: { image: x, proxy: { port: 80 } }\n",
  });
  const stage = loadStage(dir, "live");
  const base = engineFor(stage);
  const engine: Engine = {
    ...base,
    ps: (_deps, ctx) =>
      Promise.resolve({
        containers: [],
        routes: [{ project: ctx.project, service: "web", upstream: `${ctx.target.label}:80` }],
      }),
  };
  const r = await psHosts(testDeps(dir), engine, stage);
  assert.deepEqual(r.routes?.map((x) => [x.on, x.upstream]), [
    ["a", "unix:///a.sock:80"],
    ["b", "unix:///b.sock:80"],
  ]);
  assert.match(
    psText(r),
    /^HOST\s+ROUTE\s+SERVICE\s+SERVED BY\na\s+\*\/\s+web\s+unix:\/\/\/a\.sock:80$/m,
  );
});
