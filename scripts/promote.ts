#!/usr/bin/env -S deno run -A
/**
 * fleet promote <from> <to> — point `<to>`'s image references at the very manifests of
 * `<from>`, by digest, with `docker buildx imagetools create`: no rebuild, no pull; a
 * multi-platform list is copied whole (SPEC §9).
 *
 *   deno run -A scripts/promote.ts <from> <to> [-n <service>]... [--tag <tag>] [--dry-run]
 *     [--json] [-C <dir>]
 *
 * For each service that `<from>` builds (three at a time): resolve the digest of `<from>`'s reference
 * (`imagetools inspect`), create `<to>`'s reference from `<from-repo>@<digest>`, and check what it
 * points at. Registry login as for `fleet build` (FLEET_REGISTRY_USER/PASSWORD, or
 * GITHUB_ACTOR/GITHUB_TOKEN for ghcr.io), in a temporary DOCKER_CONFIG removed afterwards.
 * buildx ≥ 0.15 copies a single-platform manifest as it is (`--prefer-index=false`); with an
 * older one, which would wrap it in a new list, the registry's API copies it (lib/docker/
 * registry_api.ts: same bytes, same digest), and only where that fails is it wrapped (said so).
 *
 * To use it in another repo, copy this script with lib/ (whole) and the "imports" of deno.json.
 */
import { join } from "node:path";
import {
  planPromotion,
  type Promoted,
  type PromoteOptions,
  type PromoteResult,
  type Promotion,
  promotionHosts,
} from "../lib/images/promotion.ts";
import { DEFAULTS } from "../lib/core/defaults.ts";
import type { Deps } from "../lib/core/deps.ts";
import { runPool } from "../lib/core/pool.ts";
import { CommandError } from "../lib/core/errors.ts";
import { showStep, type Step } from "../lib/core/run.ts";
import { findRoot, loadStage } from "../lib/config/stage.ts";
import { makeDockerConfig, userDockerConfigDir } from "../lib/docker/docker_config.ts";
import {
  CREATE_HELP_ARGV,
  createArgv,
  inspectArgv,
  isIndex,
  parseManifest,
  supportsPreferIndex,
} from "../lib/docker/imagetools.ts";
import { planLogins } from "../lib/docker/registry_login.ts";
import { copyManifest, dockerCredentials } from "../lib/docker/registry_api.ts";

/** The options of `fleet promote`. */
export interface PromoteCliOptions extends PromoteOptions {
  readonly dir?: string;
  readonly dryRun?: boolean;
}

