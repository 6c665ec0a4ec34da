/**
 * Scenario 2c, beside the outage window and the Swarm stage: the same kind of redeploy (a new
 * image of a busybox httpd with a healthcheck) on ONE host, blue/green behind fleet's proxy
 * (SPEC §14: the test bed's Caddy, built from Debian's package), while a client polls through the
 * proxy every 5 ms — against the same app as a plain Compose stage (stop → rm → up) on the same
 * engine. The numbers: the longest time with no answer, and the failed requests.
 */
import { join } from "node:path";
import { freePort } from "../testbed/bed.ts";
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
      ],
    };
  } finally {
    await app.run(["down", "cmp", "--yes"]);
    await app.run(["down", "dev", "--yes"]);
    await app.cleanup();
    await px.cleanup();
  }
}
