/**
 * Issue 24 end to end (SPEC §14): blue/green behind a real Caddy on a real engine (engine 1, the
 * test bed's Caddy image), a client polling through the proxy every 5 ms.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, type Testbed } from "./harness.ts";
import { startPoll } from "../../testbed/poll.ts";
import {
  caddyImage,
  FAILING,
  HEALTHY,
  type ProxiedApp,
  proxiedApp,
  SLOW,
  type TestProxy,
  testProxy,
} from "../../testbed/proxy_app.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A proxy of this test's own, or the reason the bed has no Caddy (FLEET_E2E=required: fails). */
async function proxyOf(tb: Testbed): Promise<TestProxy | undefined> {
  const img = await caddyImage(tb);
  if (typeof img === "string") return testProxy(tb, img);
  if (Deno.env.get("FLEET_E2E") === "required") throw new Error(img.missing);
  console.error(`skipped: ${img.missing}`);
  return undefined;
}

/** Poll `url` every 5 ms while `fn` runs (bounded: 2 minutes, 24 000 requests). */
async function polled<T>(url: string, fn: () => Promise<T>) {
  const p = startPoll({ urls: [url], intervalMs: 5, durationMs: 120_000, timeoutMs: 2000 });
  try {
    const out = await fn();
    await new Promise((r) => setTimeout(r, 300));
    return { out, report: await p.stop() };
  } finally {
    await p.stop();
  }
}

/** GET / on 127.0.0.1:port with this Host header (fetch sets its own), the body trimmed. */
async function getAs(port: number, host: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
  const text = await new Response(conn.readable).text(); // closes the connection at its end
  return text.slice(text.indexOf("\r\n\r\n") + 4).trim();
}

async function get(url: string): Promise<string> {
  const r = await fetch(url);
  return (await r.text()).trim();
}

e2e("proxy: v1 → v2 redeploy drops no request; both versions seen, v2 at the end", async (tb) => {
  const proxy = await proxyOf(tb);
  if (!proxy) return;
  const app = proxiedApp(tb, proxy);
  // and a service without proxy: in the same stage keeps stop → rm → up
  const worker = `  worker:\n    image: ${app.image}\n    command: ["sleep", "3600"]\n` +
    `    compose: { stop_grace_period: 1s }\n`;
  app.stage(HEALTHY, "port: 8080, drain: 1s, health: /index.html", worker);
  try {
    await app.build("v1");
    const first = await app.run(["deploy", "dev", "--yes", "--no-pull"]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await get(proxy.url()), "v1");
    await app.build("v2");
    const dry = await app.run(["deploy", "dev", "--dry-run", "--no-pull"]);
    assert.match(dry.stdout, /web .*\(blue\/green behind the proxy: no outage\)/);
    const { out, report } = await polled(
      proxy.url(),
      () => app.run(["deploy", "dev", "--yes", "--no-pull", "--json"]),
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /blue\/green behind the proxy: no outage/);
    assert.equal(JSON.parse(out.stdout).result, "ok");
    console.error(
      `redeploy: ${report.requests} requests, ${report.failures} failed, longest gap ${report.longestGapMs} ms`,
    );
    assert.equal(report.failures, 0, `${JSON.stringify(report)}\n${out.stderr}`);
    assert.ok(report.bodies.includes("v1") && report.bodies.includes("v2"), report.bodies.join());
    assert.equal(report.bodies.at(-1), "v2");
    const cs = await app.containers();
    assert.equal(cs.filter((c) => c.includes("-web-")).length, 1, "the old web is gone");
    assert.equal(cs.filter((c) => c.includes("-worker-")).length, 1, cs.join());
    assert.match(out.stderr, /worker .*\(stop → rm → up: a short outage\)/);
    const ps = await app.run(["ps", "dev", "--json"]);
    assert.equal(ps.code, 0, ps.stderr);
    const routes = JSON.parse(ps.stdout).routes;
    assert.equal(routes.length, 1, ps.stdout);
    assert.match(routes[0].upstream, new RegExp(`^${app.project}-dev-web-\\d+:8080$`));
    // fleet rollback switches back the same way (GitHub Actions outputs as for every release)
    const gh = join(app.dir, "gh-output");
    const ghEnv = { GITHUB_ACTIONS: "true", GITHUB_OUTPUT: gh, GITHUB_STEP_SUMMARY: `${gh}.md` };
    const back = await polled(
      proxy.url(),
      () => app.run(["rollback", "dev", "--yes", "-n", "web"], ghEnv),
    );
    assert.equal(back.out.code, 0, back.out.stderr);
    assert.match(Deno.readTextFileSync(gh), /^result<<(\S+)\nok\n\1$/m);
    assert.match(Deno.readTextFileSync(`${gh}.md`), /\|\s*`?web`?\s*\|/);
    assert.equal(back.report.failures, 0, `${JSON.stringify(back.report)}\n${back.out.stderr}`);
    assert.equal(back.report.bodies.at(-1), "v1");
    // down takes the route away, and the proxy with it (its last route)
    const d = await app.run(["down", "dev", "--yes"]);
    assert.equal(d.code, 0, d.stderr);
    await assert.rejects(docker(proxy.host, ["inspect", proxy.name]), /No such/);
  } finally {
    await app.cleanup();
    await proxy.cleanup();
  }
});

