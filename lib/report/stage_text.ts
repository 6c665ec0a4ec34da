/** What `fleet stages` and `fleet config` print (pure renderings of resolved stages). */
import { yamlText } from "../config/yaml_cache.ts";
import { relative } from "../core/paths.ts";
import { type ImageOptions, imageRef } from "../docker/images.ts";
import type { Stage } from "../config/stage.ts";
import { table } from "./table.ts";

/** One stage as `fleet stages` lists it (a broken stage file has its error instead). */
export interface StageSummary {
  readonly name: string;
  readonly stage?: Stage;
  readonly error?: string;
}

/** What `fleet config` returns: the resolved stage, and the model its engine deploys. */
export interface ConfigResult {
  readonly stage: Stage;
  /** The Compose model (a Swarm stage: the stack file), as YAML. */
  readonly model: string;
}

/** `fleet stages`: a table of each stage's host, registry, platform and services. */
export function stagesText(list: readonly StageSummary[]): string {
  const rows = [["STAGE", "HOST", "REGISTRY", "PLATFORM", "SERVICES"]];
  for (const { name, stage: s } of list) {
    rows.push(
      s
        ? [
          s.name,
          s.host ?? (s.context ? `context:${s.context}` : "local engine"),
          s.registry ?? "-",
          s.platform ?? "native",
          s.services.map((x) => x.name).join(",") || "-",
        ]
        : [name, "(invalid stage file)", "-", "-", "-"],
    );
  }
  return table(rows);
}

/**
 * The resolved stage as YAML: defaults applied, every service's full image reference.
 * @example configYaml(stage) // "stage: live\nproject: myapp\n…"
 */
export function configYaml(s: Stage, opts: ImageOptions = {}): string {
  return yamlText(resolvedConfig(s, opts));
}

/**
 * The resolved stage as a plain object (`fleet config`, as YAML or JSON): defaults applied,
 * paths relative to the root, every service's full image reference.
 */
export function resolvedConfig(s: Stage, opts: ImageOptions = {}): Record<string, unknown> {
  const rel = (p: string) => relative(s.root, p) || ".";
  const services = Object.fromEntries(s.services.map((svc) => {
    const { name: _n, build, image: _i, own: _o, ...rest } = svc;
    const out: Record<string, unknown> = { image: imageRef(s, svc, opts) };
    if (build) {
      out.build = {
        context: rel(build.context),
        ...(build.dockerfile ? { dockerfile: rel(build.dockerfile) } : {}),
        ...(build.target ? { target: build.target } : {}),
        ...(Object.keys(build.args).length ? { args: build.args } : {}),
      };
    }
    return [svc.name, { ...out, ...rest }];
  }));
  return {
    stage: s.name,
    file: s.file,
    project: s.project,
    registry: s.registry ?? null,
    platform: s.platform ?? "native",
    buildx: s.buildx,
    tag: s.tag,
    ...(s.context ? { context: s.context } : { host: s.host ?? "local engine" }),
    confirm: s.confirm,
    ...(s.compose ? { compose_file: s.compose.files.map(rel) } : {}),
    ...(s.profiles?.length ? { profiles: s.profiles } : {}),
    services,
  };
}
