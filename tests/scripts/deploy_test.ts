/** Tier 3: the deploy flow against a fake Docker host behind a recording runner. */
import assert from "node:assert/strict";
import { deploy, rollback } from "../../scripts/deploy.ts";
import type { Step } from "../../lib/core/run.ts";
import { CommandError, FleetError, InterruptedError, UsageError } from "../../lib/core/errors.ts";
import { SetupError } from "../../lib/core/errors.ts";
import { interruptible, recordingRunner, tempProject, testDeps } from "../helpers.ts";
import { FakeHost } from "../fake_host.ts";
import { releaseText } from "../../lib/report/text.ts";
import { createRunner, type RunOptions } from "../../lib/core/run.ts";
import { HookError } from "../../lib/release/hooks.ts";
import type { ReleaseResult } from "../../lib/release/types.ts";
import { failureJson, releaseJson } from "../../lib/report/json.ts";
import { releaseOutputs, releaseSummary } from "../../lib/report/github_summary.ts";

const files = {
  "stages/dev.yaml": `project: app
registry: reg.test
services:
  web: { build: {}, healthcheck: { test: ["CMD", "true"] } }
  db: { image: "postgres:16" }
`,
};

function setup() {
  const root = tempProject(files);
  const host = new FakeHost("app-dev");
  host.images.set("reg.test/app-web-dev:latest", "sha256:new");
  host.images.set("postgres:16", "sha256:pg");
  host.running.set("web", "sha256:old");
  host.running.set("db", "sha256:pg");
  host.images.set("old-ref", "sha256:old");
  host.seed("r20260101T000000Z-0000", { web: "sha256:old", db: "sha256:pg" });
  const deps = testDeps(root, { runner: recordingRunner(host.reply) });
  // the lock and the record are engine-client calls: known by their docker argv
  const kind = (s: Step) => {
    const a = s.argv.slice(1).join(" ");
    if (a.startsWith("create --name fleet-lock-")) return "take";
    if (s.kind === "lock" && a.startsWith("rm --force ")) return "release";
    if (a.startsWith("volume create ")) return "record";
    return s.title;
  };
  const kinds = () =>
    deps.runner.steps.map(kind).filter((t) =>
      ["pull", "stop", "rm", "up", "take", "release", "record"].includes(t)
    );
  return { root, host, deps, kinds };
}

const opts = { yes: true, timeout: 5 };

Deno.test("deploy: pull → lock → stop → rm → up → record → unlock", async () => {
  const { host, deps, kinds } = setup();
  await deploy("dev", opts, deps);
  assert.deepEqual(kinds(), ["pull", "take", "stop", "rm", "up", "record", "release"]);
  assert.equal(host.running.get("web"), "sha256:new");
  assert.deepEqual(host.results(), ["ok"]);
  assert.equal(host.lock, undefined);
  assert.match(deps.ui.text(), /web {2}reg\.test\/app-web-dev:latest {2}old → new/);
  assert.match(deps.ui.text(), /db {2}postgres:16 {2}unchanged pg/);
});

Deno.test("--tag deploys that tag; the plan, the result and the record show its digest", async () => {
  const { host, deps } = setup();
  const d = (c: string) => "sha256:" + c.repeat(64);
  host.images.set("reg.test/app-web-dev:sha-1", "sha256:new");
  host.digests.set("sha256:new", [`reg.test/app-web-dev@${d("2")}`]);
  host.digests.set("sha256:old", [`reg.test/app-web-dev@${d("1")}`, `other/x@${d("9")}`]);
  const r = await deploy("dev", { ...opts, tag: "sha-1" }, deps);
  const pull = deps.runner.steps.find((s) => s.title === "pull")!;
  assert.match(pull.input!, /image: reg\.test\/app-web-dev:sha-1/);
  assert.match(
    deps.ui.text(),
    /web {2}reg\.test\/app-web-dev:sha-1 \(sha256:222222222222\) {2}old → new/,
  );
  assert.deepEqual(
    r.services.map((s) => [s.name, s.image, s.digest, s.beforeDigest]),
    [["web", "reg.test/app-web-dev:sha-1", d("2"), d("1")], [
      "db",
      "postgres:16",
      undefined,
      undefined,
    ]],
  );
  const record = host.volumes.at(-1)!.find((x) => x.startsWith("dev.fleet.release.services="))!;
  assert.equal(JSON.parse(record.split("=").slice(1).join("=")).web.digest, d("2"));
  await assert.rejects(deploy("dev", { ...opts, tag: "no good" }, deps), UsageError);
});

