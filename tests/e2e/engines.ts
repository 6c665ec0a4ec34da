/**
 * The engine matrix of the e2e tests (issue 13): deploy, rollback and build tests run against
 * Docker Engine 20.10 (the bed's engine 2 for deploys, engine 1 for builds) and Docker Engine 26
 * with the containerd image store (the bed's optional `engine26` part). Where engine 26 is not
 * in the bed, its variant skips with the reason (and fails under FLEET_E2E=required, unless the
 * part was turned off on purpose, FLEET_TESTBED_ENGINE26=0).
 */
import { docker, e2e, type Testbed } from "./harness.ts";

/** The optional parts of the test bed that these tests read (tests/e2e/testbed.sh). */
interface Optional {
  readonly engine26?: string;
  readonly engine26Registry?: string;
  readonly multiarchDir?: string;
  readonly arm64?: true;
  readonly unavailable?: Readonly<Record<string, string | undefined>>;
}

export type EngineName = "20.10" | "26";

/** An engine of the matrix. */
export interface Engine {
  readonly name: EngineName;
  /** DOCKER_HOST of the engine deploys go to. */
  readonly host: string;
  /** DOCKER_HOST of the engine builds run on. */
  readonly buildHost: string;
  /** The registry as this engine names it; the root namespace (fetch, imagetools) reaches it too. */
  readonly registry: string;
  /** Its published ports answer on the machine's 127.0.0.1 (engine 26 runs in its own netns). */
  readonly loopback: boolean;
}

const opt = (tb: Testbed) => tb as Testbed & Optional;

/**
 * Whether an optional part of the bed is there; when not, prints why (the test ends there, a
 * skip) or, under FLEET_E2E=required, throws unless the part was turned off on purpose.
 */
export function need(tb: Testbed, part: "engine26" | "arm64"): boolean {
  const o = opt(tb);
  const there = part === "engine26" ? !!(o.engine26 && o.engine26Registry) : !!o.arm64;
  if (there) return true;
  const why = o.unavailable?.[part] ?? "this test bed has no such part (tests/e2e/testbed.sh)";
  if (Deno.env.get("FLEET_E2E") === "required" && !why.startsWith("off (")) {
    throw new Error(`FLEET_E2E=required but the test bed's ${part} is unavailable: ${why}`);
  }
  console.error(`skipped: the test bed's ${part} is unavailable (${why})`);
  return false;
}

/** One engine of the matrix, or undefined when the bed lacks it (see need()). */
export function engine(tb: Testbed, name: EngineName): Engine | undefined {
  if (name === "20.10") {
    return { name, host: tb.engine2, buildHost: tb.engine1, registry: tb.registry, loopback: true };
  }
  if (!need(tb, "engine26")) return undefined;
  const host = opt(tb).engine26!;
  return { name, host, buildHost: host, registry: opt(tb).engine26Registry!, loopback: false };
}

/** The multi-platform base of the bed: busybox-<arch>.tar files and their Dockerfile. */
export function multiarchDir(tb: Testbed): string | undefined {
  return opt(tb).multiarchDir;
}

/** The test bed as a matrix test sees it: with the engine under test. */
export type MatrixTestbed = Testbed & { readonly engine: Engine };

/**
 * Define one e2e test per engine of the matrix; the 20.10 one keeps the plain name. The test
 * gets the bed with `engine` set, which makeApp (tests/e2e/app.ts) deploys to.
 * @example matrix("deploy serves HTTP", async (tb) => { const app = makeApp(tb); … })
 */
export function matrix(name: string, fn: (tb: MatrixTestbed) => Promise<void>): void {
  for (const n of ["20.10", "26"] as const) {
    e2e(n === "20.10" ? name : `${name} [engine ${n}]`, async (tb) => {
      const eng = engine(tb, n);
      if (eng) await fn({ ...tb, engine: eng });
    });
  }
}

/**
 * busybox:latest on an engine that lacks it (engine 26 starts empty and has no network to pull
 * from): engine 1's copy, saved and loaded.
 */
export async function ensureBusybox(tb: Testbed, host: string): Promise<void> {
  if (await docker(host, ["image", "inspect", "busybox:latest"]).then(() => true, () => false)) {
    return;
  }
  const save = new Deno.Command("sh", {
    args: [
      "-c",
      'docker -H "$1" save busybox:latest | docker -H "$2" load -q',
      "sh",
      tb.engine1,
      host,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await save.output();
  if (!out.success) {
    throw new Error(`loading busybox into ${host}: ${new TextDecoder().decode(out.stderr)}`);
  }
}