e2e(
  "proxy: a release that never gets healthy fails, drops no request, v1 serves on",
  async (tb) => {
    const proxy = await proxyOf(tb);
    if (!proxy) return;
    const app = proxiedApp(tb, proxy);
    try {
      await app.build("v1");
      assert.equal((await app.run(["deploy", "dev", "--yes", "--no-pull"])).code, 0);
      await app.build("bad");
      app.stage(FAILING);
      const { out, report } = await polled(
        proxy.url(),
        () => app.run(["deploy", "dev", "--yes", "--no-pull", "--timeout", "60"]),
      );
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /healthcheck failed.*nothing was switched/);
      assert.equal(report.failures, 0, `${JSON.stringify(report)}\n${out.stderr}`);
      assert.deepEqual(report.bodies, ["v1"]);
      assert.equal(await get(proxy.url()), "v1");
      assert.equal((await app.containers()).length, 1, "the new container is removed");
      const h = await app.run(["history", "dev"]);
      assert.match(h.stdout.split("\n")[1], /\sdeploy\s+failed\s/, h.stdout);
      // no healthcheck, and health: never answers 2xx: the switch never happens either
      app.stage("", "port: 8080, drain: 1s, health: /missing");
      const h2 = await app.run(["deploy", "dev", "--yes", "--no-pull", "--timeout", "4"]);
      assert.equal(h2.code, 1, h2.stderr);
      assert.match(h2.stderr, /not ready after 4s \(web: http:\/\/\S+:8080\/missing: .*404/);
      assert.equal(await get(proxy.url()), "v1");
      assert.equal((await app.containers()).length, 1);
    } finally {
      await app.cleanup();
      await proxy.cleanup();
    }
  },
);

