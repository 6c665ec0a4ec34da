/**
 * Scenario 2, outage window: while a service is redeployed to a new image whose new layer
 * weighs ~50 MB, a client polls it every 10 ms; the longest gap with no answer is the outage.
 * fleet (pull before stop) against the original FleetFlow order (stop → rm → pull → up), and
 * against itself with the new image already on the engine (does the gap grow with the pull?).
 */
import { freePort } from "../testbed/bed.ts";
import { exec, fleetArgv, fmtMs, type Group, measure, median, tempProject } from "./lib.ts";
import { uniqueName } from "./lib.ts";
import { cleanup, pruneBuildCache, removeImages } from "./engine.ts";
import {
  PULL,
  removeDeployment,
  RM,
  scriptOf,
  STOP,
  type Svc,
  UP,
  writeStage,
} from "./deploy_project.ts";
import type { Ctx } from "./lib.ts";

const LAYER_MB = 50;
const POLL_MS = 10;
const POLL_LIMIT_MS = 180_000; // the poller never runs longer than this

/** Poll http://127.0.0.1:port/ every 10 ms (start to start) until stopped; keeps answer times. */
function poller(port: number) {
  const answers: number[] = [];
  let stopped = false;
  const done = (async () => {
    const end = performance.now() + POLL_LIMIT_MS;
    while (!stopped && performance.now() < end) {
      const t = performance.now();
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.ok) answers.push(performance.now());
      } catch { /* no answer: that is what we measure */ }
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (performance.now() - t))));
    }
  })();
  return {
    answers,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`outage: ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Run `deploy` while polling; the longest time between two answers is the outage (ms). */
async function gapDuring(port: number, deploy: () => Promise<unknown>): Promise<number> {
  const p = poller(port);
  try {
    await until("no answer before the deploy", () => p.answers.length > 0, 10_000);
    await deploy();
    const end = performance.now();
    await until("no answer after the deploy", () => p.answers.some((t) => t > end), 30_000);
  } finally {
    await p.stop();
  }
  let gap = 0;
  for (let i = 1; i < p.answers.length; i++) gap = Math.max(gap, p.answers[i] - p.answers[i - 1]);
  return gap;
}

/** Build v1 (httpd) and v2 (v1 + a random ~50 MB layer), push both, keep only v1 locally. */
async function images(
  repo: string,
  marker: string,
): Promise<{ v1: string; v2: string; v2id: string }> {
  const [v1, v2] = [`${repo}:v1`, `${repo}:v2`];
  const dir = tempProject("fleet-bench-outage-img-", {
    "v1/Dockerfile": [
      "FROM busybox",
      `LABEL fleet-bench=${marker}`,
      `RUN echo ${marker} && mkdir -p /www && echo v1 > /www/index.html`,
      'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
      "",
    ].join("\n"),
    "v2/Dockerfile": [
      `FROM ${v1}`,
      `RUN echo ${marker} && dd if=/dev/urandom of=/blob bs=1M count=${LAYER_MB} && echo v2 > /www/index.html`,
      "",
    ].join("\n"),
  });
  try {
    for (const [ref, sub] of [[v1, "v1"], [v2, "v2"]]) {
      await exec(["docker", "buildx", "build", "--load", "-t", ref, `${dir}/${sub}`]);
      await exec(["docker", "push", "--quiet", ref]);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const v2id = (await exec(["docker", "image", "inspect", "--format", "{{.Id}}", v2])).stdout
    .trim();
  await exec(["docker", "image", "rm", "--force", v2id]);
  // the build cache holds v2's layer too: without this, a pull finds it and downloads nothing
  await pruneBuildCache(marker);
  return { v1, v2, v2id };
}

/** fleet vs the original order, and fleet with vs without the pull, alternating. */
export async function outage(ctx: Ctx): Promise<Group> {
  const name = uniqueName("fbg");
  const repo = `${ctx.tb.registry}/${name}-web`;
  const cp = `${name}-local`;
  const dir = tempProject("fleet-bench-outage-", {
    "original.sh": scriptOf([STOP, RM, PULL, UP]),
    "prepare.sh": scriptOf([STOP, RM, UP]),
  });
  try {
    const img = await images(repo, name);
    const port = freePort();
    const svc = (image: string): Svc[] => [{ name: "web", image, port }];
    await writeStage(dir, name, svc(img.v1), "v1.yml");
    await writeStage(dir, name, svc(img.v2), "v2.yml"); // the stage file fleet deploys: v2
    const pullMs = [];
    for (let i = 0; i < 3; i++) {
      const pull = await exec(["docker", "pull", img.v2]);
      if (!pull.stdout.includes("Pull complete")) {
        throw new Error(`outage: the pull of ${img.v2} downloaded nothing:\n${pull.stdout}`);
      }
      pullMs.push(pull.ms);
      await exec(["docker", "image", "rm", "--force", img.v2id]);
    }
    // each run starts from v1 serving; "pull" sides also from v2 absent (so the pull downloads)
    const prepare = async (v2: "absent" | "present") => {
      await exec(["sh", "prepare.sh", cp, "v1.yml"], { cwd: dir });
      if (v2 === "absent") await cleanup(["docker", "image", "rm", "--force", img.v2id]);
      else await exec(["docker", "pull", "--quiet", img.v2]);
    };
    const side = (label: string, v2: "absent" | "present", deploy: () => Promise<unknown>) => ({
      name: label,
      run: async () => {
        await prepare(v2);
        return await gapDuring(port, deploy);
      },
    });
    const fleet = () => exec(fleetArgv("deploy", "local", "--yes"), { cwd: dir });
    const original = () => exec(["sh", "original.sh", cp, "v2.yml"], { cwd: dir });
    const s = await measure(
      "outage",
      [
        side("fleet", "absent", fleet),
        side("original", "absent", original),
        side("fleet, present", "present", fleet),
      ],
      ctx.runs,
      ctx.log,
    );
    return {
      name: "outage",
      title: "2. Outage window",
      rows: [{
        label:
          `outage, new image +${LAYER_MB} MB: fleet (pull → stop → rm → up) vs stop → rm → pull → up`,
        fleet: s.fleet,
        baseline: s.original,
        target: { kind: "none" },
      }, {
        label: `outage: fleet with the ${LAYER_MB} MB pull vs fleet with the image already present`,
        fleet: s.fleet,
        baseline: s["fleet, present"],
        target: { kind: "ratio", max: 1.1 },
      }],
      notes: [
        `One service (busybox httpd, healthcheck interval 1s) on a loopback port; v1 and v2 = v1 + ` +
        `a ${LAYER_MB} MB layer of random bytes (incompressible) are pushed to the test bed's ` +
        `registry. A \`docker pull\` of v2 with v1 present took ${pullMs.map(fmtMs).join(", ")} ` +
        `(median ${fmtMs(median(pullMs))}).`,
        "Each run starts from v1 serving (Compose stop → rm → up --wait, untimed) and, for the " +
        "first two sides, with every tag of v2 removed from the engine, so the pull really " +
        "downloads the layer. A poller fetches http://127.0.0.1:<port>/ every 10 ms (new " +
        "connection each time, 1 s timeout) from before the deploy until it answers after it; " +
        "the number is the longest time between two answers.",
        "fleet: `deno run -A mod.ts deploy local --yes` (pull before stop). Original order: " +
        "`sh original.sh`: `docker compose stop`, `rm --force --stop`, `pull --quiet`, " +
        "`up --detach --no-build --pull never --wait`, on the model fleet renders. " +
        '"Image already present": the same fleet command after `docker pull` of v2.',
        "Target: the gap does not grow with the pull, read as: fleet's median gap with the pull " +
        "≤ 1.10× its gap when there is nothing to download. The first row is context.",
      ],
    };
  } finally {
    await removeDeployment(dir, cp, "v2.yml");
    await removeImages(`reference=${repo}*`);
    await removeImages(`label=fleet-bench=${name}`);
    await pruneBuildCache(name);
    Deno.removeSync(dir, { recursive: true });
  }
}
