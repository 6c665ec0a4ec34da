/**
 * Release history, kept on the stage's host with Docker objects only, so every machine that
 * deploys (a laptop, CI) sees the same history: a release is an empty volume whose labels are
 * the record (labels never change). The deploy lock is in lib/release/lock.ts.
 */
import type { Deps } from "../core/deps.ts";
import { CommandError } from "../core/errors.ts";
import { withTag } from "../docker/image_ref.ts";
import type { ImageId } from "../docker/queries.ts";
import { engineOf } from "../docker/engine_of.ts";
import type { Target } from "../docker/target.ts";
import { asideLabels, fitsInline, modelLabels, modelOf, withModelsAside } from "./model_labels.ts";

const P = "dev.fleet.release.";

/** One service in a release: the reference deployed and the image ID it resolved to. */
export type ReleaseImage = ImageId;

/** One release record. */
export interface Release {
  readonly id: string; // sortable: r20261129T061502Z-ab12
  readonly project: string; // compose project ({project}-{stage})
  readonly time: string; // ISO
  readonly who: string;
  readonly commit: string;
  readonly kind: "deploy" | "rollback" | "auto-rollback";
  readonly result: "ok" | "failed" | "rolled-back" | "interrupted";
  readonly services: Readonly<Record<string, ReleaseImage>>;
  readonly note?: string;
  /** The Compose model deployed (`${VAR}` unresolved: it holds no secret values). */
  readonly model?: string;
  /** A large model is kept aside, in the labels of this never-started container. */
  readonly modelIn?: string;
}

/** A new release id from a time (sortable) and a short random suffix. */
export function releaseId(now: Date, rand = Math.random()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `r${t}-${Math.floor(rand * 36 ** 4).toString(36).padStart(4, "0")}`;
}

/** The tag that keeps a release's image on the host (protects it from prune and retagging). */
export function keepTag(ref: string, id: string): string {
  return withTag(ref, `fleet-${id}`);
}

/** The labels that encode a release record. */
export async function releaseLabels(
  r: Release,
  modelAside?: string,
): Promise<Record<string, string>> {
  const l: Record<string, string> = {
    id: r.id,
    project: r.project,
    time: r.time,
    who: r.who,
    commit: r.commit,
    kind: r.kind,
    result: r.result,
    services: JSON.stringify(r.services),
    ...(r.note ? { note: r.note.slice(0, 2000) } : {}),
    ...(r.model && !modelAside ? await modelLabels(r.model) : {}),
    ...(r.model && modelAside ? { "model.in": modelAside } : {}),
  };
  return Object.fromEntries(Object.entries(l).map(([k, v]) => [`${P}${k}`, v]));
}

/** A record on the host that fleet cannot read: listed as such, never used (rollback, pruning). */
export interface UnreadableRelease {
  readonly id: string;
  readonly project: string;
  /** What is wrong with it: `services: not an object (null)`. */
  readonly problem: string;
}

const KINDS: readonly string[] = ["deploy", "rollback", "auto-rollback"];
const RESULTS: readonly string[] = ["ok", "failed", "rolled-back", "interrupted"];

/** The services of a record, or what is wrong with them (each one `{ ref, id[, digest] }`). */
function servicesOf(json: string | undefined): Record<string, ReleaseImage> | string {
  if (json === undefined) return "services: missing";
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return "services: not JSON";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return `services: not an object (${JSON.stringify(v)})`;
  }
  for (const [name, i] of Object.entries(v)) {
    const ok = typeof i === "object" && i !== null && typeof i.ref === "string" &&
      typeof i.id === "string" && (i.digest === undefined || typeof i.digest === "string");
    if (!ok) return `services.${name}: not { ref, id } (${JSON.stringify(i)})`;
  }
  return v as Record<string, ReleaseImage>;
}

/**
 * Decode a release from volume labels, strictly: undefined when they are not fleet's, an
 * UnreadableRelease when they are but do not parse (a hand-made or damaged record); `models:
 * false` leaves its model out (pruning needs none, and each one is a gunzip).
 * @example await parseRelease({ "dev.fleet.release.id": "r1", "dev.fleet.release.project": "a-dev", "dev.fleet.release.services": "null" }) // { id: "r1", project: "a-dev", problem: "services: not an object (null)" }
 */
