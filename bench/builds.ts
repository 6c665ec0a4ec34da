/**
 * Scenario 3, builds: a 4-service project whose builds wait on I/O. fleet's concurrent build
 * against the very `docker buildx build` calls fleet plans (lib/images/plan.ts), run one after
 * another; and a no-change rebuild (all cached) against the raw buildx no-ops.
 */
import { resolveBuilds } from "../lib/images/inputs.ts";
import { planBuild } from "../lib/images/plan.ts";
import { loadStage } from "../lib/config/stage.ts";
import {
  exec,
  fleetArgv,
  type Group,
  measure,
  type Row,
  type Side,
  tempProject,
  uniqueName,
} from "./lib.ts";
import { pruneBuildCache, removeImages } from "./engine.ts";
import type { Ctx } from "./lib.ts";

const SERVICES = ["s1", "s2", "s3", "s4"];
const STAGE = "bench";
const SLEEP_S = 2;

/** The project: a buildx stage on the local engine, images named for the test bed's registry. */
function project(name: string, registry: string): string {
  const files: Record<string, string> = {
    [`stages/${STAGE}.yaml`]: [
      `project: ${name}`,
      `registry: ${registry}`,
      "buildx: true",
      "platform: linux/amd64",
      "services:",
      ...SERVICES.map((s) => `  ${s}: { build: {} }`),
      "",
    ].join("\n"),
  };
  for (const s of SERVICES) {
    // waits like a download, then writes a few MB: I/O-bound, not CPU-bound (2 cores here)
    files[`${s}/Dockerfile`] = [
      "FROM busybox",
      `LABEL fleet-bench=${name}`,
      `RUN echo ${name}-${s} > /id && sleep ${SLEEP_S} && dd if=/dev/zero of=/blob bs=1M count=4`,
      "",
    ].join("\n");
  }
  return tempProject("fleet-bench-builds-", files);
}

/** The argv fleet runs for each service (its own planner), with metadata files under `tmp`. */
function plannedArgvs(dir: string, cache: boolean, tmp: string): string[][] {
  const stage = loadStage(dir, STAGE);
  const env = Deno.env.toObject();
  const builds = resolveBuilds(stage, { cache }, env, (p) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  });
  const plan = planBuild(stage, builds, { cache }, { tmp, env });
  return plan.services.flatMap((p) => p.steps.map((s) => [...s.argv]));
}

const sequential = (argvs: string[][], cwd: string): Side => ({
  name: "buildx one after another",
  run: async () => {
    const t0 = performance.now();
    for (const argv of argvs) await exec(argv, { cwd });
    return performance.now() - t0;
  },
});

/** Time cold builds (--no-cache) and no-change rebuilds, fleet against raw buildx. */
export async function builds(ctx: Ctx): Promise<Group> {
  const name = uniqueName("fbb");
  const dir = project(name, ctx.tb.registry);
  const tmp = Deno.makeTempDirSync({ prefix: "fleet-bench-builds-meta-" }); // outside the context
  const timed = (...args: string[]) => async () =>
    (await exec(fleetArgv("build", STAGE, ...args), { cwd: dir })).ms;
  try {
    const rows: Row[] = [];
    const cold = await measure(
      "builds, cold",
      [
        { name: "fleet", run: timed("--no-cache") },
        { name: "fleet -j 4", run: timed("--no-cache", "-j", "4") },
        sequential(plannedArgvs(dir, false, tmp), dir),
      ],
      ctx.runs,
      ctx.log,
    );
    const seqName = "buildx one after another";
    rows.push({
      label:
        "builds, 4 services, cold: `fleet build` (-j 3, default) vs the same buildx calls in sequence",
      fleet: cold.fleet,
      baseline: cold[seqName],
      target: { kind: "ratio", max: 0.7 },
    }, {
      label: "builds, 4 services, cold: `fleet build -j 4` vs the same buildx calls in sequence",
      fleet: cold["fleet -j 4"],
      baseline: cold[seqName],
      target: { kind: "ratio", max: 0.7 },
    });

    const cached = plannedArgvs(dir, true, tmp);
    const warm = await measure(
      "builds, no change",
      [
        { name: "fleet", run: timed() },
        sequential(cached, dir),
        {
          name: "buildx all at once",
          run: async () => {
            const t0 = performance.now();
            await Promise.all(cached.map((argv) => exec(argv, { cwd: dir })));
            return performance.now() - t0;
          },
        },
      ],
      ctx.runs,
      ctx.log,
    );
    rows.push({
      label: "builds, 4 services, no change: `fleet build` vs the same buildx calls all at once",
      fleet: warm.fleet,
      baseline: warm["buildx all at once"],
      target: { kind: "ratio", max: 1.25 },
    }, {
      label: "builds, 4 services, no change: `fleet build` vs the same buildx calls in sequence",
      fleet: warm.fleet,
      baseline: warm[seqName],
      target: { kind: "none" },
    });
    return {
      name: "builds",
      title: "3. Builds",
      rows,
      notes: [
        `A buildx stage (\`platform: linux/amd64\`, registry ${ctx.tb.registry}, no --push: images are ` +
        `loaded into engine 1, the docker driver) with 4 services, each \`FROM busybox\` + ` +
        `\`RUN sleep ${SLEEP_S} && dd if=/dev/zero of=/blob bs=1M count=4\`: the time is spent ` +
        "waiting (like a download), so running builds side by side pays off even on 2 cores.",
        "Cold: `fleet build bench --no-cache` (default -j 3: three builds, then the fourth) and " +
        "`-j 4`, against the argv fleet's own planner (`planBuild`) gives for the same options, run " +
        "one after another with no shell in between (what a hand-written build script does).",
        "No change: the images are built; `fleet build bench` against the same (cached) buildx " +
        "calls, run all at once (the raw no-op, the target: ratio ≤ 1.25) and one after another " +
        "(context). Every buildx call looks for registry cache (`--cache-from type=registry`) that " +
        "the test bed's registry does not have (nothing is pushed): fleet and the baseline alike.",
      ],
    };
  } finally {
    await removeImages(`reference=${ctx.tb.registry}/${name}-*`);
    await removeImages(`label=fleet-bench=${name}`);
    await pruneBuildCache(name);
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(tmp, { recursive: true });
  }
}
