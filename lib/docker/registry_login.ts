/**
 * Registry login for `fleet build` (pure planning). With FLEET_REGISTRY_USER and
 * FLEET_REGISTRY_PASSWORD set (or, for ghcr.io, GITHUB_ACTOR and GITHUB_TOKEN), fleet runs
 * `docker login <host> -u <user> --password-stdin` with the password on stdin, into a temporary
 * DOCKER_CONFIG (lib/docker/docker_config.ts) that is removed after the build. Without them it relies
 * on Docker's own credentials.
 */
import { UsageError } from "../core/errors.ts";
import type { Step } from "../core/run.ts";
import { parseImageRef } from "./image_ref.ts";

/** The key Docker stores Docker Hub credentials under. */
export const DOCKER_HUB = "https://index.docker.io/v1/";

type Env = Readonly<Record<string, string | undefined>>;

/** Credentials for one registry host, and where they came from. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly from: string;
}

/**
 * The registry host of an image reference, as Docker reads it (Docker Hub for a bare name).
 * @example registryHost("ghcr.io/org/app:1") // "ghcr.io"
 */
export function registryHost(ref: string): string {
  return parseImageRef(ref).registry ?? DOCKER_HUB;
}

/**
 * The credentials for a host from the environment, or undefined (use Docker's own).
 * @example credentialsFor("ghcr.io", { GITHUB_ACTOR: "me", GITHUB_TOKEN: "t" })?.user // "me"
 */
export function credentialsFor(host: string, env: Env): Credentials | undefined {
  const user = env.FLEET_REGISTRY_USER;
  const password = env.FLEET_REGISTRY_PASSWORD;
  if (user && password) return { user, password, from: "FLEET_REGISTRY_USER/PASSWORD" };
  if (user || password) {
    const missing = user ? "FLEET_REGISTRY_PASSWORD" : "FLEET_REGISTRY_USER";
    throw new UsageError(
      `${missing} is not set, but ${user ? "FLEET_REGISTRY_USER" : "FLEET_REGISTRY_PASSWORD"} is`,
      {
        hint: "set both to log in to the registry, or neither to use Docker's own credentials",
      },
    );
  }
  if (host === "ghcr.io" && env.GITHUB_ACTOR && env.GITHUB_TOKEN) {
    return { user: env.GITHUB_ACTOR, password: env.GITHUB_TOKEN, from: "GITHUB_ACTOR/TOKEN" };
  }
  return undefined;
}

/**
 * `docker login` argv for a host (no server argument for Docker Hub).
 * @example loginArgv("ghcr.io", "me") // ["docker", "login", "ghcr.io", "-u", "me", "--password-stdin"]
 */
export function loginArgv(host: string, user: string): string[] {
  const server = host === DOCKER_HUB ? [] : [host];
  return ["docker", "login", ...server, "-u", user, "--password-stdin"];
}

/**
 * One login step per host that has credentials; the password is the step's stdin. Every step
 * runs with DOCKER_CONFIG set to `dockerConfig`.
 */
export function planLogins(hosts: readonly string[], env: Env, dockerConfig: string): Step[] {
  const steps: Step[] = [];
  for (const host of [...new Set(hosts)]) {
    const c = credentialsFor(host, env);
    if (!c) continue;
    steps.push({
      kind: "login",
      title: `log in to ${host === DOCKER_HUB ? "Docker Hub" : host} (${c.from})`,
      argv: loginArgv(host, c.user),
      env: { DOCKER_CONFIG: dockerConfig },
      input: c.password,
    });
  }
  return steps;
}
