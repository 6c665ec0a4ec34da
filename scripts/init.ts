/**
 * `fleet init [--from compose.yaml [--copy]] [--project name]` writes stages/ for a project: with
 * --from, `_base.yaml` names the Compose file (`compose_file:`), which stays the source of the
 * services; --copy copies its services into `_base.yaml` instead. It never writes over a file,
 * and takes back what it wrote when a stage would not load. `fleet schema` prints the JSON Schema
 * of stage files for editors.
 * Needs: lib/config/{init,compose_import,compose_keys,compose_yaml,json_schema,schema,stage}.ts,
 * lib/core/errors.ts
 */
import { dirname, join, relative, resolve } from "node:path";
import { ConfigError, UsageError } from "../lib/core/errors.ts";
import type { Imported } from "../lib/config/compose_import.ts";
import { INIT_FILES, type InitFile, initFiles } from "../lib/config/init.ts";
import { loadStage } from "../lib/config/stage.ts";
import { stageJsonSchema } from "../lib/config/json_schema.ts";

type Out = (text: string) => void;

/** Write the stage files; refuses (exit 2, nothing written) when any of them exists. */
export function initCommand(
  opts: { from?: string; copy?: boolean; project?: string; dir?: string },
  out: Out = console.log,
  cwd = Deno.cwd(),
): InitFile[] {
  const root = resolve(cwd, opts.dir ?? ".");
  if (!isDir(root)) throw new UsageError(`no such directory: ${root}`);
  const taken = INIT_FILES.flatMap((f) => [f, f.replace(/\.yaml$/, ".yml")])
    .filter((f, i, all) => all.indexOf(f) === i && exists(join(root, f)));
  if (taken.length) {
    throw new UsageError(
      `${taken.join(", ")} already exist${taken.length > 1 ? "" : "s"}: fleet init never ` +
        "overwrites a file (nothing was written)",
      { hint: "move it away first, or edit the stage files by hand" },
    );
  }
  if (opts.copy && !opts.from) {
    throw new UsageError("--copy copies the services of a Compose file: give it with --from");
  }
  const compose = opts.from ? readCompose(resolve(cwd, opts.from), root) : undefined;
  const { files, imported } = initFiles({
    dirName: root.split("/").filter(Boolean).at(-1) ?? "app",
    project: opts.project,
    compose,
    copy: opts.copy,
  });
  writeChecked(root, files);
  out(`wrote ${files[0].path} (${baseSummary(imported, compose?.file, opts.copy)})`);
  out(`wrote ${files[1].path}`);
  out(`wrote ${files[2].path}, ${files[3].path}: example hosts, change the lines marked CHANGE ME`);
  out(`wrote ${files[4].path} (the editor's schema; \`fleet schema\` prints it anew)`);
  for (const line of notes(root, opts, compose, imported)) out(line);
  out("next: fleet config local, then fleet build local && fleet deploy local --yes");
  return files;
}

/** What the user should know about the Compose file, after the files are written. */
function notes(
  root: string,
  opts: { from?: string; copy?: boolean },
  compose: ReturnType<typeof readCompose> | undefined,
  imported: Imported | undefined,
): string[] {
  const lines: string[] = [];
  if (opts.copy && imported?.notes.some((n) => n.text.startsWith("not taken over"))) {
    lines.push(
      `some keys of ${compose!.file} were not taken over: see the comments in ${INIT_FILES[0]}`,
    );
  }
  if (imported?.secrets.length) {
    lines.push(
      opts.copy
        ? `set before deploying (secrets that were literal): ${imported.secrets.join(", ")}`
        : `note: ${compose!.file} holds literal values under secret-looking keys ` +
          `(${imported.secrets.join(", ")}): \${VAR} there keeps them out of the file`,
    );
  }
  const override = compose && !opts.copy ? overrideBeside(compose.path) : undefined;
  if (override) {
    const both = `[${compose!.file}, ${relative(root, override).replaceAll("\\", "/")}]`;
    lines.push(
      `note: ${relative(dirname(override), override)} beside it is not in compose_file: ` +
        `(docker compose merges it when run without -f); to deploy it too: compose_file: ${both}`,
    );
  }
  if (compose && opts.copy && compose.base && exists(join(root, compose.base, ".env"))) {
    // Compose read the .env beside its file; the stage files' .env is the root's
    lines.push(
      `note: ${compose.base}/.env is no longer read (Compose read it beside ${compose.file}); ` +
        "fleet reads .env at the project root",
    );
  }
  if (!compose) {
    const found = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
      .find((f) => exists(join(root, f)));
    if (found) {
      lines.push(`note: \`fleet init --from ${found}\` would have taken its services over`);
    }
  }
  return lines;
}

function baseSummary(imported: Imported | undefined, file?: string, copy?: boolean): string {
  if (!imported) return "a skeleton: edit it";
  const names = Object.keys(imported.services);
  const list = names.length > 8
    ? `${names.slice(0, 8).join(", ")} … (${names.length})`
    : names.join(", ");
  return copy ? `services ${list} copied from ${file}` : `compose_file: ${file}, services ${list}`;
}

/**
 * Write the files (none exists: checked before), then load every stage they make; when one does
 * not load, take them all back and throw its error: init never leaves stages that fail.
 */
function writeChecked(root: string, files: readonly InitFile[]): void {
  const madeDir = !exists(join(root, "stages"));
  Deno.mkdirSync(join(root, "stages"), { recursive: true });
  const written: string[] = [];
  try {
    for (const f of files) {
      Deno.writeTextFileSync(join(root, f.path), f.text, { createNew: true });
      written.push(f.path);
    }
    for (const stage of ["local", "dev", "live"]) loadStage(root, stage);
  } catch (e) {
    for (const f of written) Deno.removeSync(join(root, f));
    if (madeDir) Deno.removeSync(join(root, "stages"));
    if (e instanceof ConfigError) {
      throw new ConfigError(`fleet init wrote nothing: the stages would not load:\n${e.message}`, {
        hint: e.hint,
      });
    }
    throw e;
  }
}

/** The override file Compose merges by itself beside a Compose file (`compose.override.yaml`). */
function overrideBeside(path: string): string | undefined {
  const stem = path.replace(/\.ya?ml$/, "");
  return [".override.yaml", ".override.yml"].map((e) => stem + e).find(exists);
}

function readCompose(path: string, root: string) {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new UsageError(`--from ${path}: cannot read it (${(e as Error).message})`);
  }
  const file = (relative(root, path) || path).replaceAll("\\", "/");
  const base = relative(root, dirname(path)).replaceAll("\\", "/");
  return { text, file, base, path };
}

/** Print the JSON Schema of stage files (draft-07, for `# yaml-language-server: $schema=…`). */
export function schemaCommand(
  out: Out = (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
): void {
  out(JSON.stringify(stageJsonSchema(), null, 2) + "\n");
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}