Deno.test("a failed pull changes nothing: no stop, no lock", async () => {
  const { host, deps, kinds } = setup();
  host.failPull = true;
  await assert.rejects(deploy("dev", opts, deps), CommandError);
  assert.deepEqual(kinds(), ["pull"]);
  assert.equal(host.running.get("web"), "sha256:old");
});

Deno.test("an unhealthy release is rolled back to the previous images", async () => {
  const { host, deps, kinds } = setup();
  host.unhealthy.add("sha256:new");
  await assert.rejects(deploy("dev", opts, deps), (e: Error) => {
    assert.ok(e instanceof CommandError);
    assert.match(
      e.message,
      /^deploy of dev failed and was rolled back: service web did not become ready: healthcheck failed/,
    );
    return true;
  });
  assert.deepEqual(kinds(), [
    "pull",
    "take",
    "stop",
    "rm",
    "up",
    "stop",
    "rm",
    "up",
    "record",
    "record",
    "release",
  ]);
  assert.equal(host.running.get("web"), "sha256:old");
  // the rollback's record, then the failed release's: each says what really happened
  assert.deepEqual(host.results(), ["ok", "rolled-back"]);
  const up2 = deps.runner.steps.filter((s) => s.title === "up")[1];
  assert.match(up2.input!, /image: reg\.test\/app-web-dev:fleet-prev-app-dev-web/);
});

Deno.test("--no-rollback leaves the failed release and says so", async () => {
  const { host, deps, kinds } = setup();
  host.unhealthy.add("sha256:new");
  await assert.rejects(
    deploy("dev", { ...opts, rollback: false }, deps),
    /service web did not become ready/,
  );
  assert.deepEqual(kinds(), ["pull", "take", "stop", "rm", "up", "record", "release"]);
  assert.deepEqual(host.results(), ["failed"]);
});

Deno.test("a held lock stops the deploy before anything stops, naming the holder", async () => {
  const { host, deps, kinds } = setup();
  host.lock = "Ann";
  await assert.rejects(deploy("dev", opts, deps), (e: Error) => {
    assert.ok(e instanceof FleetError);
    assert.match(e.message, /^dev is locked by Ann \(deploy\) since t0$/);
    assert.match(e.hint!, /fleet unlock dev/);
    return true;
  });
  assert.deepEqual(kinds(), ["pull", "take"]);
  assert.equal(host.lock, "Ann", "never silently stolen");
});

Deno.test("no terminal and no --yes: exit 2 before any docker command", async () => {
  const { deps } = setup();
  await assert.rejects(deploy("dev", { timeout: 5 }, deps), UsageError);
  assert.deepEqual(deps.runner.steps, []);
});

Deno.test("confirmation declined: nothing changed, lock released", async () => {
  const { host, deps, kinds } = setup();
  const d = { ...deps, ui: { ...deps.ui, interactive: true } };
  await assert.rejects(deploy("dev", { timeout: 5 }, d), /deploy cancelled: nothing was changed/);
  assert.deepEqual(kinds(), ["pull", "take", "release"]);
  assert.equal(host.running.get("web"), "sha256:old");
});

Deno.test("a built image with no registry that is missing says to build first", async () => {
  const root = tempProject({
    "stages/local.yaml": "project: app\nservices:\n  web: { build: {} }\n",
  });
  const host = new FakeHost("app-local");
  const deps = testDeps(root, { runner: recordingRunner(host.reply) });
  await assert.rejects(deploy("local", { yes: true }, deps), (e: Error) => {
    assert.equal(e.message, "image app-web-local:latest of service web is not on local engine");
    assert.equal((e as FleetError).hint, "build it first: fleet build local");
    return true;
  });
  assert.ok(!deps.runner.steps.some((s) => s.title === "pull" || s.title === "stop"));
});

