/**
 * The e2e harness: the test bed (testbed/bed.ts, shared with the bench) for tests. Where no
 * engine can be had, e2e tests are ignored with a printed reason; with FLEET_E2E=required (CI)
 * they fail instead.
 */
import { join } from "node:path";
import { type Testbed, testbed } from "../../testbed/bed.ts";

export {
  docker,
  fleet,
  type FleetRun,
  freePort,
  part,
  pushRetried,
  type Testbed,
  testbed,
  type TestbedPart,
  uniqueName,
} from "../../testbed/bed.ts";

/**
 * Why this process runs no e2e test, decided once before any is registered: FLEET_E2E=skip, or
 * the test bed's own answer (`testbed.sh up`, ~1 s when it is up). Such tests are registered as
 * ignored, so Deno's closing line counts them as "ignored", not "passed". Under FLEET_E2E=required
 * nothing is ignored: each test fails with the reason instead.
 */
const E2E = Deno.env.get("FLEET_E2E");
const ignoreReason = E2E === "required" ? undefined : await absentReason();

async function absentReason(): Promise<string | undefined> {
  if (E2E === "skip") return "FLEET_E2E=skip";
  const tb = await testbed();
  return typeof tb === "string" ? tb : undefined;
}
if (ignoreReason) console.error(`e2e tests ignored: ${ignoreReason}`);

/**
 * Define an e2e test: it gets the test bed, or is ignored where the bed is absent (and fails
 * when FLEET_E2E=required).
 */
export function e2e(name: string, fn: (tb: Testbed) => Promise<void>): void {
  Deno.test({
    name: `e2e: ${name}`,
    ignore: ignoreReason !== undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const tb = await testbed();
      if (typeof tb === "string") throw new Error(`FLEET_E2E=required but ${tb}`);
      await fn(tb);
    },
  });
}

/**
 * A recording docker shim: a dir to put first on PATH whose `docker` logs its argv (one line
 * per call), then runs the real docker. Pass `env` to fleet: it puts the dir first on PATH and
 * has fleet log the docker commands it answers over the engine's API to the same file.
 */
export function dockerShim(): {
  bin: string;
  log: string;
  env: Record<string, string>;
  calls: () => string[];
} {
  const bin = Deno.makeTempDirSync({ prefix: "fleet-shim-" });
  const log = join(bin, "calls.log");
  const real = new TextDecoder().decode(
    new Deno.Command("sh", { args: ["-c", "command -v docker"], stdout: "piped" }).outputSync()
      .stdout,
  ).trim();
  Deno.writeTextFileSync(
    join(bin, "docker"),
    // one line per call: arguments that hold newlines (a label with YAML) are folded
    `#!/bin/sh\nprintf '%s' "$*" | tr '\\n' ' ' >> "${log}"\necho >> "${log}"\nexec "${real}" "$@"\n`,
  );
  Deno.chmodSync(join(bin, "docker"), 0o755);
  Deno.writeTextFileSync(log, "");
  return {
    bin,
    log,
    // what fleet asks the local engine over its API is logged to the same file (engine_api.ts)
    env: { PATH: `${bin}:${Deno.env.get("PATH")}`, FLEET_ENGINE_API_LOG: log },
    calls: () => Deno.readTextFileSync(log).split("\n").filter(Boolean),
  };
}
