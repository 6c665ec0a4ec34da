/**
 * The checks of `fleet doctor` that ask docker: the CLI and its plugins against the minimum
 * versions, an engine (reachable? which version? a Swarm manager?). Each answers a Check; a
 * failed call says why through lib/docker/diagnose.ts, so doctor and the commands word a
 * problem the same way.
 */
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import { failed, type Step } from "../core/run.ts";
import type { Target } from "../docker/target.ts";
import { diagnose } from "../docker/diagnose.ts";
import type { Mux } from "../docker/ssh_mux.ts";
import { atLeast, MINIMUM, parseVersion } from "../docker/versions.ts";

/** One line of `fleet doctor`: what was checked, whether it is fine, and what to do if not. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
  /** Not run, because the check it depends on failed (ok is false). */
  readonly skipped?: boolean;
}

/** What a probe's call printed, or the error that says why it failed. */
export type Probe = { readonly out: string } | { readonly error: FleetError };

/** Run a probe step; a failure becomes the diagnosed error (or the plain CommandError). */
export async function probe(deps: Deps, step: Step): Promise<Probe> {
  try {
    const r = await deps.runner.run(step, { check: false });
    if (r.code === 0) return { out: r.stdout.trim() };
    return { error: diagnose(step, r, { ...deps.env, ...step.env }) ?? failed(step, r) };
  } catch (e) {
    if (e instanceof FleetError) return { error: e };
    throw e;
  }
}

/** A failed check from an error: its message, and its hint as the fix. */
export function failedCheck(name: string, e: FleetError, fix?: string): Check {
  // a hint that points at `fleet doctor` is no fix inside doctor
  const hint = e.hint?.replace(/;[^;]*`fleet doctor`[^;]*$/, "");
  return { name, ok: false, detail: e.message, fix: fix ?? hint };
}

/**
 * A version against its minimum.
 * @example versionCheck("deno", "2.9.6", "2.0", "…") // { name: "deno", ok: true, detail: "2.9.6 (≥ 2.0)" }
 */
export function versionCheck(name: string, version: string, min: string, fix: string): Check {
  return atLeast(version, min)
    ? { name, ok: true, detail: `${version} (≥ ${min})` }
    : { name, ok: false, detail: `${version} is older than ${min}`, fix };
}

const INSTALL = "install Docker Engine: https://docs.docker.com/engine/install/";

/** The docker CLI: installed, and new enough (`docker --version` needs no engine). */
export async function cliCheck(deps: Deps): Promise<Check> {
  const p = await probe(deps, {
    kind: "check",
    title: "docker version",
    argv: ["docker", "--version"],
  });
  if ("error" in p) return failedCheck("docker", p.error);
  return versionCheck("docker", parseVersion(p.out) ?? p.out, MINIMUM.docker, INSTALL);
}

/** A CLI plugin against its minimum; when no stage needs it, its absence is fine. */
export async function pluginCheck(
  deps: Deps,
  plugin: "compose" | "buildx",
  required: boolean,
): Promise<Check> {
  const p = await probe(deps, {
    kind: "check",
    title: `docker ${plugin} version`,
    argv: ["docker", plugin, "version"],
  });
  if ("error" in p) {
    if (!required) return { name: plugin, ok: true, detail: "not installed (no stage uses it)" };
    return failedCheck(plugin, p.error);
  }
  const fix = plugin === "compose"
    ? "upgrade the compose plugin: https://docs.docker.com/compose/install/linux/"
    : "upgrade the buildx plugin: https://docs.docker.com/go/buildx/";
  return versionCheck(plugin, parseVersion(p.out) ?? p.out, MINIMUM[plugin], fix);
}

/** Ask an engine its version (one call; it also proves the host answers). */
export function engineProbe(deps: Deps, target: Target): Promise<Probe> {
  return probe(deps, {
    kind: "check",
    title: "engine version",
    argv: [...target.dockerArgv, "version", "--format", "{{.Server.Version}}"],
    env: target.env,
  });
}

/**
 * The host and engine lines of a stage from its engine probe: ssh (or the socket) answers, and
 * the engine is new enough. When ssh works but docker on the host does not, the host is fine.
 */
export function hostChecks(prefix: string, target: Target, p: Probe): [Check, Check] {
  const host = `${prefix}host`;
  const engine = `${prefix}engine`;
  if ("out" in p) {
    return [
      { name: host, ok: true, detail: `${target.label} answers` },
      versionCheck(
        engine,
        parseVersion(p.out) ?? p.out,
        MINIMUM.engine,
        `upgrade Docker Engine on ${target.label}`,
      ),
    ];
  }
  if (/ works, but /.test(p.error.message)) {
    return [{ name: host, ok: true, detail: "ssh login works" }, failedCheck(engine, p.error)];
  }
  return [failedCheck(host, p.error), notChecked(engine, host)];
}

/** A check that could not run because `after` failed. */
export function notChecked(name: string, after: string): Check {
  return { name, ok: false, skipped: true, detail: `not checked (${after} failed)` };
}

/** A Swarm stage's host must be a Swarm manager. */
export async function swarmCheck(deps: Deps, name: string, target: Target): Promise<Check> {
  const p = await probe(deps, {
    kind: "check",
    title: "swarm state",
    argv: [
      ...target.dockerArgv,
      "info",
      "--format",
      "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}",
    ],
    env: target.env,
  });
  if ("error" in p) return failedCheck(name, p.error);
  const [state, manager] = p.out.split(" ");
  if (state === "active" && manager === "true") {
    return { name, ok: true, detail: "a Swarm manager" };
  }
  return state === "active"
    ? {
      name,
      ok: false,
      detail: `${target.label} is a Swarm worker, not a manager`,
      fix: "point host: at a manager node (docker node ls on a manager lists them)",
    }
    : {
      name,
      ok: false,
      detail: `${target.label} is not part of a Swarm (${state || "unknown"})`,
      fix: "on the host: docker swarm init (or join it to your Swarm as a manager)",
    };
}

/** Whether a stage's docker calls share one ssh connection (ssh:// hosts). */
export async function sharingCheck(
  name: string,
  deps: Deps,
  mux: Mux,
): Promise<Check> {
  if (deps.env.FLEET_SSH_MUX === "0") {
    return { name, ok: true, detail: "off (FLEET_SSH_MUX=0): each docker call opens its own" };
  }
  if (!mux.shared) {
    return { name, ok: false, detail: "no ssh on PATH", fix: "install the OpenSSH client" };
  }
  return await mux.check()
    ? { name, ok: true, detail: "one shared connection (OpenSSH ControlMaster)" }
    : {
      name,
      ok: false,
      detail: "the shared connection did not come up (ControlMaster)",
      fix: "use an OpenSSH client with ControlMaster, or turn sharing off: FLEET_SSH_MUX=0",
    };
}
