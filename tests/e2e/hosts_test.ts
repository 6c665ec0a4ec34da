/**
 * Several hosts per stage (SPEC §15) on the test bed's three plain Docker hosts (the third over
 * ssh://): web on two hosts and a worker on the third, one release host by host while a client
 * tries web host A then B every 10 ms, a release that fails on the second web host, two
 * deploys at once, the release task, rollback --dry-run and a failing post_deploy hook.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, part, type Testbed } from "./harness.ts";
import { startPoll } from "../../testbed/poll.ts";
import { type HostsApp, makeHostsApp } from "../../testbed/hosts_app.ts";

/** Run `fn` with a fresh app on the three hosts (stages/live.yaml written), cleaned up after. */
async function withHostsApp(tb: Testbed, fn: (app: HostsApp) => Promise<void>): Promise<void> {
  if (!part(tb, "hosts")) return;
  const app = makeHostsApp(tb);
  try {
    app.stage();
    await fn(app);
  } finally {
    await app.cleanup();
  }
}

/** Push `content` and deploy it (exit 0 asserted): the run. */
async function deployOk(app: HostsApp, content: string, ...args: string[]) {
  await app.push(content);
  const r = await app.run(["deploy", "live", "--timeout", "60", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

const get = async (url: string) => {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return (await r.text()).trim();
};

e2e(
  "several hosts: each host runs exactly its services; v1 → v2 host by host with no round unanswered",
  (tb) =>
    withHostsApp(tb, async (app) => {
      const first = await deployOk(app, "v1", "--json");
      const doc = JSON.parse(first.stdout);
      assert.deepEqual(doc.hosts.map((h: { name: string; result: string }) => [h.name, h.result]), [
        ["jobs", "ok"],
        ["web1", "ok"],
        ["web2", "ok"],
      ]);
      const [s1, s2, s3] = app.sockets;
      assert.deepEqual(await app.services(s1), ["web"]);
      assert.deepEqual(await app.services(s2), ["web"]);
      assert.deepEqual(await app.services(s3), ["worker"]);
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v1", "v1"]);

      await app.push("v2");
      const poller = startPoll({
        urls: app.urls,
        intervalMs: 10,
        durationMs: 180_000,
        timeoutMs: 500,
      });
      const t0 = performance.now();
      const second = await app.run(["deploy", "live", "--json", "--timeout", "60"]);
      const took = performance.now() - t0;
      // a few answers after the release, then stop
      await new Promise((r) => setTimeout(r, 300));
      const report = await poller.stop();
      assert.equal(second.code, 0, second.stderr);
      console.error(
        `3-host rollout (parallel 1): ${Math.round(took)} ms; ${report.rounds} rounds, ` +
          `${report.failures} without an answer, longest gap ${report.longestGapMs} ms`,
      );
      assert.equal(report.failures, 0, JSON.stringify(report));
      assert.deepEqual(report.bodies.at(-1), "v2");
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v2", "v2"]);
      // one release id, recorded on every host
      const id = JSON.parse(second.stdout).release;
      for (const s of app.sockets) {
        assert.ok((await app.releases(s)).some((r) => r.id === id && r.result === "ok"), s);
      }
      // fleet history says so host by host
      const hist = await app.run(["history", "live", "--json"]);
      assert.equal(hist.code, 0, hist.stderr);
      const hosts = JSON.parse(hist.stdout).hosts as { name: string; releases: { id: string }[] }[];
      assert.deepEqual(hosts.map((h) => [h.name, h.releases[0].id]), [
        ["jobs", id],
        ["web1", id],
        ["web2", id],
      ]);
      // ps: a host column; --host picks one
      const ps = await app.run(["ps", "live", "--json"]);
      assert.equal(ps.code, 0, ps.stderr);
      const rows = JSON.parse(ps.stdout).containers.map((c: { host: string; service: string }) =>
        `${c.host}:${c.service}`
      ).sort();
      assert.deepEqual(rows, ["jobs:worker", "web1:web", "web2:web"]);
      const one = await app.run(["ps", "live", "--host", "web2"]);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /^HOST\s+NAME/);
      assert.match(one.stdout, /web2\s+\S+web/);
      assert.doesNotMatch(one.stdout, /worker|web1/);
      // rollback across hosts: every host back to v1, host by host, under one new release id
      const rb = await app.run(["rollback", "live", "--yes", "--json", "--timeout", "60"]);
      assert.equal(rb.code, 0, rb.stderr);
      const rdoc = JSON.parse(rb.stdout);
      assert.deepEqual(rdoc.hosts.map((h: { name: string; result: string }) => h.result), [
        "ok",
        "ok",
        "ok",
      ]);
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v1", "v1"]);
      for (const s of app.sockets) {
        assert.ok(
          (await app.releases(s)).some((r) => r.id === rdoc.release && r.kind === "rollback"),
        );
      }
      // logs of every host, each line after its host's name
      const logs = await app.run(["logs", "live", "--tail", "5"]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /^jobs \| .*worker up$/m);
      // exec needs one host; down takes every host down
      const ex = await app.run(["exec", "live", "-n", "web", "--", "true"]);
      assert.equal(ex.code, 2, ex.stderr);
      assert.match(
        ex.stderr,
        /exec works on one host, and live has several \(hosts: jobs, web1, web2\)/,
      );
      const down = await app.run(["down", "live", "--yes"]);
      assert.equal(down.code, 0, down.stderr);
      for (const s of app.sockets) assert.deepEqual(await app.services(s), []);
    }),
);

e2e(
  "several hosts: a release unhealthy on the second web host goes back everywhere, one release id",
  (tb) =>
    withHostsApp(tb, async (app) => {
      await deployOk(app, "v1");
      // host web2 only: a marker in its volume that the next release's healthcheck refuses
      const [s1, s2, s3] = app.sockets;
      await app.inData(s2, ["touch", "/data/sick"]);
      await app.push("v2");
      app.stage(
        `    healthcheck: { test: ["CMD-SHELL", "test ! -f /data/sick && wget -qO- http://127.0.0.1:8080/"], interval: 1s, retries: 2 }\n`,
      );
      const bad = await app.run(["deploy", "live", "--json", "--timeout", "20"]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /failed on host web2/);
      assert.match(bad.stderr, /went back to their previous release/);
      const doc = JSON.parse(bad.stdout);
      assert.equal(doc.result, "rolled-back");
      assert.deepEqual(doc.hosts.map((h: { name: string; result: string }) => [h.name, h.result]), [
        ["jobs", "rolled-back"],
        ["web1", "rolled-back"],
        ["web2", "rolled-back"],
      ]);
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v1", "v1"]);
      const id = doc.release;
      for (const s of [s1, s2, s3]) {
        const mine = (await app.releases(s)).filter((r) => r.id.startsWith(id));
        assert.ok(mine.length >= 2, JSON.stringify(mine));
        // the release, and what put the previous one back (-rb), both under the release's id
        assert.ok(
          mine.some((r) => r.id === `${id}-rb` && r.result === "ok"),
          `${s}: ${JSON.stringify(mine)}`,
        );
      }
      assert.ok((await app.releases(s2)).some((r) => r.id === id && r.result === "rolled-back"));
    }),
);

e2e(
  "several hosts: two deploys at once — one runs, the other names the holder",
  (tb) =>
    withHostsApp(tb, async (app) => {
      await app.push("v1");
      const [a, b] = await Promise.all([
        app.run(["deploy", "live", "--lock-wait", "0", "--timeout", "60"]),
        app.run(["deploy", "live", "--lock-wait", "0", "--timeout", "60"]),
      ]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 1], a.stderr + "\n----\n" + b.stderr);
      const loser = a.code === 0 ? b : a;
      assert.match(loser.stderr, /is locked by .* since .*\(host jobs\); nothing was changed/);
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v1", "v1"]);
      // a rollout lock left on host jobs by a process that died: named, and unlocked with --host
      const jobs = app.sockets[2];
      const lock = `fleet-lock-${app.project}-live.rollout`;
      await docker(jobs, [
        "create",
        "--name",
        lock,
        "--label",
        "dev.fleet.lock.holder=ghost",
        "--label",
        "dev.fleet.lock.since=t0",
        "--network",
        "none",
        `${tb.hostsRegistry}/${app.project}/web:worker`,
      ]);
      const stuck = await app.run(["deploy", "live", "--lock-wait", "0"]);
      assert.equal(stuck.code, 1, stuck.stderr);
      assert.match(stuck.stderr, /live is locked by ghost \(deploy\) since t0 \(host jobs\)/);
      assert.match(stuck.stderr, /fleet unlock live --host jobs/);
      const un = await app.run(["unlock", "live", "--host", "jobs", "--yes"]);
      assert.equal(un.code, 0, un.stderr);
      assert.match(un.stdout, /lock of ghost removed/);
      await assert.rejects(docker(jobs, ["inspect", lock]));
    }),
);

e2e(
  "several hosts: a host that does not answer is named with its fix before anything changes",
  (tb) =>
    withHostsApp(tb, async (app) => {
      const file = join(app.dir, "stages/live.yaml");
      const dead = `unix://${app.dir}/no-such-engine.sock`;
      Deno.writeTextFileSync(
        file,
        Deno.readTextFileSync(file).replace(/ {2}web2: .*/, `  web2: ${dead}`),
      );
      const r = await app.run(["deploy", "live", "--timeout", "60"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`host web2 \\(${dead.replace(/[/.]/g, "\\$&")}\\) does not answer`),
      );
      assert.match(r.stderr, /nothing was changed on any host/);
      assert.match(
        r.stderr,
        /hint: start its Docker engine, or fix its address under hosts: in stages\/live\.yaml/,
      );
      for (const s of app.sockets) assert.deepEqual(await app.services(s), []);
      const ps = await app.run(["ps", "live"]);
      assert.equal(ps.code, 1, ps.stderr);
      assert.match(ps.stderr, /host web2 \(.*\) does not answer/);
    }),
);

e2e(
  "several hosts: the release task once on web1 (a failing one changes nothing), rollback --dry-run, a failing post_deploy hook",
  (tb) =>
    withHostsApp(tb, async (app) => {
      const [s1, s2] = app.sockets;
      // the task writes a marker into the volume of the host it runs on
      const task = (cmd: string) =>
        `tasks: { pre_deploy: { service: web, command: ["sh", "-c", "${cmd}"] } }\n`;
      app.stage(undefined, task("echo task ran; touch /data/marker"));
      const first = await deployOk(app, "v1", "--json");
      assert.equal((first.stderr.match(/task ran$/gm) ?? []).length, 1, first.stderr);
      const marker = (socket: string) => app.inData(socket, ["ls", "/data"]);
      assert.match(await marker(s1), /marker/);
      assert.doesNotMatch(await marker(s2), /marker/);
      const v1 = JSON.parse(first.stdout).release;

      // a failing task: exit 1 naming the host; every host still serves v1
      app.stage(undefined, task("echo no db >&2; exit 3"));
      await app.push("v2");
      const bad = await app.run(["deploy", "live", "--timeout", "60"]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /release task failed: .*\(host web1\); no host was changed/);
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v1", "v1"]);
      assert.deepEqual(await app.services(app.sockets[2]), ["worker"]);

      // v2 for real, then a rollback's dry run: where each host goes back to, nothing changed
      app.stage(undefined, task("true"));
      const second = await deployOk(app, "v2", "--json");
      const before = await Promise.all(app.sockets.map((s) => app.releases(s)));
      const dry = await app.run(["rollback", "live", "--dry-run", "--json"]);
      assert.equal(dry.code, 0, dry.stderr);
      const plan = JSON.parse(dry.stdout);
      assert.equal(plan.result, "dry-run");
      assert.deepEqual(
        plan.hosts.map((h: { name: string; note: string }) => [h.name, h.note]),
        [["jobs", `rollback to ${v1}`], ["web1", `rollback to ${v1}`], [
          "web2",
          `rollback to ${v1}`,
        ]],
      );
      // the commands as they would run: no shared ssh connection (and no PATH) in them
      assert.ok(
        plan.commands.some((c: string) => c.startsWith("DOCKER_HOST=ssh://")),
        plan.commands.join("\n"),
      );
      assert.ok(!plan.commands.some((c: string) => c.includes("PATH=")), plan.commands.join("\n"));
      assert.deepEqual(await Promise.all(app.urls.map(get)), ["v2", "v2"]);
      assert.deepEqual(await Promise.all(app.sockets.map((s) => app.releases(s))), before);
      assert.notEqual(JSON.parse(second.stdout).release, v1);

      // a failing post_deploy hook: the release stands, every host on it, exit 1
      app.stage(undefined, `hooks: { post_deploy: [["sh", "-c", "exit 3"]] }\n`);
      const hooked = await app.run(["deploy", "live", "--json", "--timeout", "60"]);
      assert.equal(hooked.code, 1, hooked.stderr);
      assert.match(
        hooked.stderr,
        /post_deploy hook: sh -c exit 3 failed \(exit 3\); release r\S+ stands \(ok\)/,
      );
      const doc = JSON.parse(hooked.stdout);
      assert.equal(doc.result, "ok");
      assert.deepEqual(doc.hosts.map((h: { result: string }) => h.result), ["ok", "ok", "ok"]);
      for (const s of app.sockets) {
        assert.ok((await app.releases(s)).some((r) => r.id === doc.release && r.result === "ok"));
      }
    }),
);

e2e(
  "test bed: three plain Docker hosts in their own namespaces, the third also over ssh",
  async (tb) => {
    if (!part(tb, "hosts")) return;
    assert.equal(tb.hosts?.length, 3);
    assert.match(tb.hosts![2], /^ssh:\/\//);
    const path = { PATH: `${tb.hostsSshBin}:${Deno.env.get("PATH")}` };
    const names = await Promise.all(
      tb.hosts!.map((h) => docker(h, ["info", "-f", "{{.Name}} {{.Swarm.LocalNodeState}}"], path)),
    );
    assert.deepEqual(names.map((n) => n.trim()), [
      "fleeth1 inactive",
      "fleeth2 inactive",
      "fleeth3 inactive",
    ]);
    // over ssh and over its socket: the same engine
    const id = (h: string) => docker(h, ["info", "-f", "{{.ID}}"], path);
    assert.equal(await id(tb.hosts![2]), await id(tb.hostsSockets![2]));
  },
);
