/**
 * What the deploy scenarios share: a temp project with a `local` stage of busybox-httpd
 * services, the Compose model fleet renders for it, the plain-shell baselines, and cleanup of
 * everything a deploy leaves on the engine (containers, network, release volumes, lock).
 */
import { join } from "node:path";
import { exec, fleetArgv, writeFiles } from "./lib.ts";
import { cleanup } from "./engine.ts";

/** One service of the stage: its image and the loopback port it is published on. */
export interface Svc {
  readonly name: string;
  readonly image: string;
  readonly port: number;
}

/** `stages/local.yaml`: the demo's service shape (port, healthcheck), one entry per service. */
export function stageYaml(project: string, services: readonly Svc[]): string {
  return [
    `project: ${project}`,
    "services:",
    ...services.flatMap((s) => [
      `  ${s.name}:`,
      `    image: ${s.image}`,
      `    ports: ["127.0.0.1:${s.port}:8080"]`,
      "    restart: unless-stopped",
      "    healthcheck:",
      `      test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]`,
      "      interval: 1s",
      "      timeout: 2s",
      "      retries: 10",
      // an init as PID 1 passes SIGTERM on: httpd stops at once, like an app that handles it
      // (as PID 1 itself, busybox httpd ignores SIGTERM and every stop waits Docker's 10 s)
      "    compose: { init: true }",
    ]),
    "",
  ].join("\n");
}

/**
 * The plain deploy script of the baselines: the Compose steps given, in that order, on the
 * model file `$2` of project `$1`; the last, `up --wait`, waits until running/healthy.
 */
export function scriptOf(steps: readonly string[]): string {
  return [
    "#!/bin/sh",
    "# a plain deploy script: the same Compose model and steps, no fleet",
    "set -eu",
    "p=$1 f=$2",
    ...steps.map((s) => `docker compose -p "$p" -f "$f" ${s}`),
    "",
  ].join("\n");
}

export const STOP = "stop";
export const RM = "rm --force --stop";
export const PULL = "pull --quiet";
export const UP = "up --detach --no-build --pull never --wait";

/** Write the stage file and render its Compose model (`fleet config local --compose`) to `file`. */
export async function writeStage(
  dir: string,
  project: string,
  services: readonly Svc[],
  file: string,
): Promise<void> {
  writeFiles(dir, { "stages/local.yaml": stageYaml(project, services) });
  const model = await exec(fleetArgv("config", "local", "--compose"), { cwd: dir });
  writeFiles(dir, { [file]: model.stdout });
}

/** Remove what deploys of `{project}-local` left: containers, network, release volumes, lock. */
export async function removeDeployment(dir: string, composeProject: string, file: string) {
  await cleanup(
    ["docker", "compose", "-p", composeProject, "-f", join(dir, file), "down", "--timeout", "2"],
    ["docker", "rm", "--force", `fleet-lock-${composeProject}`],
  );
  const vols = await exec([
    "docker",
    "volume",
    "ls",
    "-q",
    "--filter",
    `label=dev.fleet.release.project=${composeProject}`,
  ], { check: false });
  const names = vols.stdout.split("\n").filter(Boolean);
  if (names.length) await cleanup(["docker", "volume", "rm", "--force", ...names]);
}
