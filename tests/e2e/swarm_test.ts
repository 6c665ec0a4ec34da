/**
 * Issue #12 end to end, on the test bed's 3-node swarm: a rolling update with no failed request,
 * Swarm's own rollback, `fleet rollback`, `fleet down`, the lock, and a node lost mid-update.
 */
import assert from "node:assert/strict";
import { docker, e2e, part, type Testbed } from "./harness.ts";
import { startPoll } from "../../testbed/poll.ts";
import { makeSwarmApp, type SwarmApp } from "../../testbed/swarm_app.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Run `fn` with a fresh app on the swarm (skipped when the bed has no swarm). */
function swarmE2e(name: string, fn: (app: SwarmApp, tb: Testbed) => Promise<void>) {
  e2e(`swarm: ${name}`, async (tb) => {
    if (!part(tb, "swarm")) return;
    const app = makeSwarmApp(tb);
    try {
      await fn(app, tb);
    } finally {
      await app.cleanup();
    }
  });
}

async function deployOk(app: SwarmApp, ...args: string[]) {
  const r = await app.run(["deploy", "sw", "--yes", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

swarmE2e(
  "2 replicas on 3 nodes; v1 → v2 while a client polls every node: no request fails",
  async (app) => {
    await app.push("v1");
    const first = await deployOk(app);
    assert.match(first.stderr, /web .*\(2 replicas, rolling, start-first: no outage\)/);
    assert.equal(await app.get(), "v1");
    const ps = await app.run(["ps", "sw"]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^web\s+2\/2\s+\S+@[0-9a-f]{12}\s/m);
    assert.equal(ps.stdout.match(/^web\.\d\s+fleetsw\d\s+running/gm)?.length, 2, ps.stdout);
    await app.push("v2");
    const poller = startPoll({ urls: app.urls, intervalMs: 10, durationMs: 300_000 });
    try {
      await deployOk(app);
      // until a request after the deploy sees v2 from every answering node (bounded by the poller)
      const end = performance.now();
      while (poller.answersSince(end) < 20) await new Promise((r) => setTimeout(r, 20));
    } finally {
      const r = await poller.stop();
      console.error(
        `swarm rolling update: ${r.failures} failed rounds of ${r.rounds}, longest gap ` +
          `${r.longestGapMs} ms, ${r.requests} requests (${r.answers} answered)`,
      );
      assert.equal(r.failures, 0, JSON.stringify({ ...r, bodies: r.bodies.slice(-5) }));
      assert.equal(r.bodies.at(-1), "v2");
    }
    const logs = await app.run(["logs", "sw", "--tail", "5"]);
    assert.equal(logs.code, 0, logs.stderr);
    // run: a one-off container on the manager, on the stack's network (the service by its name)
    const run = await app.run(["run", "sw", "-n", "web", "--", "wget", "-qO-", "http://web:8080/"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "v2");
    // exec: into a task on the manager, or refused with where to look
    const exec = await app.run(["exec", "sw", "-n", "web", "--", "cat", "/www/index.html"]);
    if (exec.code === 0) assert.equal(exec.stdout.trim(), "v2");
    else assert.match(exec.stderr, /hint: exec enters tasks on the Swarm manager only/);
  },
);

swarmE2e(
  "an update whose healthcheck fails: Swarm rolls back, fleet exits 1, v1 answers, history has it",
  async (app) => {
    await app.push("v1");
    await deployOk(app);
    await app.push("v2-broken", true);
    const r = await app.run(["deploy", "sw", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: deploy of sw failed: rolled back by Swarm: web: /);
    // the task ended on its node: failed (its exit code), or complete (it left on SIGTERM)
    assert.match(r.stderr, /\| task \S+_web\.\d on fleetsw\d: (failed|complete|shutdown)/);
    assert.equal(await app.get(), "v1");
    const h = await app.run(["history", "sw"]);
    const rows = h.stdout.trim().split("\n").slice(1, -1);
    assert.equal(rows.length, 2, h.stdout);
    assert.match(rows[0], /\sdeploy\s+rolled-back\s.*rolled back by Swarm/);
    assert.match(rows[1], /\sdeploy\s+ok\s/);
  },
);

swarmE2e(
  "fleet rollback after two good releases serves the first; fleet down keeps the volumes",
  async (app, tb) => {
    // the release task runs on the stack's network: it sees what serves before the update
    app.stage(
      "",
      "tasks: { pre_deploy: { service: web, command: [sh, -c, " +
        '"echo task sees $(wget -qO- http://web:8080/ 2>/dev/null || echo nothing)"] } }\n',
    );
    await app.push("first");
    const one = await deployOk(app);
    assert.match(one.stderr, /task \| task sees nothing/);
    await app.push("second");
    const two = await deployOk(app);
    assert.match(two.stderr, /task \| task sees first/);
    assert.equal(await app.get(), "second");
    const r = await app.run(["rollback", "sw", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rolled back \S+ to sw: release r\S+\n\s+web\s+\S+@sha256:[0-9a-f]{64}/);
    assert.equal(await app.get(), "first");
    const down = await app.run(["down", "sw", "--yes"]);
    assert.equal(down.code, 0, down.stderr);
    const mgr = tb.swarmManager!;
    assert.equal(
      (await docker(mgr, ["stack", "ls", "--format", "{{.Name}}"])).includes(app.stack),
      false,
    );
    const nets = await docker(mgr, ["network", "ls", "-q", "--filter", `name=${app.stack}_`]);
    assert.equal(nets.trim(), "", "the stack's network is gone");
    const vols = [];
    for (const host of tb.swarmHosts!) {
      vols.push(
        ...(await docker(host, ["volume", "ls", "-q", "--filter", `name=${app.stack}_data`]))
          .trim().split("\n").filter(Boolean),
      );
    }
    assert.ok(vols.length >= 1, "the named volume stays on the nodes that ran the tasks");
    const h = await app.run(["history", "sw"]);
    assert.equal(h.stdout.trim().split("\n").length - 2, 3, "the history stays too");
  },
);

swarmE2e("two concurrent deploys: one runs, the other names the lock holder", async (app) => {
  await app.push("v1");
  const [a, b] = await Promise.all([
    app.run(["deploy", "sw", "--yes"]),
    app.run(["deploy", "sw", "--yes"]),
  ]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 1], `${a.stderr}\n---\n${b.stderr}`);
  const loser = a.code === 1 ? a : b;
  assert.match(loser.stderr, /error: sw is locked by .+ \(deploy\) since \d{4}-/);
  assert.match(
    loser.stderr,
    /hint: wait for it \(--lock-wait <seconds>\), or if that process is gone: fleet unlock sw/,
  );
  assert.equal(await app.get(), "v1");
});

swarmE2e(
  "a node's dockerd killed during an update: a clear result, nothing left locked",
  async (app, tb) => {
    await app.push("v1");
    await deployOk(app);
    await app.push("v2");
    const mgr = tb.swarmManager!;
    const deploying = app.run(["deploy", "sw", "--yes", "--timeout", "60"]);
    // once the update runs, kill the dockerd of a worker that has a task
    let victim = 0;
    for (let i = 0; i < 300 && !victim; i++) {
      const st = await docker(mgr, [
        "service",
        "inspect",
        "-f",
        "{{json .UpdateStatus}}",
        `${app.stack}_web`,
      ])
        .catch(() => "");
      if (st.includes("updating")) {
        const nodes = await docker(mgr, [
          "service",
          "ps",
          "--filter",
          "desired-state=running",
          "--format",
          "{{.Node}}",
          `${app.stack}_web`,
        ]);
        const n = nodes.split("\n").map((l) => /^fleetsw([23])$/.exec(l.trim())?.[1]).find(Boolean);
        victim = Number(n ?? 0);
      }
      if (!victim) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(victim, "the update ran on a worker");
    const pid = Deno.readTextFileSync(`${tb.dir}/swarm/node${victim}/docker.pid`).trim();
    Deno.kill(Number(pid), "SIGKILL");
    try {
      const r = await deploying;
      console.error(
        `node ${victim} killed mid-update: exit ${r.code}; ${
          r.stderr.split("\n").find((l) => l.startsWith("error:")) ?? "converged"
        }`,
      );
      if (r.code === 0) assert.match(r.stdout, /deployed \S+ to sw: release /);
      else {
        assert.equal(r.code, 1, r.stderr);
        // Swarm rolled back, or fleet did, or (the node gone long enough) the rollback timed out too
        assert.match(
          r.stderr,
          /^error: (deploy of sw failed.*(rolled back|did not become ready)|the release failed, and so did the rollback: .+)/m,
        );
      }
      const lock = await docker(mgr, ["ps", "-aq", "--filter", `name=fleet-lock-${app.stack}`]);
      assert.equal(lock.trim(), "", "nothing is left locked");
    } finally {
      // the bed whole again: its node restarted and back in the swarm
      const up = await new Deno.Command("bash", {
        args: [`${ROOT}tests/e2e/testbed.sh`, "up"],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(up.success, new TextDecoder().decode(up.stderr));
      for (let i = 0; i < 120; i++) {
        const ls = await docker(mgr, ["node", "ls", "--format", "{{.Status}}"]).catch(() => "");
        if (ls.trim().split("\n").filter((s) => s === "Ready").length === 3) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  },
);

swarmE2e(
  "${VAR} reaches the service through the client's environment, with the 28.x and the 20.10 client",
  async (app, tb) => {
    app.stage('    environment: { GREETING: "${SW_GREETING}" }\n');
    await app.push("v1");
    const clients = [["first docker on PATH", ""]];
    // Debian's 20.10 client, when the first docker on PATH is another one
    const debian = "/usr/bin/docker";
    const first = new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "command -v docker"], stdout: "piped" })
        .output())
        .stdout,
    ).trim();
    if (first !== debian && Deno.statSync(debian).isFile) {
      const bin = Deno.makeTempDirSync({ prefix: "fleet-docker2010-" });
      Deno.symlinkSync(debian, `${bin}/docker`);
      clients.push(["/usr/bin/docker", bin]);
    }
    for (const [i, [which, bin]] of clients.entries()) {
      const secret = `hello-${i}-${app.project}`;
      const path = bin ? `${bin}:${Deno.env.get("PATH")}` : Deno.env.get("PATH")!;
      const version = await new Deno.Command("docker", {
        args: ["version", "-f", "{{.Client.Version}}"],
        env: { PATH: path, DOCKER_HOST: tb.swarmManager! },
        stdout: "piped",
      }).output();
      const r = await app.run(["deploy", "sw", "--yes"], { SW_GREETING: secret, PATH: path });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(secret), "the value is never printed");
      const env = await docker(tb.swarmManager!, [
        "service",
        "inspect",
        "-f",
        "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
        `${app.stack}_web`,
      ]);
      assert.ok(env.includes(`GREETING=${secret}`), `${which}: ${env}`);
      console.error(
        `${which} (client ${new TextDecoder().decode(version.stdout).trim()}): \${VAR} resolved`,
      );
      if (bin) Deno.removeSync(bin, { recursive: true });
    }
  },
);
