/**
 * Several hosts with the proxy (SPEC §14–15): a Caddy on each host, web replaced blue/green behind
 * it host by host, while a client polls each host's proxy every 10 ms. One host is reached over
 * its socket, the other over ssh://. No request fails on either host, not only no round; a
 * release unhealthy on the second host puts the first back the same way.
 */
import assert from "node:assert/strict";
import { docker, e2e, fleet, part, type Testbed, uniqueName } from "./harness.ts";
import { startPoll } from "../../testbed/poll.ts";
import { makeHostsApp } from "../../testbed/hosts_app.ts";
import { caddyImage } from "../../testbed/proxy_app.ts";

/** The bed's Caddy image in the registry the hosts pull from, or why there is none. */
async function caddyForHosts(tb: Testbed): Promise<string | undefined> {
  const img = await caddyImage(tb);
  if (typeof img !== "string") {
    if (Deno.env.get("FLEET_E2E") === "required") throw new Error(img.missing);
    console.error(`skipped: ${img.missing}`);
    return undefined;
  }
  const ref = `${tb.hostsRegistry}/${img}`;
  await docker(tb.engine1, ["tag", img, ref]);
  await docker(tb.engine1, ["push", "-q", ref]);
  return ref;
}

/** A poller per URL (every 10 ms) while `fn` runs, and a few answers after it: its result, the reports. */
async function pollEach<T>(urls: readonly string[], fn: () => Promise<T>) {
  const polls = urls.map((url) =>
    startPoll({ urls: [url], intervalMs: 10, durationMs: 180_000, timeoutMs: 2000 })
  );
  try {
    const out = await fn();
    await new Promise((r) => setTimeout(r, 300));
    return [out, await Promise.all(polls.map((p) => p.stop()))] as const;
  } finally {
    await Promise.all(polls.map((p) => p.stop()));
  }
}

e2e(
  "several hosts with the proxy: each host's web replaced blue/green, no request fails on either",
  async (tb) => {
    if (!part(tb, "hosts")) return;
    const caddy = await caddyForHosts(tb);
    if (!caddy) return;
    const app = makeHostsApp(tb);
    const proxy = uniqueName("e2ehpx");
    const [h1, , h3] = app.hosts;
    const [s1, , s3] = app.sockets;
    const env = {
      PATH: `${tb.hostsSshBin}:${Deno.env.get("PATH")}`,
      DOCKER_HOST: "",
      FLEET_PROXY_NAME: proxy,
    };
    const run = (args: string[]) => fleet(args, { cwd: app.dir, env });
    const urls = [tb.hostsIps![0], tb.hostsIps![2]].map((ip) => `http://${ip}:${app.port}/`);
    const get = async (url: string) =>
      (await (await fetch(url, { signal: AbortSignal.timeout(2000) })).text()).trim();
    app.writeStage(
      "live",
      `project: ${app.project}\nconfirm: false\n` +
        `hosts:\n  web1: ${h1}\n  web2: ${h3}\nrollout: { parallel: 1 }\n` +
        `proxy: { image: ${caddy}, http: ${app.port}, tls: off }\n` +
        `services:\n  web:\n    image: ${app.image}:live\n    volumes: ["data:/data"]\n` +
        // healthy unless a marker is in the host's volume (a release unhealthy on one host)
        `    healthcheck: { test: ["CMD-SHELL", "test ! -f /data/sick && wget -qO- ` +
        `http://127.0.0.1:8080/"], interval: 1s, retries: 2 }\n` +
        `    proxy: { port: 8080, drain: 1s, health: /index.html }\n`,
    );
    try {
      await app.push("v1");
      const first = await run(["deploy", "live", "--timeout", "60"]);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(await Promise.all(urls.map(get)), ["v1", "v1"]);

      await app.push("v2");
      const dry = await run(["deploy", "live", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /web .*\(blue\/green behind the proxy: no outage\)/);
      // a poller per host: each host's proxy must answer every request, not only one of them
      const [second, reports] = await pollEach(
        urls,
        () => run(["deploy", "live", "--json", "--timeout", "60"]),
      );
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /blue\/green behind the proxy: no outage/);
      for (const [i, report] of reports.entries()) {
        console.error(
          `host ${i + 1}: ${report.requests} requests, ${report.failures} failed, ` +
            `longest gap ${report.longestGapMs} ms`,
        );
        assert.equal(report.failures, 0, `${JSON.stringify(report)}\n${second.stderr}`);
        assert.ok(
          report.bodies.includes("v1") && report.bodies.at(-1) === "v2",
          report.bodies.join(),
        );
      }
      const doc = JSON.parse(second.stdout);
      assert.deepEqual(doc.hosts.map((h: { name: string; result: string }) => [h.name, h.result]), [
        ["web1", "ok"],
        ["web2", "ok"],
      ]);
      // one web container on each host (the old one gone), and a route on each host's proxy
      assert.deepEqual(await app.services(s1), ["web"]);
      assert.deepEqual(await app.services(s3), ["web"]);
      const ps = await run(["ps", "live", "--json"]);
      assert.equal(ps.code, 0, ps.stderr);
      const routes = JSON.parse(ps.stdout).routes as { on: string; upstream: string }[];
      assert.deepEqual(routes.map((r) => r.on), ["web1", "web2"]);
      for (const r of routes) {
        assert.match(r.upstream, new RegExp(`^${app.project}-live-web-\\d+:8080$`));
      }
      const text = await run(["ps", "live"]);
      assert.match(text.stdout, /^HOST\s+ROUTE\s+SERVICE\s+SERVED BY$/m);
      assert.match(text.stdout, /^web2\s+\*\/\s+web\s+/m);

      // doctor checks each host's proxy and lists the stage's route there
      const doctor = await run(["doctor", "live"]);
      for (const h of ["web1", "web2"]) {
        assert.match(doctor.stdout, new RegExp(`live ${h}: proxy.*answers, 1 route \\(this stage`));
      }

      // a release unhealthy on web2 only: web2 never switches, web1 switches back; no request fails
      await app.inData(s3, ["touch", "/data/sick"]);
      await app.push("v3");
      const [bad, reports3] = await pollEach(
        urls,
        () => run(["deploy", "live", "--json", "--timeout", "20"]),
      );
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stderr, /failed on host web2/);
      assert.match(bad.stderr, /went back to their previous release/);
      for (const report of reports3) {
        assert.equal(report.failures, 0, `${JSON.stringify(report)}\n${bad.stderr}`);
        assert.equal(report.bodies.at(-1), "v2", report.bodies.join());
      }
      assert.ok(reports3[0].bodies.includes("v3"), "web1 served v3 before it went back");
      assert.deepEqual(reports3[1].bodies, ["v2"], "web2 never switched");
      assert.deepEqual(await app.services(s1), ["web"]);
      assert.deepEqual(await app.services(s3), ["web"]);

      // down takes each host's route away, and each proxy with its last route
      const down = await run(["down", "live", "--yes"]);
      assert.equal(down.code, 0, down.stderr);
      for (const s of [s1, s3]) {
        assert.deepEqual(await app.services(s), []);
        await assert.rejects(docker(s, ["inspect", proxy]), /No such/);
      }
    } finally {
      for (const s of [s1, s3]) {
        const quiet = (args: string[]) => docker(s, args).catch(() => "");
        await quiet(["rm", "--force", proxy, `${proxy}-lock`]);
        await quiet(["network", "rm", proxy]);
        await quiet(["volume", "rm", `${proxy}-data`, `${proxy}-config`]);
      }
      await app.cleanup();
    }
  },
);