Deno.test("--dry-run prints the plan and commands and runs nothing", async () => {
  const { deps } = setup();
  const r = await deploy("dev", { dryRun: true }, deps);
  assert.deepEqual(deps.runner.steps, []);
  assert.equal(r.result, "dry-run");
  assert.match(
    releaseText(r),
    /docker compose -p app-dev --project-directory \S+ -f - pull --quiet web db/,
  );
});

Deno.test("rollback with no release history says so", async () => {
  const { deps } = setup();
  await assert.rejects(rollback("dev", opts, deps), /no earlier successful release of dev differs/);
});

Deno.test("a lock released between our create and our read is taken on the next try", async () => {
  const { host, deps, kinds } = setup();
  let conflicts = 1;
  const reply = host.reply;
  host.reply = (s: Step) => {
    if (s.argv[1] === "create" && conflicts-- > 0) {
      return { code: 1, stderr: "Conflict. The container name is already in use" };
    }
    return reply(s);
  };
  const d = { ...deps, runner: recordingRunner(host.reply) };
  await deploy("dev", opts, d);
  assert.equal(d.runner.steps.filter((s) => s.argv[1] === "create").length, 2);
  void kinds;
});

Deno.test("--changed-only redeploys only services whose image changed (with --no-deps)", async () => {
  const { host, deps } = setup();
  await deploy("dev", { ...opts, changedOnly: true }, deps);
  const touched = deps.runner.steps.filter((s) => ["stop", "rm", "up"].includes(s.title));
  assert.deepEqual(touched.map((s) => s.argv.slice(s.argv.indexOf("-") + 1)), [
    ["stop", "web"],
    ["rm", "--force", "--stop", "web"],
    [
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      "5",
      "--no-build",
      "--pull",
      "never",
      "--no-deps",
      "web",
    ],
  ]);
  assert.match(deps.ui.text(), /db {2}postgres:16 {2}unchanged pg {2}\(skipped \(unchanged\)\)/);
  assert.equal(host.running.get("web"), "sha256:new");
});

Deno.test("an unchanged image is neither tagged as previous nor kept again", async () => {
  const { host, deps } = setup();
  host.images.set("reg.test/app-web-dev:latest", "sha256:old"); // the registry has nothing new
  await deploy("dev", opts, deps);
  assert.deepEqual(deps.runner.steps.filter((s) => s.argv[1] === "tag"), []);
});

Deno.test("a config change with the same image rolls back to that image by its ID", async () => {
  const { host, deps } = setup();
  host.images.set("reg.test/app-web-dev:latest", "sha256:old");
  host.unhealthy.add("sha256:old");
  let ups = 0;
  const reply = host.reply;
  host.reply = (s: Step) => {
    // the release fails its wait; the rollback (the second up) gets healthy
    if (s.title === "up" && ++ups === 2) host.unhealthy.clear();
    return reply(s);
  };
  const d = { ...deps, runner: recordingRunner(host.reply) };
  await assert.rejects(deploy("dev", opts, d), /failed and was rolled back/);
  const up2 = d.runner.steps.filter((s) => s.title === "up")[1];
  assert.match(up2.input!, /image: sha256:old/);
});

Deno.test("an `up --wait` that says 0 at its deadline is checked, and a not-ready service fails", async () => {
  const { host, deps } = setup();
  const reply = host.reply;
  host.reply = (s: Step) => {
    // Compose returning success when --wait-timeout ran out, with the container still starting
    if (s.title === "up") {
      const r = reply(s);
      const until = Date.now() + 1100;
      while (Date.now() < until) { /* the wait takes the whole (1 s) timeout */ }
      return r;
    }
    return reply(s);
  };
  host.states = (ids: string[]) =>
    ids.map((cid) =>
      JSON.stringify({
        Id: cid,
        Config: { Labels: { "com.docker.compose.service": cid.slice(2) } },
        State: { Status: "running", Health: { Status: "starting" } },
      })
    ).join("\n");
  const d = { ...deps, runner: recordingRunner(host.reply) };
  await assert.rejects(
    deploy("dev", { yes: true, timeout: 1, rollback: false }, d),
    /service web did not become ready: not ready after 1s \(web: running, starting\)/,
  );
});