e2e(
  "proxy: two projects share it; deploying and taking down one leaves the other answering",
  async (tb) => {
    const proxy = await proxyOf(tb);
    if (!proxy) return;
    const a = proxiedApp(tb, proxy);
    const b = proxiedApp(tb, proxy);
    // a answers for a.test; b for any other host (what the poller asks: 127.0.0.1:port)
    a.stage(HEALTHY, "host: a.test, port: 8080, drain: 1s");
    try {
      await a.build("a1");
      await b.build("b1");
      assert.equal((await a.run(["deploy", "dev", "--yes", "--no-pull"])).code, 0);
      const bd = await b.run(["deploy", "dev", "--yes", "--no-pull"]);
      assert.equal(bd.code, 0, bd.stderr);
      const doc = await b.run(["doctor", "dev"]);
      assert.match(
        doc.stdout,
        /dev: proxy.*answers, 2 routes \(this stage: \*\/ → e2epa\w+-dev-web-1:8080\)/,
      );
      const hostGet = (host: string) => getAs(proxy.port, host);
      assert.equal(await hostGet("a.test"), "a1");
      assert.equal(await get(proxy.url()), "b1");
      const { out, report } = await polled(proxy.url(), async () => {
        await a.build("a2");
        const r = await a.run(["deploy", "dev", "--yes", "--no-pull"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await hostGet("a.test"), "a2");
        const d = await a.run(["down", "dev", "--yes"]);
        assert.equal(d.code, 0, d.stderr);
        return { stderr: `${r.stderr}\n${d.stderr}` };
      });
      assert.equal(report.failures, 0, `${JSON.stringify(report)}\n${out.stderr}`);
      assert.deepEqual(report.bodies, ["b1"]);
      assert.equal(await hostGet("a.test"), "b1", "a's route is gone: b answers any host");
      const state = await docker(proxy.host, ["inspect", "-f", "{{.State.Status}}", proxy.name]);
      assert.equal(state.trim(), "running", "b's route is left: the proxy stays");
      const ps = JSON.parse((await b.run(["ps", "dev", "--json"])).stdout);
      assert.equal(ps.routes.length, 1);
    } finally {
      await a.cleanup();
      await b.cleanup();
      await proxy.cleanup();
    }
  },
);

/**
 * Start a deploy, send SIGINT once stderr shows `at`, and return its exit code and stderr.
 */
async function interruptAt(app: ProxiedApp, at: RegExp) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(ROOT, "mod.ts"), "deploy", "dev", "--yes", "--no-pull"],
    cwd: app.dir,
    env: { NO_COLOR: "1", ...app.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!at.test(err)) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  return { code: (await child.status).code, stderr: err };
}

e2e(
  "proxy: Ctrl-C in the health wait and right after the switch: one container serves, no lock",
  async (tb) => {
    const proxy = await proxyOf(tb);
    if (!proxy) return;
    const app = proxiedApp(tb, proxy);
    const lock = `fleet-lock-${app.project}-dev`;
    try {
      await app.build("v1");
      assert.equal((await app.run(["deploy", "dev", "--yes", "--no-pull"])).code, 0);
      // in the health wait: the new container goes, the old serves on
      await app.build("v2");
      app.stage(SLOW);
      const before = await polled(
        proxy.url(),
        () => interruptAt(app, /wait until web \(new\) is healthy/),
      );
      assert.equal(before.out.code, 130, before.out.stderr);
      assert.match(
        before.out.stderr,
        /interrupted: the deploy lock is released; state of dev:\n.*web: previous release/,
      );
      assert.equal(before.report.failures, 0, JSON.stringify(before.report));
      assert.equal((await app.containers()).length, 1, (await app.containers()).join());
      assert.equal(await get(proxy.url()), "v1");
      await assert.rejects(docker(proxy.host, ["inspect", lock]), /No such/);
      // right after the switch (in the drain): the new one serves, the old goes
      app.stage(HEALTHY, "port: 8080, drain: 60s");
      const after = await polled(proxy.url(), () => interruptAt(app, /drain: the old containers/));
      assert.equal(after.out.code, 130, after.out.stderr);
      assert.match(
        after.out.stderr,
        /interrupted: the deploy lock is released; state of dev:\n.*web: new release/,
      );
      assert.equal(after.report.failures, 0, JSON.stringify(after.report));
      assert.equal((await app.containers()).length, 1, (await app.containers()).join());
      assert.equal(await get(proxy.url()), "v2");
      await assert.rejects(docker(proxy.host, ["inspect", lock]), /No such/);
    } finally {
      await app.cleanup();
      await proxy.cleanup();
    }
  },
);
