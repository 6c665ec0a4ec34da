/** What `fleet stages` and `fleet config` print (pure renderings of resolved stages). */
import { stringify } from "yaml";
import { relative } from "node:path";
import { type ImageOptions, imageRef } from "../docker/images.ts";
import type { Stage } from "../config/stage.ts";

/** Pad columns to a table. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** One row of `fleet stages`: name, host, registry, platform, services. */
export function stageRow(s: Stage): string[] {
  return [
    s.name,
    s.host ?? (s.context ? `context:${s.context}` : "local engine"),
    s.registry ?? "-",
    s.platform ?? "native",
    s.services.map((x) => x.name).join(",") || "-",
  ];
}

export const STAGE_HEADER = ["STAGE", "HOST", "REGISTRY", "PLATFORM", "SERVICES"];

/**
 * The resolved stage as YAML: defaults applied, every service's full image reference.
 * @example configYaml(stage) // "stage: live\nproject: myapp\n…"
 */
export function configYaml(s: Stage, opts: ImageOptions = {}): string {
  const rel = (p: string) => relative(s.root, p) || ".";
  const services = Object.fromEntries(s.services.map((svc) => {
    const { name: _n, build, image: _i, ...rest } = svc;
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
  return stringify({
    stage: s.name,
    file: s.file,
    project: s.project,
    registry: s.registry ?? null,
    platform: s.platform ?? "native",
    buildx: s.buildx,
    tag: s.tag,
    ...(s.context ? { context: s.context } : { host: s.host ?? "local engine" }),
    confirm: s.confirm,
    services,
  }, { lineWidth: 0 });
}
