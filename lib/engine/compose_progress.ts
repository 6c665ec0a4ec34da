/**
 * Compose's own progress lines (COMPOSE_PROGRESS=plain) as service states, for the live block
 * (lib/core/progress.ts). Pure. The formats of Compose 2.x and later clients:
 * - containers: ` Container myapp-dev-web-1  Waiting` (2.x: the status after two spaces) or
 *   ` Container myapp-dev-web-1 Waiting ` (v5);
 * - pulls by service: ` web Pulling `, ` web Pulled `, ` api Skipped - Image is already being
 *   pulled by web ` (2.x); by image: ` Image 127.0.0.1:5000/web:v1 Pulled ` (newer clients).
 * Any other line (layers, networks, errors) is no service's state.
 */
import { parse } from "yaml";
import type { Observation, Phase, StepProgress } from "../core/progress.ts";
import type { EngineContext } from "./engine.ts";

const WORDS: Readonly<Record<string, string>> = {
  Waiting: "waiting for healthy…",
  Recreate: "recreating…",
};
const FAILED = /^(error|exited|unhealthy|dead)\b/i;

/**
 * A Compose status word as a state: `-ing` words are under way, errors and exits are failures,
 * the rest reached.
 * @example composeState("Pulling") // { text: "pulling…", phase: "working" }
 */
export function composeState(status: string): { text: string; phase: Phase } {
  const s = status.trim();
  const shared = /^Skipped\b.*already being pulled by (\S+)/.exec(s);
  if (shared) return { text: `same image as ${shared[1]}`, phase: "done" };
  if (WORDS[s]) return { text: WORDS[s], phase: "working" };
  const text = s.charAt(0).toLowerCase() + s.slice(1);
  if (FAILED.test(s)) return { text, phase: "failed" };
  if (/^\w+ing$/.test(s)) return { text: `${text}…`, phase: "working" };
  return { text, phase: "done" };
}

/**
 * The service of a container Compose named `<project>-<service>-<n>` (or with `_`), or
 * undefined (another project's, or a container_name of its own).
 * @example containerService("app-dev-web-1", "app-dev") // "web"
 */
export function containerService(name: string, project: string): string | undefined {
  for (const sep of ["-", "_"]) {
    if (!name.startsWith(project + sep)) continue;
    const m = /^(.+)[-_]\d+$/.exec(name.slice(project.length + 1));
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The reader of a Compose step's lines: the states a line tells (none for any other line).
 * `images` names each service's image, for the clients that name pulls by image.
 * @example readComposeLine(" Container app-dev-web-1  Healthy", "app-dev", ["web"], {})
 * // [{ service: "web", text: "healthy", phase: "done" }]
 */
export function readComposeLine(
  line: string,
  project: string,
  services: readonly string[],
  images: Readonly<Record<string, string>>,
): Observation[] {
  const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/.exec(line);
  if (!m) return [];
  const [, first, second, rest = ""] = m;
  if (first === "Container" && rest) {
    const service = containerService(second, project);
    return service ? [{ service, ...composeState(rest) }] : [];
  }
  if (first === "Image" && rest) {
    return Object.entries(images).filter(([s, ref]) => ref === second && services.includes(s))
      .map(([service]) => ({ service, ...composeState(rest) }));
  }
  if (services.includes(first)) {
    return [{ service: first, ...composeState(rest ? `${second} ${rest}` : second) }];
  }
  return [];
}

/** Each service's image in a Compose model (YAML). */
function modelImages(model: string): Record<string, string> {
  try {
    const m = parse(model) as { services?: Record<string, { image?: unknown }> };
    return Object.fromEntries(
      Object.entries(m?.services ?? {}).flatMap(([s, v]) =>
        typeof v?.image === "string" ? [[s, v.image]] : []
      ),
    );
  } catch {
    return {};
  }
}

/**
 * The live progress of a Compose step on `services`: rows start as `start` and end as `settled`.
 * @example composeProgress(ctx, ["web"], "pulling…", "pulled").read(" web Pulled ")
 */
export function composeProgress(
  ctx: EngineContext,
  services: readonly string[],
  start: string,
  settled: string,
): StepProgress {
  let images: Record<string, string> | undefined;
  return {
    services,
    start,
    settled,
    read: (line) => readComposeLine(line, ctx.project, services, images ??= modelImages(ctx.model)),
  };
}