Deno.test("a failed first release is not rolled back: nothing good to go back to, said plainly", async () => {
  const { host, deps } = setup();
  host.volumes.length = 0; // no release recorded yet
  host.seeded.length = 0;
  host.running.delete("web");
  host.unhealthy.add("sha256:new");
  await assert.rejects(deploy("dev", opts, deps), (e: Error) => {
    assert.match(e.message, /first release failed; nothing to roll back to/);
    assert.match((e as FleetError).hint!, /left for inspection — fleet logs dev, fleet down dev/);
    return true;
  });
  assert.deepEqual(host.results(), ["failed"]);
  // the next deploy fails too: the broken containers of the first are no rollback target
  const again = testDeps(deps.cwd, { runner: recordingRunner(host.reply) });
  await assert.rejects(deploy("dev", opts, again), /nothing to roll back to/);
  assert.deepEqual(host.results(), ["failed", "failed"]);
  assert.equal(again.runner.steps.filter((s) => s.kind === "up").length, 1, "no rollback up");
});

Deno.test("a lock that cannot be read (host unreachable) is an error, not 'not locked'", async () => {
  const { deps } = setup();
  const { unlock } = await import("../../scripts/ops.ts");
  const down = testDeps(deps.cwd, {
    runner: recordingRunner(() => ({
      code: 1,
      stderr: "Cannot connect to the Docker daemon at unix:///nope.sock",
    })),
  });
  await assert.rejects(unlock("dev", { yes: true }, down), (e: Error) => {
    assert.ok(e instanceof CommandError);
    assert.match(e.message, /could not read the deploy lock/);
    assert.match(e.stderrTail, /Cannot connect to the Docker daemon/);
    return true;
  });
});

Deno.test("--no-pull against an unreachable host shows the connection error, not 'missing image'", async () => {
  const { deps } = setup();
  const down = testDeps(deps.cwd, {
    runner: recordingRunner((s) =>
      s.argv[0] === "git" ? { code: 1 } : {
        code: 1,
        stderr: "error during connect: Get http://x/v1.41/images/json: dial tcp: refused",
      }
    ),
  });
  await assert.rejects(deploy("dev", { ...opts, pull: false }, down), (e: Error) => {
    assert.ok(e instanceof CommandError, String(e));
    assert.match(e.stderrTail, /error during connect/);
    return true;
  });
});

Deno.test("Ctrl-C during the automatic rollback: state reported, recorded as interrupted, lock released", async () => {
  const { host, deps } = setup();
  host.unhealthy.add("sha256:new");
  const base = recordingRunner(host.reply);
  let ups = 0;
  const runner = {
    ...base,
    run: (s: Step, o?: Parameters<typeof base.run>[1]) =>
      s.kind === "up" && ++ups === 2
        ? Promise.reject(new InterruptedError("interrupted during: up"))
        : base.run(s, o),
  };
  const d = { ...deps, runner: runner as typeof base };
  await assert.rejects(deploy("dev", opts, d), InterruptedError);
  assert.deepEqual(host.results(), ["interrupted", "interrupted"]);
  assert.match(d.ui.text(), /interrupted: the deploy lock is released; state of dev:/);
  assert.equal(host.lock, undefined);
});

Deno.test("a machine that cannot run the release (SetupError) is not rolled back; its hint stays", async () => {
  const { host, deps, kinds } = setup();
  const run = deps.runner.run.bind(deps.runner);
  deps.runner.run = (step, o) =>
    step.kind === "stop"
      ? Promise.reject(
        new SetupError("the Docker Compose v2 plugin is not installed", [], "", {
          hint: "install it",
        }),
      )
      : run(step, o);
  await assert.rejects(deploy("dev", opts, deps), (e: Error) => {
    assert.ok(e instanceof SetupError);
    assert.equal(e.message, "the Docker Compose v2 plugin is not installed");
    assert.equal(e.hint, "install it");
    return true;
  });
  assert.deepEqual(kinds(), ["pull", "take", "record", "release"], "no rollback attempted");
  assert.deepEqual(host.results(), ["failed"]);
  assert.equal(host.running.get("web"), "sha256:old");
});

