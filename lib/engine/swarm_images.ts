/**
 * The images of a Swarm release, before the lock. The manager need not have them (every node
 * pulls), so fleet asks the registry for each reference's digest (`docker buildx imagetools
 * inspect`, with the credentials the deploy sends along) and pins the stack file to
 * `ref@digest`: every node runs exactly that image, and a rollback redeploys exactly it. The
 * platform check is the Swarm form of the per-host one: each image must offer the platform of at
 * least one ready node (Swarm places a task only on a node whose platform the image has).
 */
import { parse, stringify } from "yaml";
import type { Deps } from "../core/deps.ts";
import { FleetError } from "../core/errors.ts";
import { tail } from "../core/run.ts";
import { normalizePlatform } from "../config/platforms.ts";
import { parseImageRef } from "../docker/image_ref.ts";
import { parseResolved, resolveArgv, type Resolved } from "../docker/imagetools.ts";
import type { Images } from "../docker/queries.ts";
import { parseNodes } from "../docker/swarm_state.ts";
import { dockerStep, type Target } from "../docker/target.ts";
import type { EngineContext, ImageSelection } from "./engine.ts";

/**
 * `ref@digest` (a reference that has a digest already is kept).
 * @example pinned("reg/app:1", "sha256:ab") // "reg/app:1@sha256:ab"
 */
export function pinned(ref: string, digest: string): string {
  return parseImageRef(ref).digest ? ref : `${ref}@${digest}`;
}

/**
 * Resolve each service's image in its registry and pin the model to the digests. With
 * `pull: false` (--no-pull) nothing is asked: the nodes run what they have under each tag.
 */
export async function resolveDigests(
  deps: Deps,
  ctx: EngineContext,
  sel: ImageSelection,
  pull: boolean,
  pulled: Promise<void> = Promise.resolve(),
): Promise<{ images: Images; ctx: EngineContext }> {
  await pulled; // (a Swarm release pulls nothing itself: every node does)
  const nodes = nodePlatforms(deps, ctx.target);
  const refs = [...new Set(sel.services.map((s) => sel.images[s]))];
  const found = new Map<string, Resolved | undefined>();
  await Promise.all(refs.map(async (ref) => {
    const digest = parseImageRef(ref).digest;
    found.set(
      ref,
      digest ? { digest, platforms: [] } : pull ? await inspect(deps, ctx, ref) : undefined,
    );
  }));
  checkPlatforms(ctx, sel, found, await nodes);
  const images: Images = {};
  for (const s of sel.services) {
    const ref = sel.images[s];
    const r = found.get(ref);
    images[s] = r
      ? { ref: ref.split("@")[0], id: pinned(ref, r.digest), digest: r.digest }
      : { ref, id: ref };
  }
  const m = parse(ctx.model) as { services: Record<string, { image?: string }> };
  for (const s of sel.services) if (m.services?.[s]) m.services[s].image = images[s].id;
  return { images, ctx: { ...ctx, model: stringify(m, { lineWidth: 0 }) } };
}

async function inspect(deps: Deps, ctx: EngineContext, ref: string): Promise<Resolved> {
  // the registry is asked from this machine, with its Docker credentials (as fleet promote does)
  const step = { kind: "query" as const, title: `resolve ${ref}`, argv: resolveArgv(ref) };
  const r = await deps.runner.run(step, { check: false });
  const got = r.code === 0 ? parseResolved(r.stdout) : undefined;
  if (got) return got;
  throw new FleetError(
    `cannot read ${ref} from its registry: ${tail(r.stderr || r.stdout, 3) || `exit ${r.code}`}`,
    {
      hint: `every node of a Swarm stage pulls from the registry: push it first ` +
        `(fleet build ${ctx.stage.name} --push), and log in (docker login) where fleet runs`,
    },
  );
}

/**
 * The platforms of the swarm's ready nodes (os/arch, normalized). The manager check too: a host
 * that is no Swarm manager is an error that says so.
 */
async function nodePlatforms(deps: Deps, target: Target): Promise<string[]> {
  const ls = await deps.runner.run(dockerStep(target, "list nodes", ["node", "ls", "-q"]), {
    check: false,
  });
  if (ls.code !== 0) {
    const why = tail(ls.stderr, 2);
    throw new FleetError(`${target.label} is not a Swarm manager: ${why || `exit ${ls.code}`}`, {
      hint: "a Swarm stage's host must be a manager: docker swarm init there (see README: " +
        "Scaling out with Swarm), or orchestrator: compose",
    });
  }
  const ids = ls.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (ids.length === 0) return [];
  const r = await deps.runner.run(
    dockerStep(target, "inspect nodes", [
      "node",
      "inspect",
      "--format",
      "{{.Description.Platform.OS}}/{{.Description.Platform.Architecture}} {{.Status.State}} {{.Spec.Availability}}",
      ...ids,
    ]),
    { check: false },
  );
  return parseNodes(r.stdout).filter((n) => n.ready).map((n) => osArch(n.platform));
}

const osArch = (p: string) => normalizePlatform(p).split("/").slice(0, 2).join("/");

function checkPlatforms(
  ctx: EngineContext,
  sel: ImageSelection,
  found: ReadonlyMap<string, Resolved | undefined>,
  nodes: readonly string[],
): void {
  if (nodes.length === 0) return; // no answer: nothing to check against
  const wrong = sel.services.flatMap((s) => {
    const offers = (found.get(sel.images[s])?.platforms ?? []).map(osArch);
    return offers.length && !offers.some((p) => nodes.includes(p))
      ? [`${s}: ${sel.images[s]} is ${offers.join(", ")}`]
      : [];
  });
  if (wrong.length === 0) return;
  const have = [...new Set(nodes)].join(", ");
  throw new FleetError(
    `no node of the swarm on ${ctx.target.label} (${have}) can run ${
      wrong.length === 1 ? "an image" : "images"
    }; nothing was changed:\n  ${wrong.join("\n  ")}`,
    { hint: `build for ${have} (fleet build ${ctx.stage.name} --push --platform ${nodes[0]})` },
  );
}
