/**
 * A release's model in Docker labels: gzip, base64, cut into `model.gz.<i>` chunks. Small models
 * ride on the record's own labels (argv); a large one goes into the labels of a never-started
 * container (the engine client's createHolder: through the CLI with `--label-file /dev/stdin`),
 * so no argument and no line nears a limit (Linux caps one argument at 128 KiB; Docker reads a
 * label file line by line, 64 KiB a line). Gzip through the web's CompressionStream: no node:
 * module (node:zlib alone costs ~15 ms of every start, a dry run included).
 */
import type { Deps } from "../core/deps.ts";
import { engineOf } from "../docker/engine_of.ts";
import type { Target } from "../docker/target.ts";

const P = "dev.fleet.release.";
/** Characters of one chunk: under Docker's 64 KiB label-file line, far under 128 KiB of argv. */
const CHUNK = 60_000;
/** The most compressed model text that rides on the record's argv. */
const INLINE = 100_000;

/** `bytes` through a web compression stream (gzip, or back with DecompressionStream). */
async function through(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const piped = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

/**
 * The model as chunk labels (keys without the `dev.fleet.release.` prefix).
 * @example await modelLabels("name: x\n") // { "model.gz.0": "H4sI…" }
 */
export async function modelLabels(model: string): Promise<Record<string, string>> {
  const gz = await through(new TextEncoder().encode(model), new CompressionStream("gzip"));
  const b64 = gz.toBase64();
  const out: Record<string, string> = {};
  for (let i = 0; i * CHUNK < b64.length; i++) {
    out[`model.gz.${i}`] = b64.slice(i * CHUNK, (i + 1) * CHUNK);
  }
  return out;
}

/** Whether a model's chunks are small enough to go on the record's own argv. */
export async function fitsInline(model: string): Promise<boolean> {
  return Object.values(await modelLabels(model)).join("").length <= INLINE;
}

/** The model from labels with this prefix: chunked gzip, or the plain label of older records. */
export async function modelOf(
  labels: Readonly<Record<string, string>>,
  prefix = P,
): Promise<string | undefined> {
  if (labels[prefix + "model"]) return labels[prefix + "model"];
  const parts: string[] = [];
  for (let i = 0; labels[`${prefix}model.gz.${i}`] !== undefined; i++) {
    parts.push(labels[`${prefix}model.gz.${i}`]);
  }
  if (parts.length === 0) return undefined;
  try {
    const gz = Uint8Array.fromBase64(parts.join(""));
    return new TextDecoder().decode(await through(gz, new DecompressionStream("gzip")));
  } catch {
    return undefined; // an unreadable model: the record still lists
  }
}

/**
 * The labels of the never-started container that holds a large model (the engine client puts
 * them on `docker create`'s stdin: each chunk under Docker's 64 KiB a line).
 * @example Object.keys(await asideLabels("app-dev", "name: x\n")) // ["dev.fleet.release.model-of", "dev.fleet.release.model.gz.0"]
 */
export async function asideLabels(
  project: string,
  model: string,
): Promise<Record<string, string>> {
  const chunks = Object.entries(await modelLabels(model)).map(([k, v]) => [`${P}${k}`, v]);
  return { [`${P}model-of`]: project, ...Object.fromEntries(chunks) };
}

/** Fill in the models kept aside (one inspect for all of them). */
export async function withModelsAside<R extends { modelIn?: string; model?: string }>(
  deps: Deps,
  target: Target,
  releases: R[],
): Promise<R[]> {
  const aside = releases.filter((r) => r.modelIn && !r.model).map((r) => r.modelIn!);
  if (aside.length === 0) return releases;
  // a model that cannot be read leaves its release without one (it still lists)
  const labels = await engineOf(deps, target).containerLabels(aside).catch(() => new Map());
  const models = new Map<string, string>();
  for (const [name, l] of labels) {
    const m = await modelOf(l);
    if (m) models.set(name, m);
  }
  return releases.map((rel) =>
    rel.modelIn && models.has(rel.modelIn) ? { ...rel, model: models.get(rel.modelIn) } : rel
  );
}
