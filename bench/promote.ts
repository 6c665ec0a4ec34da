/**
 * Scenario 5, promote: putting the images `dev` runs under `pre`'s names. `fleet promote dev pre`
 * (imagetools: by digest, in the registry) against rebuilding and pushing the same services for
 * `pre` with fleet's own build, from scratch (what a fresh CI runner without cache does) and with
 * every layer cached (the best case of a rebuild).
 */
import { exec, fleetArgv, type Group, measure, tempProject, uniqueName } from "./lib.ts";
import { pruneBuildCache, removeImages } from "./engine.ts";
import type { Ctx } from "./lib.ts";

const SERVICES = ["s1", "s2", "s3", "s4"];
const SLEEP_S = 2;

/** Two buildx stages, dev and pre, of 4 services each, in the test bed's registry. */
function project(name: string, registry: string): string {
  const stage = (s: string) =>
    [`project: ${name}`, `registry: ${registry}`, "buildx: true", "platform: linux/amd64", ""]
      .join("\n") + `# ${s}\n`;
  const files: Record<string, string> = {
    "stages/_base.yaml": ["services:", ...SERVICES.map((s) => `  ${s}: { build: {} }`), ""]
      .join("\n"),
    "stages/dev.yaml": stage("dev"),
    "stages/pre.yaml": stage("pre"),
  };
  for (const s of SERVICES) {
    files[`${s}/Dockerfile`] = [
      "FROM busybox",
      `LABEL fleet-bench=${name}`,
      `RUN echo ${name}-${s} > /id && sleep ${SLEEP_S} && dd if=/dev/zero of=/blob bs=1M count=4`,
      "",
    ].join("\n");
  }
  return tempProject("fleet-bench-promote-", files);
}

/** Time `fleet promote dev pre` against `fleet build pre --push`, cold and cached. */
export async function promote(ctx: Ctx): Promise<Group> {
  const name = uniqueName("fbp");
  const dir = project(name, ctx.tb.registry);
  const timed = (...args: string[]) => async () =>
    (await exec(fleetArgv(...args), { cwd: dir })).ms;
  try {
    await exec(fleetArgv("build", "dev", "--push"), { cwd: dir });
    const cold = "rebuild and push, no cache";
    const warm = "rebuild and push, cached";
    const s = await measure(
      "promote",
      [
        { name: "fleet", run: timed("promote", "dev", "pre") },
        { name: cold, run: timed("build", "pre", "--push", "--no-cache") },
        { name: warm, run: timed("build", "pre", "--push") },
      ],
      ctx.runs,
      ctx.log,
    );
    return {
      name: "promote",
      title: "5. Promote",
      rows: [{
        label:
          "promote, 4 services: `fleet promote dev pre` vs rebuilding and pushing them (`fleet build pre --push --no-cache`)",
        fleet: s.fleet,
        baseline: s[cold],
        target: { kind: "ratio", max: 0.5 },
      }, {
        label:
          "promote, 4 services: `fleet promote dev pre` vs a rebuild with every layer cached (`fleet build pre --push`)",
        fleet: s.fleet,
        baseline: s[warm],
        target: { kind: "none" },
      }],
      notes: [
        `Two buildx stages (dev, pre; registry ${ctx.tb.registry}) with the 4 services of ` +
        `scenario 3 (\`RUN sleep ${SLEEP_S} && dd … count=4\`); \`fleet build dev --push\` ran ` +
        "once before (untimed).",
        "fleet: `fleet promote dev pre` (per service, three at a time: `imagetools inspect` of " +
        "dev's tag, `imagetools create -t <pre tag> <dev repo>@<digest>`, `imagetools inspect` of " +
        "the result; nothing is pulled or built). Baselines: the same images rebuilt for pre and " +
        "pushed by fleet's own build (-j 3), from scratch (`--no-cache`: a fresh CI runner) and " +
        "with every layer in the engine's cache (the cheapest rebuild there is).",
        "Target: promoting costs at most half a rebuild; the cached row is context.",
      ],
    };
  } finally {
    await removeImages(`reference=${ctx.tb.registry}/${name}-*`);
    await removeImages(`label=fleet-bench=${name}`);
    await pruneBuildCache(name);
    Deno.removeSync(dir, { recursive: true });
  }
}
