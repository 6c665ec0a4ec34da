/**
 * Stage and service names as the files hold them, for shell completion: read without
 * validating, so a stage file being edited still completes. Never throws.
 */
import { join } from "../core/paths.ts";
import { parse } from "yaml";
import { findRoot, listStages } from "./stage.ts";

/** The stage names of the project at `cwd` (or `dir`), [] where there is none. */
export function stageNames(cwd: string, dir?: string): string[] {
  try {
    return listStages(findRoot(cwd, dir));
  } catch {
    return [];
  }
}

/** The service names of a stage (its file's and _base's, in file order), [] when unreadable. */
export function serviceNames(cwd: string, stage: string, dir?: string): string[] {
  try {
    const root = findRoot(cwd, dir);
    const names = ["_base", stage].flatMap((name) => Object.keys(servicesOf(root, name)));
    return [...new Set(names)];
  } catch {
    return [];
  }
}

function servicesOf(root: string, name: string): Record<string, unknown> {
  for (const ext of [".yaml", ".yml"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(join(root, "stages", `${name}${ext}`));
    } catch {
      continue;
    }
    const services = (parse(text) as { services?: unknown } | null)?.services;
    return services && typeof services === "object" && !Array.isArray(services)
      ? services as Record<string, unknown>
      : {};
  }
  return {};
}
