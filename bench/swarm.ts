/**
 * Scenario 2b, beside the outage window: the same kind of redeploy (a new image of a busybox
 * httpd with a healthcheck) on a Swarm stage — 2 replicas on the test bed's 3 nodes, host-mode
 * ports, start-first — while a client polls every node every 10 ms, against the Compose stage of
 * the same app (stop → rm → up) on engine 1. The number is the longest time with no answer from
 * any node; the Swarm side must have no failed round (no node answered) at all.
 */
import { join } from "node:path";
import { part } from "../testbed/bed.ts";
import { type PollReport, startPoll } from "../testbed/poll.ts";
import { makeSwarmApp, type SwarmApp } from "../testbed/swarm_app.ts";
import { fmtMs, type Group, measure, median } from "./lib.ts";
import type { Ctx } from "./lib.ts";

const POLL = { intervalMs: 10, timeoutMs: 250, durationMs: 300_000 };

/** Deploy `tag` while polling `urls`; the poll's report once answers come after the deploy. */
async function during(urls: string[], deploy: () => Promise<unknown>): Promise<PollReport> {
  const p = startPoll({ urls, ...POLL });
  try {
    for (let i = 0; i < 500 && p.snapshot().answers === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (p.snapshot().answers === 0) throw new Error("swarm: no answer before the deploy");
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

function composeStage(app: SwarmApp, ctx: Ctx, port: number, tag: string): void {
  Deno.writeTextFileSync(
    join(app.dir, "stages/cmp.yaml"),
    `project: ${app.project}
host: ${ctx.tb.engine1}
registry: ${ctx.tb.swarmRegistryLocal}
buildx: false
confirm: false
tag: ${tag}
services:
  web:
    build: { args: { CONTENT: "\${CONTENT:-v1}" } }
    ports: ["127.0.0.1:${port}:8080"]
    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/ok"], interval: 1s, timeout: 1s, retries: 3 }
`,
  );
}

/** The Swarm stage's rolling update against the Compose stage's stop → rm → up. */
export async function swarm(ctx: Ctx): Promise<Group> {
  if (!part(ctx.tb, "swarm")) throw new Error("the test bed has no swarm");
  const app = makeSwarmApp(ctx.tb);
  const port = 20000 + Math.floor(Math.random() * 10000);
  const failures: number[] = [];
  try {
    for (const v of ["v1", "v2"]) {
      await app.push(v, false, v);
      composeStage(app, ctx, port, v);
      const r = await app.run(["build", "cmp", "--tag", v], { CONTENT: v });
      if (r.code !== 0) throw new Error(`build cmp ${v}: ${r.stderr}`);
    }
    // each side alternates v2, v1, v2, …: every run deploys a new image
    const turns = { sw: 0, cmp: 0 };
    const tag = (side: "sw" | "cmp") => ["v2", "v1"][turns[side]++ % 2];
    const fleet = async (stage: string, ...more: string[]) => {
      const r = await app.run(["deploy", stage, "--yes", ...more]);
      if (r.code !== 0) throw new Error(`deploy ${stage}: ${r.stderr}`);
    };
    // both stages serve v1 before the first measured deploy (untimed)
    app.stage("", "tag: v1\n");
    await fleet("sw");
    composeStage(app, ctx, port, "v1");
    await fleet("cmp", "--no-pull");
    const s = await measure(
      "swarm",
      [
        {
          name: "swarm",
          run: async () => {
            app.stage("", `tag: ${tag("sw")}\n`);
            const r = await during(app.urls, () => fleet("sw"));
            failures.push(r.failures);
            return r.longestGapMs;
          },
        },
        {
          name: "compose",
          run: async () => {
            composeStage(app, ctx, port, tag("cmp"));
            const url = `http://127.0.0.1:${port}/`;
            return (await during([url], () => fleet("cmp", "--no-pull"))).longestGapMs;
          },
        },
      ],
      ctx.runs,
      ctx.log,
    );
    const failed = failures.reduce((a, b) => a + b, 0);
    return {
      name: "swarm",
      title: "2b. Outage on a Swarm stage",
      rows: [{
        label: `outage, Swarm stage (2 replicas on 3 nodes, start-first): longest gap with no ` +
          `answer from any node vs the Compose stage (stop → rm → up); failed rounds: ${failed}`,
        fleet: s.swarm,
        baseline: s.compose,
        target: {
          kind: "ratio",
          max: 0.5,
          why: "no failed round; a gap no longer than a poll stall",
        },
      }],
      notes: [
        "The test bed's swarm: 3 dockerd 20.10 in network namespaces, node 1 the manager; this " +
        "kernel has no IPVS, so no routing mesh: the service publishes host-mode ports with " +
        "endpoint_mode dnsrr, and the client tries every node in turn (as a load balancer " +
        "would). Images v1 and v2 (busybox httpd, `trap 'exit 0' TERM`, healthcheck on /ok every " +
        "1s) are in the bed's registry; each run deploys the other tag (`tag:` in the stage " +
        "file; `fleet deploy sw --yes`: digests resolved in the registry, fleet's own wait for the " +
        "update to complete).",
        `A poller (testbed/poll.ts) fetches every ${POLL.intervalMs} ms, each round trying the ` +
        `nodes in turn until one answers (new connection each time, ${POLL.timeoutMs} ms ` +
        "timeout); a round where none answered is a failed round. The number is the longest " +
        "time between two answers: on Swarm, a request to a node whose task is going away can " +
        `hang until its timeout before the next node answers (a poll stall of ≤ ${POLL.timeoutMs} ms).`,
        `Compose side: the same app as a Compose stage on engine 1 (loopback port), ` +
        `\`fleet deploy cmp --yes --no-pull\`: stop → rm → up. Failed rounds on the Swarm side: ${
          failures.join(", ")
        } (every run, warm-up included); median gap ${fmtMs(median(s.swarm))}.`,
      ],
    };
  } finally {
    await app.run(["down", "cmp", "--yes"]);
    await app.cleanup();
  }
}