Deno.test("a refused deploy names the real holder of the lock: who, since when, what", async () => {
  const { host, deps } = setup();
  // the first deploy's process dies holding the lock: its `docker rm` of the lock never happens
  const reply = host.reply;
  const dies = recordingRunner((s: Step) =>
    s.kind === "lock" && s.argv[1] === "rm" ? {} : reply(s)
  );
  const ann = { USER: "ann", HOSTNAME: "box1" };
  await deploy("dev", opts, { ...deps, runner: dies, env: ann });
  const later = () => new Date("2026-01-02T04:00:00Z");
  const bo = testDeps(deps.cwd, {
    runner: recordingRunner(reply),
    env: { USER: "bo" },
    now: later,
  });
  await assert.rejects(
    deploy("dev", opts, bo),
    { message: "dev is locked by ann@box1 (deploy) since 2026-01-02T03:04:05.000Z" },
  );
  assert.ok(!bo.runner.steps.some((s) => s.kind === "stop"), "nothing stopped");
});

Deno.test("deploy -n: only that service is pulled, stopped, removed and started, with --no-deps", async () => {
  const { deps } = setup();
  await deploy("dev", { ...opts, service: ["web"] }, deps);
  const touched = deps.runner.steps.filter((s) => ["pull", "stop", "rm", "up"].includes(s.kind));
  const args = touched.map((s) => s.argv.slice(s.argv.indexOf("-") + 1));
  assert.deepEqual(args.map((a) => a[0]), ["pull", "stop", "rm", "up"]);
  assert.deepEqual(args.map((a) => a.filter((x) => x === "web" || x === "db")), [
    ["web"],
    ["web"],
    ["web"],
    ["web"],
  ]);
  assert.ok(args[3].includes("--no-deps"), args[3].join(" "));
});

Deno.test("--dry-run names the secret variables and never shows their values", async () => {
  const root = tempProject({
    "stages/dev.yaml": `project: app
services:
  web: { image: nginx, environment: { TOKEN: "\${API_TOKEN}" } }
`,
  });
  const deps = testDeps(root, { env: { API_TOKEN: "s3cret-api-token" } });
  const r = await deploy("dev", { dryRun: true }, deps);
  const text = releaseText(r);
  assert.match(
    text,
    /\n {2}COMPOSE_PROGRESS=plain API_TOKEN=\*\*\* docker compose -p app-dev .* up /,
  );
  for (const shown of [text, JSON.stringify(r), deps.ui.text()]) {
    assert.ok(!shown.includes("s3cret-api-token"), shown);
  }
});

Deno.test("rollback without a terminal and without --yes: exit 2 before any docker command", async () => {
  const { deps } = setup();
  await assert.rejects(rollback("dev", { timeout: 5 }, deps), UsageError);
  assert.deepEqual(deps.runner.steps, []);
});

Deno.test("Ctrl-C during up: the lock is released, the attempt recorded as interrupted", async () => {
  const { host, deps } = setup();
  const ctl = new AbortController();
  const reply = host.reply;
  const runner = interruptible(
    recordingRunner((s: Step) => (s.kind === "up" && ctl.abort(), reply(s))),
    ctl.signal,
  );
  const d = { ...deps, runner, signal: ctl.signal };
  await assert.rejects(deploy("dev", opts, d), InterruptedError);
  assert.equal(host.lock, undefined, "the lock is released");
  assert.deepEqual(host.results(), ["interrupted"]);
  assert.match(deps.ui.text(), /interrupted: the deploy lock is released; state of dev:/);
});