export async function parseRelease(
  labels: Readonly<Record<string, string>>,
  opts: { models?: boolean } = {},
): Promise<Release | UnreadableRelease | undefined> {
  const g = (k: string) => labels[P + k];
  if (!g("id") || !g("project")) return undefined;
  const bad = (problem: string) => ({ id: g("id"), project: g("project"), problem });
  const services = servicesOf(g("services"));
  if (typeof services === "string") return bad(services);
  const kind = g("kind") ?? "deploy";
  if (!KINDS.includes(kind)) return bad(`kind: ${JSON.stringify(kind)}`);
  const result = g("result") ?? "ok";
  if (!RESULTS.includes(result)) return bad(`result: ${JSON.stringify(result)}`);
  let model: string | undefined;
  try {
    model = opts.models === false ? undefined : await modelOf(labels, P);
  } catch {
    return bad("model: unreadable");
  }
  return {
    id: g("id"),
    project: g("project"),
    time: g("time") ?? "",
    who: g("who") ?? "",
    commit: g("commit") ?? "",
    kind: kind as Release["kind"],
    result: result as Release["result"],
    services,
    ...(g("note") ? { note: g("note") } : {}),
    ...(model ? { model } : {}),
    ...(g("model.in") ? { modelIn: g("model.in") } : {}),
  };
}

/** Whether a parsed record is unreadable. */
export const isUnreadable = (r: Release | UnreadableRelease): r is UnreadableRelease =>
  "problem" in r;

/**
 * Write a release record on the host. A model too large for labels on argv is kept aside in the
 * labels of a never-started container (model_labels.ts): no argument or line of it nears a
 * limit, whatever the model's size.
 */
export async function recordRelease(deps: Deps, target: Target, r: Release): Promise<void> {
  const inline = r.model ? await fitsInline(r.model) : true;
  const image = Object.values(r.services)[0]?.id;
  let aside: string | undefined;
  if (r.model && !inline && image) {
    aside = `fleet-model-${r.project}-${r.id}`;
    const made = await engineOf(deps, target).createHolder(
      aside,
      await asideLabels(r.project, r.model),
      image,
      "/fleet-never-started",
      { afterInterrupt: true },
    );
    if ("refused" in made) {
      throw new CommandError(
        `record release model on ${target.label} failed`,
        [...target.dockerArgv, "create", "--name", aside],
        made.refused,
      );
    }
  }
  const model = inline || aside ? r.model : undefined; // no image to hold it: left out
  await engineOf(deps, target).createVolume(
    `fleet-release-${r.project}-${r.id}`,
    await releaseLabels({ ...r, model }, aside),
  );
}

/** Every release of a Compose project on the host, newest first (`models: false`: without them). */
export async function listReleases(
  deps: Deps,
  target: Target,
  project: string,
  opts: { models?: boolean } = {},
): Promise<Release[]> {
  return (await readHistory(deps, target, project, opts)).releases;
}

/**
 * The history of a Compose project on the host, newest first: the releases, and the records
 * that do not parse (listed apart, so one damaged record hides nothing and disables nothing).
 */
export async function readHistory(
  deps: Deps,
  target: Target,
  project: string,
  opts: { models?: boolean } = {},
): Promise<{ releases: Release[]; unreadable: UnreadableRelease[] }> {
  const engine = engineOf(deps, target);
  const names = await engine.volumes(`${P}project=${project}`);
  if (names.length === 0) return { releases: [], unreadable: [] };
  const parsed = await Promise.all(
    (await engine.volumeLabels(names)).map((l) => parseRelease(l, opts)),
  );
  const all = parsed
    .filter((x): x is Release | UnreadableRelease => x !== undefined && x.project === project)
    .sort((a, b) => b.id.localeCompare(a.id));
  const releases = all.filter((x): x is Release => !isUnreadable(x));
  return {
    releases: opts.models === false ? releases : await withModelsAside(deps, target, releases),
    unreadable: all.filter(isUnreadable),
  };
}
