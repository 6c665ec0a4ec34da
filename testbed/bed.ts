/**
 * The test bed's client, shared by the e2e tests (tests/e2e/harness.ts) and the bench: brings the
 * bed up once per process (tests/e2e/testbed.sh up), hands out its endpoints, and makes names
 * unique to each run. Importing it runs nothing.
 */
import { join } from "node:path";

export interface Testbed {
  readonly dir: string;
  readonly engine1: string; // DOCKER_HOST of the local engine
  readonly engine2: string; // DOCKER_HOST of the "cloud host" engine (unix socket)
  readonly sshHost: string; // DOCKER_HOST reaching engine 2 over ssh
  readonly sshBin: string; // put first on PATH: an `ssh` that uses the test-only config
  readonly registry: string; // 127.0.0.1:port, no auth
  readonly authRegistry: string; // 127.0.0.1:port, htpasswd
  readonly authUser: string;
  readonly authPassword: string;
  // The optional parts (tests/e2e/testbed.sh): each field is absent when its part is off or could
  // not be had; `unavailable` then says why (see `part()`).
  readonly swarmManager?: string; // DOCKER_HOST (unix socket) of the swarm's manager, node 1
  readonly swarmHosts?: string[]; // DOCKER_HOST of each swarm node, the manager first
  readonly swarmNodes?: string[]; // the nodes' IPs (host-mode published ports answer there)
  readonly swarmRegistry?: string; // the bed's registry as the nodes name it: 10.77.0.1:5077
  /** The same registry as 127.0.0.1:port: it answers in the root namespace and in every node. */
  readonly swarmRegistryLocal?: string;
  readonly swarmBusybox?: string; // busybox in the bed's registry, for services on the swarm
  readonly engine26?: string; // DOCKER_HOST of Docker Engine 26 (containerd image store)
  /** A registry name engine 26 pushes to and the root namespace reads (imagetools, fetch). */
  readonly engine26Registry?: string;
  /** busybox-amd64.tar, busybox-arm64.tar and a Dockerfile (FROM scratch + ADD) for them. */
  readonly multiarchDir?: string;
  readonly arm64?: true; // arm64 binaries run (qemu-user-static + binfmt_misc), in containers too
  /** Three plain Docker hosts (no swarm): DOCKER_HOST of each, the third over ssh://. */
  readonly hosts?: string[];
  /** The same three hosts by their unix sockets (for checks beside fleet). */
  readonly hostsSockets?: string[];
  /** Their IPs on the bed's bridge (published ports answer there, from the root namespace). */
  readonly hostsIps?: string[];
  /** Put first on PATH: an `ssh` that reaches the third host (ssh://fleet-host3). */
  readonly hostsSshBin?: string;
  /** The bed's registry as the hosts (and engine 1) name it: 127.0.0.1:port. */
  readonly hostsRegistry?: string;
  readonly unavailable?: Partial<Record<TestbedPart, string>>;
}

/** The optional parts of the test bed. */
export type TestbedPart = "swarm" | "engine26" | "arm64" | "hosts";

const ROOT = new URL("../", import.meta.url).pathname;
let cached: Promise<Testbed | string> | undefined;

/** Start (or reuse) the test bed; a string is the reason it is absent. */
export function testbed(): Promise<Testbed | string> {
  cached ??= start();
  return cached;
}

async function start(): Promise<Testbed | string> {
  if (Deno.env.get("FLEET_E2E") === "skip") return "FLEET_E2E=skip";
  // a missing bash throws from the spawn itself, not from the promise
  const out = await Promise.resolve().then(() =>
    new Deno.Command("bash", {
      args: [join(ROOT, "tests/e2e/testbed.sh"), "up"],
      stdout: "piped",
      stderr: "piped",
    }).output()
  ).catch((e) => ({
    success: false,
    stdout: new Uint8Array(),
    stderr: new TextEncoder().encode(String(e)),
  }));
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    return `test bed did not come up: ${err.trim().split("\n").slice(-5).join(" / ")}`;
  }
  const envFile = new TextDecoder().decode(out.stdout).trim() || "/tmp/fleet-testbed/env";
  const kv = Object.fromEntries(
    Deno.readTextFileSync(envFile).split("\n").filter(Boolean).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
  if (!printed) {
    printed = true;
    console.error(
      err.trim().split("\n").filter((l) => l.includes("up:") || l.includes("start")).join("\n"),
    );
  }
  return {
    dir: kv.FLEET_TESTBED_DIR,
    engine1: kv.FLEET_TESTBED_ENGINE1,
    engine2: kv.FLEET_TESTBED_ENGINE2,
    sshHost: kv.FLEET_TESTBED_SSH_HOST,
    sshBin: kv.FLEET_TESTBED_SSH_BIN,
    registry: kv.FLEET_TESTBED_REGISTRY,
    authRegistry: kv.FLEET_TESTBED_AUTH_REGISTRY,
    authUser: kv.FLEET_TESTBED_AUTH_USER,
    authPassword: Deno.readTextFileSync(kv.FLEET_TESTBED_AUTH_PASSWORD_FILE).trim(),
    ...optionalParts(kv),
  };
}
let printed = false;