/** Promote the images of stage `from` to stage `to`. Throws (exit 2) before any docker command. */
export async function promote(
  from: string,
  to: string,
  opts: PromoteCliOptions,
  deps: Deps,
): Promise<PromoteResult> {
  const root = findRoot(deps.cwd, opts.dir);
  const plan = planPromotion(loadStage(root, from), loadStage(root, to), opts);
  const hosts = promotionHosts(plan);
  if (opts.dryRun) {
    const config = join(deps.env.TMPDIR || "/tmp", "fleet-promote-XXXXXX", "docker-config");
    const steps = [
      ...planLogins(hosts, deps.env, config),
      ...plan.flatMap((p) => [
        query(p, inspectArgv(p.from)),
        create(p, createArgv(p.to, p.from, "<digest>", false)),
      ]),
    ];
    return { from, to, services: [], commands: steps.map(showStep) };
  }
  const tmp = await Deno.makeTempDir({ prefix: "fleet-promote-" });
  try {
    const config = join(tmp, "docker-config");
    const logins = planLogins(hosts, deps.env, config);
    const env = logins.length ? { DOCKER_CONFIG: config } : undefined;
    if (logins.length) await makeDockerConfig(config, userDockerConfigDir(deps.env), hosts);
    for (const step of logins) {
      deps.ui.step(step.title, step.kind);
      await deps.runner.run(step);
    }
    const exact = once(async () =>
      supportsPreferIndex(
        (await deps.runner.run(with_(query(plan[0], [...CREATE_HELP_ARGV]), env))).stdout,
      )
    );
    const build = `fleet build ${from} --push${opts.tag !== undefined ? ` --tag ${opts.tag}` : ""}`;
    const settled = await runPool(
      plan,
      DEFAULTS.jobs,
      (p) => promoteOne(p, deps, env, exact, build),
      deps.signal,
    );
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const services = settled.map((r) => (r as PromiseFulfilledResult<Promoted>).value);
    return { from, to, services };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** One service: the source's digest → the new reference → what it points at now. */
async function promoteOne(
  p: Promotion,
  deps: Deps,
  env: Record<string, string> | undefined,
  exact: () => Promise<boolean>,
  build: string,
): Promise<Promoted> {
  const inspect = async (ref: string) =>
    parseManifest((await deps.runner.run(with_(query(p, inspectArgv(ref)), env))).stdout);
  deps.ui.step(`promote ${p.service}: ${p.from} → ${p.to}`);
  const source = await inspect(p.from).catch((e) => {
    // a tag the registry does not have: nothing was built and pushed under it yet
    if (!(e instanceof CommandError) || !NOT_FOUND.test(e.stderrTail)) throw e;
    throw new CommandError(`${p.from} is not in the registry`, e.argv, e.stderrTail, {
      hint: `build and push it first: ${build}`,
    });
  });
  const whole = isIndex(source.mediaType) || await exact();
  // an older buildx would wrap a single manifest in a new list: the registry's API copies it as it is
  const api = !whole && await copyByApi(p, source.digest, deps, env);
  const step = with_(
    create(p, createArgv(p.to, p.from, source.digest, !isIndex(source.mediaType) && whole)),
    env,
  );
  if (!api) await deps.runner.run(step, { onLine: (l) => deps.ui.line(p.service, l) });
  const now = await inspect(p.to);
  const copy = whole || api;
  if (copy && now.digest !== source.digest) {
    throw new CommandError(
      `${p.to} points at ${now.digest}, not at ${source.digest} of ${p.from}`,
      api ? [] : step.argv,
    );
  }
  if (!copy) {
    deps.ui.warn(
      `${p.service}: this buildx wraps a single-platform manifest in a new list (buildx ≥ 0.15 ` +
        `copies it as it is): ${p.to} is ${now.digest}, a list of ${p.from}'s ${source.digest}`,
    );
  }
  return {
    ...p,
    digest: now.digest,
    sourceDigest: source.digest,
    identical: now.digest === source.digest,
  };
}

// what registries and buildx say of a tag they do not have
const NOT_FOUND = /not found|manifest unknown|name unknown|no such manifest/i;

/**
 * Copy a single manifest through the registry's API (same bytes, same digest); false, with a
 * warning, when that cannot be done here (then buildx wraps it).
 */
async function copyByApi(
  p: Promotion,
  digest: string,
  deps: Deps,
  env: Record<string, string> | undefined,
): Promise<boolean> {
  const d = env ? { ...deps, env: { ...deps.env, ...env } } : deps;
  deps.ui.line(p.service, `copying ${p.from}@${digest} through the registry's API`);
  try {
    await copyManifest(p.from, digest, p.to, (host) => dockerCredentials(d, host), deps.fetch);
    return true;
  } catch (e) {
    deps.ui.warn(`${p.service}: the registry's API could not copy it: ${(e as Error).message}`);
    return false;
  }
}

function query(p: Promotion, argv: string[]): Step {
  return { kind: "query", title: `inspect ${p.service}`, argv };
}

function create(p: Promotion, argv: string[]): Step {
  return { kind: "push", title: `promote ${p.service} → ${p.to}`, argv };
}

function with_(step: Step, env: Record<string, string> | undefined): Step {
  return env ? { ...step, env } : step;
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

if (import.meta.main) {
  const { parseAndLeave, promoteCommand, usageExits } = await import("../lib/cli/commands.ts");
  const { runCommand } = await import("../lib/cli/output.ts");
  let code = 0;
  const cli = usageExits(promoteCommand()).action(async (from, to, opts) => {
    code = await runCommand(
      "promote",
      { ...opts, stage: `${from} → ${to}` },
      (deps) => promote(from, to, opts, deps),
    );
  });
  await parseAndLeave(() => cli.parseAsync(Deno.args, { from: "user" }), () => code);
}
