/**
 * Scenario 2c, beside the outage window and the Swarm stage: the same kind of redeploy (a new
 * image of a busybox httpd with a healthcheck) on ONE host, blue/green behind fleet's proxy
 * (SPEC §14: the test bed's Caddy, built from Debian's package), while a client polls through the
 * proxy every 5 ms — against the same app as a plain Compose stage (stop → rm → up) on the same
 * engine. The numbers: the longest time with no answer, and the failed requests.
 */
import { join } from "node:path";
import { docker, freePort } from "../testbed/bed.ts";
import { type PollReport, startPoll } from "../testbed/poll.ts";
import { caddyImage, HEALTHY, proxiedApp, testProxy } from "../testbed/proxy_app.ts";
import { fmtMs, type Group, measure, median } from "./lib.ts";
import type { Ctx } from "./lib.ts";

const POLL = { intervalMs: 5, timeoutMs: 1000, durationMs: 300_000 };

/** Deploy while polling `url`; the poll's report once answers come after the deploy. */
async function during(url: string, deploy: () => Promise<unknown>): Promise<PollReport> {
  const p = startPoll({ urls: [url], ...POLL });
  try {
    for (let i = 0; i < 500 && p.snapshot().answers === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (p.snapshot().answers === 0) throw new Error("proxy: no answer before the deploy");
    await deploy();
    const end = performance.now();
    for (let i = 0; i < 1500 && p.answersSince(end) < 20; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await p.stop();
  }
  return p.snapshot();
}

const RELOADS = 30;

/** `caddy reload` of `config` in container `name` on `host` (graceful: what a switch runs). */
const reload = (host: string, name: string, config: string) =>
  docker(host, ["exec", "-i", name, "caddy", "reload", "--config", "/dev/stdin"], {}, config);

/**
 * RELOADS graceful reloads of a proxy (two equal configurations in turn) while a client polls it
 * every 2 ms: how many requests failed. A route switch is one such reload.
 */
async function reloadBurst(host: string, name: string, url: string, config: string) {
  const other = config.replace(/"try_interval":"100ms"/g, '"try_interval":"101ms"');
  if (other === config) throw new Error("proxy: no try_interval in the configuration");
  const p = startPoll({ urls: [url], intervalMs: 2, timeoutMs: 1000, durationMs: 300_000 });
  try {
    for (let i = 0; i < 500 && p.snapshot().answers === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let i = 0; i < RELOADS; i++) await reload(host, name, i % 2 ? config : other);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await p.stop();
  }
  return p.snapshot().failures;
}

/**
 * The proxy as fleet starts it (with net.ipv4.tcp_migrate_req=1) against the same image and
 * routes started without that sysctl, beside it on the same network.
 */
async function reloads(ctx: Ctx, img: string, px: { name: string; host: string; url(): string }) {
  const config = await docker(px.host, [
    "exec",
    px.name,
    "wget",
    "-qO-",
    "http://127.0.0.1:2019/config/",
  ]);
  const plain = `${px.name}-plain`;
  const port = freePort();
  await docker(px.host, [
    "run",
    "--detach",
    "--name",
    plain,
    "--network",
    px.name,
    "-p",
    `127.0.0.1:${port}:80`,
    img,
    "caddy",
    "run",
  ]);
  try {
    await reload(px.host, plain, config);
    return await measure(
      "proxy reloads",
      [
        { name: "fleet", run: () => reloadBurst(px.host, px.name, px.url(), config) },
        {
          name: "plain",
          run: () => reloadBurst(px.host, plain, `http://127.0.0.1:${port}/`, config),
        },
      ],
      ctx.runs,
      (l) => ctx.log(l.replace(/ (\d+) ms$/, " $1 failed")),
    );
  } finally {
    await docker(px.host, ["rm", "--force", plain]).catch(() => "");
  }
}

/** Blue/green behind the proxy against stop → rm → up, one host (engine 1). */
export async function proxy(ctx: Ctx): Promise<Group> {
  const img = await caddyImage(ctx.tb);
  if (typeof img !== "string") throw new Error(img.missing);
  const px = testProxy(ctx.tb, img);
  const app = proxiedApp(ctx.tb, px);
  const port = freePort();
  const failed = { proxy: [] as number[], compose: [] as number[] };
  try {
    // the same app, image and healthcheck as a plain Compose stage on a loopback port
    const plain = Deno.readTextFileSync(join(app.dir, "stages/dev.yaml"))
      .replace(/^proxy:.*\n/m, "")
      .replace(/^ {4}proxy:.*\n/m, `    ports: ["127.0.0.1:${port}:8080"]\n`);
    Deno.writeTextFileSync(join(app.dir, "stages/cmp.yaml"), plain);
    app.stage(HEALTHY, "port: 8080, drain: 1s");
    const turns = { proxy: 0, cmp: 0 };
    const deploy = async (stage: string, side: "proxy" | "cmp") => {
      await app.build(["v2", "v1"][turns[side]++ % 2]);
      const r = await app.run(["deploy", stage, "--yes", "--no-pull"]);
      if (r.code !== 0) throw new Error(`deploy ${stage}: ${r.stderr}`);
    };
    await app.build("v1");
    for (const stage of ["dev", "cmp"]) {
      const r = await app.run(["deploy", stage, "--yes", "--no-pull"]);
      if (r.code !== 0) throw new Error(`deploy ${stage}: ${r.stderr}`);
    }
    const s = await measure(
      "proxy",
      [
        {
          name: "proxy",
          run: async () => {
            const r = await during(px.url(), () => deploy("dev", "proxy"));
            failed.proxy.push(r.failures);
            return r.longestGapMs;
          },
        },
        {
          name: "compose",
          run: async () => {
            const r = await during(`http://127.0.0.1:${port}/`, () => deploy("cmp", "cmp"));
            failed.compose.push(r.failures);
            return r.longestGapMs;
          },
        },
      ],
      ctx.runs,
      ctx.log,
    );
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const r = await reloads(ctx, img, px);
    return {
      name: "proxy",
      title: "2c. Outage on one host behind the proxy",
      rows: [{
        label: "outage, one host, blue/green behind the proxy (Caddy): longest gap with no " +
          `answer vs the same stage with stop → rm → up; failed requests: ${sum(failed.proxy)} vs ${
            sum(failed.compose)
          }`,
        fleet: s.proxy,
        baseline: s.compose,
        target: {
          kind: "ratio",
          max: 0.5,
          why: "no failed request; a gap no longer than a poll stall",
        },
      }, {
        label:
          `route switches: failed requests in ${RELOADS} graceful reloads of the proxy under ` +
          "a 2 ms poll, as fleet starts it (`--sysctl net.ipv4.tcp_migrate_req=1`) vs without",
        fleet: r.fleet,
        baseline: r.plain,
        unit: "failed",
        target: { kind: "none", why: "no failed request with the sysctl" },
      }],
      notes: [
        "Engine 1 (Docker 20.10); the proxy is the test bed's fleet-testbed/caddy:2 (Debian's " +
        "caddy 2.6.2 on busybox: no Docker Hub here), published on a loopback port, its own " +
        "name for this run (FLEET_PROXY_NAME). The app: busybox httpd (`trap 'exit 0' TERM`), " +
        "healthcheck (wget) every 1s, `proxy: { port: 8080, drain: 1s }`; each run builds the " +
        "other content (v2, v1, …) into the same tag and deploys it with `--no-pull`.",
        `A poller (testbed/poll.ts) fetches every ${POLL.intervalMs} ms through the proxy (new ` +
        `connection each time, ${POLL.timeoutMs} ms timeout) from before the deploy until it ` +
        "answers after it; a request without a 2xx answer is a failed request. The number is the " +
        "longest time between two answers.",
        "Compose side: the same app and image as a stage without the proxy (`ports:` on a " +
        "loopback port), `fleet deploy cmp --yes --no-pull`: stop → rm → up. Failed requests " +
        `per run (warm-up first): proxy ${failed.proxy.join(", ")}; Compose ${
          failed.compose.join(", ")
        }; median gap behind the proxy ${fmtMs(median(s.proxy))}.`,
        `Route switches: fleet's proxy of the runs above (started by fleet, with ` +
        "`net.ipv4.tcp_migrate_req=1`) and a second container of the same image on the same " +
        "network, started without it, with the same configuration; each run loads two equal " +
        `configurations in turn ${RELOADS} times (\`caddy reload\`, what a switch runs) while a ` +
        "client polls that proxy every 2 ms (new connection each time). Caddy listens with " +
        "SO_REUSEPORT: a reload opens new sockets beside the old and closes the old; without the " +
        "sysctl the kernel resets the connections still queued on a closed one. Failed requests " +
        `per run: fleet's ${r.fleet.join(", ")}; without ${r.plain.join(", ")}.`,
      ],
    };
  } finally {
    await app.run(["down", "cmp", "--yes"]);
    await app.run(["down", "dev", "--yes"]);
    await app.cleanup();
    await px.cleanup();
  }
}
