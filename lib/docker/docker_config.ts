/**
 * The temporary DOCKER_CONFIG that `fleet build` logs in to when it has credentials from the
 * environment (lib/docker/registry_login.ts). Why: `docker login` stores the password in config.json
 * (base64) or the user's credential store, where it would outlive the run; in a temporary
 * directory (0700) that fleet removes after the build, it does not. What the user's Docker setup
 * needs is carried over: config.json (current context, credential helpers for other registries,
 * proxies) as a copy, and the `cli-plugins`, `contexts` and `buildx` directories as symlinks.
 * For the hosts fleet logs in to, `credHelpers[host] = ""` makes Docker use the file store of the
 * temporary directory even when the user has a `credsStore` (keychain, desktop, pass).
 */
import { join } from "../core/paths.ts";
import { ConfigError } from "../core/errors.ts";

/** Entries of the user's Docker config directory that the temporary one links to. */
export const LINKED = ["cli-plugins", "contexts", "buildx"] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** The user's Docker config directory: DOCKER_CONFIG, else ~/.docker. */
export function userDockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || join(env.HOME ?? env.USERPROFILE ?? ".", ".docker");
}

/**
 * The user's Docker config.json ({} when there is none or it cannot be read: the docker CLI
 * then speaks for itself). Read for the current context, plugin dirs and credentials.
 */
export function userDockerConfig(env: Env): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(join(userDockerConfigDir(env), "config.json")));
  } catch {
    return {};
  }
}

/**
 * The temporary config.json: the user's, without stored auths for `hosts` and with those hosts
 * forced to the file store (an empty credential helper).
 * @example tempConfigJson({ credsStore: "desktop" }, ["ghcr.io"]).credHelpers // { "ghcr.io": "" }
 */
export function tempConfigJson(
  user: Readonly<Record<string, unknown>>,
  hosts: readonly string[],
): Record<string, unknown> {
  const auths = { ...(user.auths as Record<string, unknown> | undefined) };
  const credHelpers = { ...(user.credHelpers as Record<string, string> | undefined) };
  for (const h of hosts) {
    delete auths[h];
    credHelpers[h] = "";
  }
  return { ...user, auths, credHelpers };
}

/** Create the temporary Docker config directory `dir` (mode 0700) from the user's `userDir`. */
export async function makeDockerConfig(
  dir: string,
  userDir: string,
  hosts: readonly string[],
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(userDir, "config.json");
  let user: Record<string, unknown> = {};
  try {
    user = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new ConfigError(`${file}: cannot read Docker's config (${(e as Error).message})`, {
        hint: "fix or remove it; fleet copies it to log in to the registry",
      });
    }
  }
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(tempConfigJson(user, hosts)), {
    mode: 0o600,
  });
  for (const name of LINKED) {
    const target = join(userDir, name);
    const found = await Deno.stat(target).then(() => true, () => false);
    if (found) await Deno.symlink(target, join(dir, name));
  }
}
