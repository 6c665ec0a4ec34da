#!/usr/bin/env -S deno run -A
/**
 * fleet doctor [stage] — is this machine (and each stage's host) ready for fleet? One line per
 * check, ✔ or ✘ with a fix: Deno, the docker CLI, its compose and buildx plugins against the
 * minimum versions, the local engine; then per stage (the one named, or every stage): the stage
 * file, its host and engine version, Swarm manager (Swarm stages), the registry and the
 * credentials for it (pushing stages), the deploy lock, and ssh connection sharing (ssh hosts).
 * Independent checks run concurrently. Exit 0 when all pass, 1 otherwise.
 *
 *   deno run -A scripts/doctor.ts [stage] [--json] [-C <dir>]
 *
 * To use it in another repo, copy this script with lib/ (whole) and the "imports" of deno.json.
 */
import type { Deps } from "../lib/core/deps.ts";
import { FleetError, UsageError } from "../lib/core/errors.ts";
import { findRoot, listStages, loadStage, type Stage } from "../lib/config/stage.ts";
import type { Target } from "../lib/docker/target.ts";
import {
  type Check,
  cliCheck,
  engineProbe,
  failedCheck,
  hostChecks,
  notChecked,
  pluginCheck,
  type Probe,
  versionCheck,
} from "../lib/doctor/probes.ts";
import { type Answer, askRegistry } from "../lib/doctor/registry_check.ts";
import { userDockerConfig } from "../lib/docker/docker_config.ts";
import { MINIMUM } from "../lib/docker/versions.ts";
import { useColorOut } from "../lib/core/ui.ts";
import { stageChecks } from "../lib/doctor/readiness.ts";
import { doctorJson, doctorText } from "../lib/doctor/doctor_text.ts";

const LOCAL = "the local engine";

export interface DoctorOptions {
  readonly dir?: string;
  readonly json?: boolean;
}

/** What doctor found: every check, and whether all passed. */
export interface DoctorReport {
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

/** The side effects doctor has beyond Deps: HTTP to registries, and the Deno version. */
export interface DoctorIo {
  readonly fetch: typeof fetch;
  readonly deno: string;
}

/** Run the checks, print them, and throw (exit 1) when one failed. */
export async function doctor(
  stage: string | undefined,
  opts: DoctorOptions,
  deps: Deps,
  io: DoctorIo = { fetch, deno: Deno.version.deno },
): Promise<DoctorReport> {
  const stages = loadStages(stage, opts, deps);
  const checks = await runChecks(stages, deps, io);
  const ok = checks.every((c) => c.ok);
  const color = !opts.json && useColorOut(deps.env);
  deps.ui.out(opts.json ? doctorJson(checks) : doctorText(checks, color));
  if (stages.length === 0 && !opts.json) {
    deps.ui.info("no project here (no stages/): checked this machine only");
  }
  if (!ok) {
    const n = checks.filter((c) => !c.ok && !c.skipped).length;
    const skipped = checks.filter((c) => c.skipped).length;
    const more = skipped ? ` (${skipped} more not run)` : "";
    throw new FleetError(`${n} of ${checks.length} checks failed${more}`, {
      hint: opts.json ? 'see the checks with "ok": false' : "each ✘ line says what to do",
    });
  }
  return { checks, ok };
}

/** The named stage (an unknown one is a usage error: nothing has run), or every stage. */
function loadStages(
  stage: string | undefined,
  opts: DoctorOptions,
  deps: Deps,
): (Stage | { name: string; error: FleetError })[] {
  let root: string;
  try {
    root = findRoot(deps.cwd, opts.dir);
  } catch (e) {
    if (stage || opts.dir || !(e instanceof UsageError)) throw e;
    return [];
  }
  return (stage ? [stage] : listStages(root)).map((name) => {
    try {
      return loadStage(root, name);
    } catch (e) {
      if (e instanceof UsageError || !(e instanceof FleetError)) throw e;
      return { name, error: e };
    }
  });
}

async function runChecks(
  stages: readonly (Stage | { name: string; error: FleetError })[],
  deps: Deps,
  io: DoctorIo,
): Promise<Check[]> {
  const deno = versionCheck("deno", io.deno, MINIMUM.deno, "install Deno 2: https://deno.com");
  const cli = await cliCheck(deps);
  const loaded = stages.filter((s): s is Stage => !("error" in s));
  const needBuildx = stages.length === 0 || loaded.some((s) => s.buildx);
  const local: Target = {
    env: {},
    dockerArgv: ["docker"],
    label: deps.env.DOCKER_HOST || LOCAL,
  };
  const localProbe = cli.ok ? engineProbe(deps, local) : undefined;
  const registries = new Map<string, Promise<Answer>>();
  const ask = (host: string) => {
    if (!registries.has(host)) registries.set(host, askRegistry(host, io.fetch));
    return registries.get(host)!;
  };
  const config = userDockerConfig(deps.env);
  const machine = cli.ok
    ? Promise.all([
      pluginCheck(deps, "compose", true),
      pluginCheck(deps, "buildx", needBuildx),
      localProbe!.then((p) => localCheck(local, p)),
    ])
    : Promise.resolve(["compose", "buildx", "local engine"].map((n) => notChecked(n, "docker")));
  const perStage = stages.map((s) =>
    "error" in s
      ? Promise.resolve([failedCheck(`${s.name}: config`, s.error)])
      : stageChecks(s, deps, { cli, localProbe, ask, config, fetch: io.fetch })
  );
  return [deno, cli, ...(await machine), ...(await Promise.all(perStage)).flat()];
}

function localCheck(target: Target, p: Probe): Check {
  const [host, engine] = hostChecks("", target, p);
  if (!host.ok) return { ...host, name: "local engine" };
  const at = target.label === LOCAL ? "" : ` at ${target.label}`;
  return { ...engine, name: "local engine", detail: `${engine.detail}${at}` };
}

if (import.meta.main) {
  const { doctorCommand, parseAndLeave, runEdge, usageExits } = await import(
    "../lib/cli/commands.ts"
  );
  const { defaultDeps } = await import("../lib/core/deps.ts");
  const { diagnose } = await import("../lib/docker/diagnose.ts");
  let code = 0;
  const cli = usageExits(doctorCommand()).action(async (stage, opts) => {
    code = await runEdge((signal) =>
      doctor(stage ?? Deno.env.get("FLEET_STAGE"), opts, defaultDeps(signal, { diagnose }))
    );
  });
  await parseAndLeave(() => cli.parseAsync(Deno.args, { from: "user" }), () => code);
}