for (const services of ["null", '{"web":null}']) {
  Deno.test(`a record with services ${services} does not stop the automatic rollback`, async () => {
    const { host, deps } = setup();
    host.seedRecord("r20260101T000001Z-bad0", services); // damaged
    host.unhealthy.add("sha256:new");
    await assert.rejects(deploy("dev", opts, deps), /failed and was rolled back/);
    assert.equal(host.running.get("web"), "sha256:old", "the previous release serves again");
    assert.deepEqual(host.results(), ["ok", "rolled-back"]);
    assert.equal(host.lock, undefined);
  });

  Deno.test(`fleet history lists a record with services ${services} as unreadable`, async () => {
    const { host, deps } = setup();
    host.seedRecord("r20260101T000001Z-bad0", services); // damaged
    const { history } = await import("../../scripts/ops.ts");
    const h = await history("dev", {}, deps);
    assert.deepEqual(h.releases.map((r) => r.id), ["r20260101T000000Z-0000"]);
    assert.deepEqual(h.unreadable.map((u) => u.id), ["r20260101T000001Z-bad0"]);
    const { historyText } = await import("../../lib/report/text.ts");
    const { historyJson } = await import("../../lib/report/json.ts");
    const t = historyText(h.stage, h.host, h.releases, h.keep, h.unreadable);
    assert.match(
      t,
      /unreadable record r20260101T000001Z-bad0: services(\.web)?: not .* \(left out\)/,
    );
    assert.match(t, /r20260101T000000Z-0000 /);
    const j = historyJson(h) as { releases: unknown[]; unreadable: { id: string }[] };
    assert.equal(j.releases.length, 1);
    assert.equal(j.unreadable[0].id, "r20260101T000001Z-bad0");
  });
}

Deno.test("a history that cannot be read does not stop the automatic rollback", async () => {
  const { host, deps } = setup();
  host.unhealthy.add("sha256:new");
  const reply = host.reply;
  let lists = 0;
  host.reply = (s: Step) =>
    s.argv.includes("volume") && s.argv.includes("ls") && ++lists === 1
      ? { code: 1, stderr: "Error response from daemon: something broke" }
      : reply(s);
  const d = { ...deps, runner: recordingRunner(host.reply) };
  await assert.rejects(deploy("dev", opts, d), /failed and was rolled back/);
  assert.equal(host.running.get("web"), "sha256:old");
  assert.match(d.ui.text(), /cannot read the history .*: rolling back to what ran before/);
});

/** The FakeHost's project with hooks, a `${SECRET}` in web's environment, hooks run for real. */
function withHooks(hooks: string) {
  const root = tempProject({
    "stages/dev.yaml": `project: app
registry: reg.test
${hooks}
services:
  web: { build: {}, healthcheck: { test: ["CMD", "true"] }, environment: { TOKEN: "\${SECRET}" } }
  db: { image: "postgres:16" }
`,
  });
  const { host } = setup();
  const env = { SECRET: "s3cret-value-42", PATH: Deno.env.get("PATH")! };
  const real = createRunner({ env, cwd: root });
  const fake = recordingRunner(host.reply);
  const runner = {
    ...fake,
    run: (s: Step, o?: RunOptions) => (s.kind === "hook" ? real.run(s, o) : fake.run(s, o)),
  };
  return { host, deps: testDeps(root, { runner: runner as typeof fake, env }) };
}

Deno.test("hook output and a failing hook's error tail mask the stage's secrets", async () => {
  const { deps } = withHooks(
    `hooks:\n  post_deploy: [["sh", "-c", "echo token=$SECRET; echo err=$SECRET >&2; exit 3"]]`,
  );
  const e = await deploy("dev", opts, deps).then(() => undefined, (e) => e);
  assert.ok(e instanceof CommandError, String(e));
  const shown = [deps.ui.text(), e.message, e.stderrTail].join("\n");
  assert.ok(!shown.includes("s3cret-value-42"), shown);
  assert.match(deps.ui.text(), /hook \| token=\*\*\*/);
  assert.match(e.stderrTail, /err=\*\*\*/);
});

