/**
 * Scenario 1, overhead: `fleet deploy local --yes --no-pull` against a plain shell script doing
 * the same Compose stop → rm → up (+ wait until running/healthy) on the same model, 1 and 5
 * services of the demo's image.
 */
import { join } from "node:path";
import { freePort } from "../testbed/bed.ts";
import { exec, fleetArgv, type Group, measure, ROOT, type Row, tempProject } from "./lib.ts";
import { uniqueName } from "./lib.ts";
import { removeImages } from "./engine.ts";
import { callSummary, traceCalls } from "./trace.ts";
import {
  removeDeployment,
  RM,
  scriptOf,
  STOP,
  type Svc,
  UP,
  writeStage,
} from "./deploy_project.ts";
import type { Ctx } from "./lib.ts";

const NO_API = { FLEET_ENGINE_API: "0", FLEET_DIRECT_COMPOSE: "0" };

async function compare(
  ctx: Ctx,
  image: string,
  count: number,
  traces: string[],
): Promise<Row[]> {
  const project = uniqueName("fbo");
  const services: Svc[] = Array.from({ length: count }, (_, i) => ({
    name: `web${i + 1}`,
    image,
    port: freePort(),
  }));
  const dir = tempProject("fleet-bench-overhead-", { "deploy.sh": scriptOf([STOP, RM, UP]) });
  const cp = `${project}-local`;
  try {
    await writeStage(dir, project, services, "compose.yml");
    const what = `overhead, ${count} service${count > 1 ? "s" : ""}`;
    const fleet = fleetArgv("deploy", "local", "--yes", "--no-pull");
    const script = ["sh", "deploy.sh", cp, "compose.yml"];
    const s = await measure(
      what,
      [
        { name: "fleet", run: async () => (await exec(fleet, { cwd: dir })).ms },
        { name: "script", run: async () => (await exec(script, { cwd: dir })).ms },
        // the same deploy with a docker process for every question (no engine API): context
        { name: "processes", run: async () => (await exec(fleet, { cwd: dir, env: NO_API })).ms },
      ],
      ctx.runs,
      ctx.log,
    );
    const calls = [
      await traceCalls(fleet, { cwd: dir }),
      await traceCalls(script, { cwd: dir }),
      await traceCalls(fleet, { cwd: dir, env: NO_API }),
    ];
    traces.push(
      `${what}, one traced run each (untimed): fleet ${callSummary(calls[0])}; ` +
        `the script ${
          callSummary(calls[1])
        }; fleet with FLEET_ENGINE_API=0 FLEET_DIRECT_COMPOSE=0 ${callSummary(calls[2])}.`,
    );
    return [{
      label:
        `${what}: \`fleet deploy local --yes --no-pull\` vs plain script (stop → rm → up --wait)`,
      fleet: s.fleet,
      baseline: s.script,
      target: { kind: "ratio", max: 1.1 },
    }, {
      label: `${what}: fleet (engine API, Compose plugin run directly) vs fleet with the docker ` +
        "CLI for each (`FLEET_ENGINE_API=0 FLEET_DIRECT_COMPOSE=0`)",
      fleet: s.fleet,
      baseline: s.processes,
      target: { kind: "none" },
    }];
  } finally {
    await removeDeployment(dir, cp, "compose.yml");
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Deploy 1 and 5 services with fleet and with the plain script, alternating. */
export async function overhead(ctx: Ctx): Promise<Group> {
  const repo = uniqueName("fleet-bench-demo-");
  const image = `${repo}:latest`;
  try {
    await exec([
      "docker",
      "buildx",
      "build",
      "--load",
      "-t",
      image,
      "-f",
      join(ROOT, "demo/web/Dockerfile"),
      join(ROOT, "demo"),
    ]);
    const traces: string[] = [];
    const rows = [
      ...await compare(ctx, image, 1, traces),
      ...await compare(ctx, image, 5, traces),
    ];
    return {
      name: "overhead",
      title: "1. Deploy overhead",
      rows,
      notes: [
        "The demo's image (demo/web: busybox httpd) built once, local only; a temp project whose " +
        "`local` stage has 1 or 5 such services, each on its own loopback port, with the demo's " +
        "healthcheck (wget) at interval 1s, so both sides wait for `healthy`, and `init: true` so " +
        "a stop takes well under a second (without it, busybox httpd as PID 1 ignores SIGTERM " +
        "and every `stop` waits Docker's 10 s grace period on both sides, hiding fleet's cost).",
        "fleet: `deno run -A mod.ts deploy local --yes --no-pull` (everything it does around " +
        "stop → rm → up and its health wait is in the traces below). Baseline: `sh deploy.sh` on " +
        "`fleet config local --compose`'s model: `docker compose stop`, `rm --force --stop`, " +
        "`up --detach --no-build --pull never --wait` (Compose's own wait for running/healthy). " +
        "Both start from the stage already running (the warm-up deploys it).",
        "On a local engine fleet asks its bookkeeping questions (image and platform inspect, " +
        "ps, lock, release records) over the engine's unix socket (lib/docker/engine_client.ts, its API implementation), " +
        "1–3 ms each instead of a 20–90 ms docker process, and runs `docker compose …` as the " +
        "Compose plugin binary itself (lib/docker/compose_plugin.ts: no docker CLI start, ~45 ms " +
        "per call), each process started without a shell in between (zx's spawn option); the " +
        "baseline script keeps `docker compose`. The context rows run the same " +
        "deploy with `FLEET_ENGINE_API=0 FLEET_DIRECT_COMPOSE=0` (a docker process for each), in the same rounds; in the " +
        "traces, the plugin's calls are logged by a shim plugin as `docker compose …`.",
        "Where the rest of the gap goes (issue 16): the time outside the processes is mostly " +
        "start-up — Deno, loading the modules (commander and its node: modules, yaml, valibot), " +
        "the stage files, zx — before the first process (see scenario 4: ~100–150 ms); then " +
        "Compose's check of the model (`docker compose config --quiet`, ~60–90 ms), which must end " +
        "before anything runs on the host (issue 10: a model Compose rejects is exit 2 with " +
        "nothing run), so it cannot overlap the host's queries or the stop. Both sides run the " +
        "same stop → rm → up.",
        ...traces,
      ],
    };
  } finally {
    await removeImages(`reference=${repo}*`);
  }
}