function optionalParts(kv: Record<string, string>): Partial<Testbed> {
  const list = (v: string | undefined) => v ? v.split(" ").filter(Boolean) : undefined;
  const unavailable: Partial<Record<TestbedPart, string>> = {};
  if (!kv.FLEET_TESTBED_SWARM_MANAGER) {
    unavailable.swarm = kv.FLEET_TESTBED_SWARM_UNAVAILABLE || "not in the env file";
  }
  if (!kv.FLEET_TESTBED_ENGINE26) {
    unavailable.engine26 = kv.FLEET_TESTBED_ENGINE26_UNAVAILABLE || "not in the env file";
  }
  if (!kv.FLEET_TESTBED_HOSTS_ENDPOINTS) {
    unavailable.hosts = kv.FLEET_TESTBED_HOSTS_UNAVAILABLE || "not in the env file";
  }
  if (kv.FLEET_TESTBED_ARM64 !== "1") {
    unavailable.arm64 = kv.FLEET_TESTBED_ARM64 || "not in the env file";
  }
  return {
    swarmManager: kv.FLEET_TESTBED_SWARM_MANAGER || undefined,
    swarmHosts: list(kv.FLEET_TESTBED_SWARM_HOSTS),
    swarmNodes: list(kv.FLEET_TESTBED_SWARM_NODES),
    swarmRegistry: kv.FLEET_TESTBED_SWARM_REGISTRY || undefined,
    swarmRegistryLocal: kv.FLEET_TESTBED_SWARM_REGISTRY_LOCAL || undefined,
    swarmBusybox: kv.FLEET_TESTBED_SWARM_BUSYBOX || undefined,
    engine26: kv.FLEET_TESTBED_ENGINE26 || undefined,
    engine26Registry: kv.FLEET_TESTBED_ENGINE26_REGISTRY || undefined,
    multiarchDir: kv.FLEET_TESTBED_MULTIARCH_DIR || undefined,
    arm64: kv.FLEET_TESTBED_ARM64 === "1" ? true : undefined,
    hosts: list(kv.FLEET_TESTBED_HOSTS_ENDPOINTS),
    hostsSockets: list(kv.FLEET_TESTBED_HOSTS_SOCKETS),
    hostsIps: list(kv.FLEET_TESTBED_HOSTS_IPS),
    hostsRegistry: kv.FLEET_TESTBED_HOSTS_REGISTRY || undefined,
    hostsSshBin: kv.FLEET_TESTBED_HOSTS_SSH_BIN || undefined,
    unavailable,
  };
}

/**
 * Whether an optional part of the test bed is there. When it is not, this prints why and the test
 * should end there (a skip); with FLEET_E2E=required it throws instead, unless the part was
 * turned off on purpose (FLEET_TESTBED_<PART>=0).
 */
export function part(tb: Testbed, name: TestbedPart): boolean {
  const why = tb.unavailable?.[name];
  if (why === undefined) return true;
  if (Deno.env.get("FLEET_E2E") === "required" && !why.startsWith("off (")) {
    throw new Error(`FLEET_E2E=required but the test bed's ${name} is unavailable: ${why}`);
  }
  console.error(`skipped: the test bed's ${name} is unavailable (${why})`);
  return false;
}

/** A name unique to this run (engines keep state between runs). */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/**
 * How often the bed's registry (docker-registry 2.8, filesystem storage) tripped over its own race
 * on `repo`: its driver writes a tag's link file by truncating it, then writing, so a HEAD on the
 * tag that lands in between reads an empty digest and answers 500 ("invalid checksum digest
 * format"). Engine 26's buildx pushes a list twice (BuildKit, then "with docker") and HEADs the
 * tag while it writes it, so a multi-platform push from engine 26 can meet it. Such a failure is
 * the bed's, not the code under test's: the registry's own log says so.
 */
export function registryRaced(tb: Testbed, repo: string): number {
  const dir = join(tb.dir, "net", "registry");
  let logs: string[];
  try {
    logs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".log")).map((e) => e.name);
  } catch {
    return 0;
  }
  return logs.reduce(
    (n, f) =>
      n +
      Deno.readTextFileSync(join(dir, f)).split("\n").filter((l) =>
        l.includes("invalid checksum digest format") && l.includes(`vars.name=${repo} `)
      ).length,
    0,
  );
}

/**
 * `run` (a fleet run that pushes to `repos` in the bed's registry), once more when it failed and
 * the registry's own log shows its race (registryRaced) on one of those repos meanwhile: the
 * failure is the bed's, and the retry is said in the test's log. Any other failure is returned.
 */
export async function pushRetried<T extends { code: number }>(
  tb: Testbed,
  repos: readonly string[],
  run: () => Promise<T>,
): Promise<T> {
  const raced = () => repos.reduce((n, r) => n + registryRaced(tb, r), 0);
  const before = raced();
  const r = await run();
  if (r.code === 0 || raced() === before) return r;
  console.error(
    `note: the bed's registry answered 500 on ${repos.join(", ")} (its own race); again`,
  );
  return await run();
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export interface FleetRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run fleet (mod.ts) as a subprocess in `cwd` with extra env; stdin is `stdin`, or closed (never a terminal). */
export async function fleet(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; entry?: string; stdin?: string },
): Promise<FleetRun> {
  const entry = opts.entry ?? join(ROOT, "mod.ts");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", entry, ...args],
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Run docker against a host (`stdin` written to it); returns stdout (throws with stderr on failure). */
export async function docker(
  host: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  stdin?: string,
): Promise<string> {
  const child = new Deno.Command("docker", {
    args,
    env: { DOCKER_HOST: host, ...extraEnv },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`docker ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return stdout;
}