Deno.test("a failing post_deploy hook leaves the release's result: ok, the hook's failure beside it", async () => {
  const { host, deps } = withHooks(`hooks:\n  post_deploy: [["sh", "-c", "exit 3"]]`);
  const e = await deploy("dev", opts, deps).then(() => undefined, (e) => e);
  assert.ok(e instanceof HookError, String(e));
  assert.equal(e.exitCode, 1);
  assert.match(
    e.message,
    /^post_deploy hook: sh -c exit 3 failed \(exit 3\); release r\S+ stands \(ok\)$/,
  );
  const r = e.result as ReleaseResult;
  assert.equal(r.result, "ok");
  assert.equal(r.hook!.error, "post_deploy hook: sh -c exit 3 failed (exit 3)");
  assert.deepEqual(host.results(), ["ok"], "history says ok");
  assert.equal(host.running.get("web"), "sha256:new", "the release serves");
  // the three renderings of that one result
  const doc = failureJson("deploy", e, releaseJson(r));
  assert.equal(doc.result, "ok");
  assert.deepEqual(doc.hook, r.hook);
  assert.match(String((doc.error as { message: string }).message), /post_deploy hook: .* failed/);
  assert.match(releaseText(r), /^deployed app to dev: release r/);
  assert.equal(releaseOutputs(r, String(doc.result)).result, "ok");
  assert.match(releaseSummary(r, { result: "ok", error: e.message, seconds: 1 }), /\*\*ok\*\*/);
});

Deno.test("--dry-run lists the steps in the order they run: pull, the release task, stop, rm, up", async () => {
  const root = tempProject({
    "stages/dev.yaml": `project: app
registry: reg.test
tasks: { pre_deploy: { service: web, command: ["bin/migrate"] } }
hooks: { pre_deploy: ["./check"], post_deploy: ["./notify"] }
services:
  web: { build: {} }
`,
  });
  const r = await deploy("dev", { dryRun: true }, testDeps(root));
  const words = r.commands!.map((c) =>
    / \.\/\w+$/.test(c) ? c.split(" ").at(-1) : c.replace(/^.* -f - (\w+) .*$/, "$1")
  );
  assert.deepEqual(words, ["./check", "pull", "run", "stop", "rm", "up", "./notify"]);
});

Deno.test("rollback --lock-wait chooses its target after the lock: the release before the one that serves then", async () => {
  const { host, deps } = setup();
  host.seed("r20251231T000000Z-0000", { web: "sha256:a", db: "sha256:pg" });
  for (const id of ["sha256:a", "sha256:old", "sha256:new"]) host.images.set(id, id);
  host.lock = "Ann"; // a deploy of sha256:new runs
  const d = {
    ...deps,
    sleep: () => {
      // that deploy ends while the rollback waits: new serves, recorded, the lock released
      host.running.set("web", "sha256:new");
      host.seed("r20260101T000002Z-0000", { web: "sha256:new", db: "sha256:pg" });
      host.lock = host.lockLabels = undefined;
      return Promise.resolve();
    },
  };
  const r = await rollback("dev", { ...opts, lockWait: 30 }, d);
  assert.equal(r.note, "rollback to r20260101T000000Z-0000");
  assert.equal(host.running.get("web"), "sha256:old", "back to what served before the deploy");
  const up = deps.runner.steps.filter((s) => s.kind === "up").at(-1)!;
  assert.match(up.input!, /image: sha256:old/);
});

Deno.test("rollback --to keeps its target whatever ran meanwhile", async () => {
  const { host, deps } = setup();
  host.seed("r20251231T000000Z-0000", { web: "sha256:a", db: "sha256:pg" });
  for (const id of ["sha256:a", "sha256:old", "sha256:new"]) host.images.set(id, id);
  const r = await rollback("dev", { ...opts, to: "r20251231T000000Z-0000" }, deps);
  assert.equal(r.note, "rollback to r20251231T000000Z-0000");
  assert.equal(host.running.get("web"), "sha256:a");
});

Deno.test("a deploy releases only its own lock: not one another deploy took after an unlock", async () => {
  const { host, deps } = setup();
  const reply = host.reply;
  host.reply = (s: Step) => {
    if (s.kind === "up") {
      // while A waits: someone runs fleet unlock, and B takes the lock
      host.lock = host.lockLabels = host.lockId = undefined;
      host.lock = "Bo";
      host.lockId = "lockB";
    }
    return reply(s);
  };
  const d = { ...deps, runner: recordingRunner(host.reply) };
  await deploy("dev", opts, d);
  assert.equal(host.lock, "Bo", "B's lock is still B's");
  const rm = d.runner.steps.filter((s) => s.kind === "lock" && s.argv[1] === "rm");
  assert.deepEqual(rm.map((s) => s.argv.slice(1)), [["rm", "--force", "lock1"]]);
});

Deno.test("the lock records the machine and process of its holder", async () => {
  const { host, deps } = setup();
  const reply = host.reply;
  let labels: Record<string, string> | undefined;
  host.reply = (s: Step) => (s.kind === "stop" && (labels = host.lockLabels), reply(s));
  await deploy("dev", opts, { ...deps, runner: recordingRunner(host.reply) });
  assert.equal(labels!["dev.fleet.lock.machine"], Deno.hostname());
  assert.equal(labels!["dev.fleet.lock.pid"], String(Deno.pid));
});

/** A process that looks like a fleet (deno in its command line), for the unlock checks. */
function aliveFleet(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "setTimeout(() => {}, 60000)"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("fleet unlock refuses while the holder still runs on this machine; --force removes it", async () => {
  const { host, deps } = setup();
  const { unlock } = await import("../../scripts/ops.ts");
  const child = aliveFleet();
  try {
    host.lock = "ann";
    host.lockLabels = {
      "dev.fleet.lock.holder": "ann",
      "dev.fleet.lock.since": "t0",
      "dev.fleet.lock.machine": Deno.hostname(),
      "dev.fleet.lock.pid": String(child.pid),
    };
    const real = createRunner({ env: { PATH: Deno.env.get("PATH")! }, cwd: deps.cwd });
    const fake = recordingRunner(host.reply);
    const runner = {
      ...fake,
      run: (s: Step, o?: RunOptions) => (s.argv[0] === "ps" ? real.run(s, o) : fake.run(s, o)),
    };
    const d = { ...deps, runner: runner as typeof fake };
    await assert.rejects(unlock("dev", { yes: true }, d), (e: Error) => {
      assert.match(
        e.message,
        /^dev is locked by ann \(deploy\) since t0, and that fleet is still running \(process \d+ here\)$/,
      );
      assert.match((e as FleetError).hint!, /--force removes the lock anyway/);
      return true;
    });
    assert.equal(host.lock, "ann", "still held");
    await unlock("dev", { yes: true, force: true }, d);
    assert.equal(host.lock, undefined, "--force removed it");
    // a holder that is gone (or on another machine) is unlocked as before
    host.lock = "ann";
    host.lockLabels = { ...host.lockLabels!, "dev.fleet.lock.machine": "elsewhere" };
    await unlock("dev", { yes: true }, d);
    assert.equal(host.lock, undefined);
  } finally {
    child.kill();
    await child.status;
  }
});

Deno.test("SIGTERM during stop: recorded as interrupted (SIGTERM), with the images that still run", async () => {
  const { host, deps } = setup();
  const ctl = new AbortController();
  const reply = host.reply;
  const term = new InterruptedError("interrupted (SIGTERM)");
  const runner = interruptible(
    recordingRunner((s: Step) => (s.kind === "stop" && ctl.abort(term), reply(s))),
    ctl.signal,
  );
  await assert.rejects(
    deploy("dev", opts, { ...deps, runner, signal: ctl.signal }),
    InterruptedError,
  );
  const rec = host.volumes.at(-1)!;
  const label = (k: string) =>
    rec.find((x) => x.startsWith(`dev.fleet.release.${k}=`))!.slice(
      `dev.fleet.release.${k}=`.length,
    );
  assert.equal(label("result"), "interrupted");
  assert.equal(label("note"), "interrupted (SIGTERM)");
  // the stop was interrupted before rm: the previous release still runs, and the record says so
  assert.equal(JSON.parse(label("services")).web.id, "sha256:old");
});
