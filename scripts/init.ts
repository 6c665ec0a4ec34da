/**
 * `fleet init [--from compose.yaml] [--project name]` writes stages/ for a project (from its
 * Compose file when given; never over a file that exists), and `fleet schema` prints the JSON
 * Schema of stage files for editors.
 * Needs: lib/config/{init,compose_import,compose_keys,json_schema,schema}.ts, lib/core/errors.ts
 */
import { dirname, join, relative, resolve } from "node:path";
import { UsageError } from "../lib/core/errors.ts";
import { INIT_FILES, type InitFile, initFiles } from "../lib/config/init.ts";
import { stageJsonSchema } from "../lib/config/json_schema.ts";

type Out = (text: string) => void;

/** Write the stage files; refuses (exit 2, nothing written) when any of them exists. */
export function initCommand(
  opts: { from?: string; project?: string; dir?: string },
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
  const compose = opts.from ? readCompose(resolve(cwd, opts.from), root) : undefined;
  const { files, imported } = initFiles({
    dirName: root.split("/").filter(Boolean).at(-1) ?? "app",
    project: opts.project,
    compose,
  });
  Deno.mkdirSync(join(root, "stages"), { recursive: true });
  for (const f of files) Deno.writeTextFileSync(join(root, f.path), f.text, { createNew: true });
  const names = imported ? Object.keys(imported.services) : [];
  out(
    `wrote ${files[0].path} (${
      compose ? `services ${names.join(", ")} from ${compose.file}` : "a skeleton: edit it"
    })`,
  );
  out(`wrote ${files[1].path}`);
  out(`wrote ${files[2].path}, ${files[3].path}: example hosts, change the lines marked CHANGE ME`);
  out(`wrote ${files[4].path} (the editor's schema; \`fleet schema\` prints it anew)`);
  if (imported?.notes.some((n) => n.text.startsWith("not taken over"))) {
    out(`some keys of ${compose!.file} were not taken over: see the comments in ${files[0].path}`);
  }
  if (imported?.secrets.length) {
    out(`set before deploying (secrets that were literal): ${imported.secrets.join(", ")}`);
  }
  if (!compose) {
    const found = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
      .find((f) => exists(join(root, f)));
    if (found) out(`note: \`fleet init --from ${found}\` would have taken its services over`);
  }
  out("next: fleet config local, then fleet build local && fleet deploy local --yes");
  return files;
}

function readCompose(path: string, root: string) {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new UsageError(`--from ${path}: cannot read it (${(e as Error).message})`);
  }
  const file = relative(root, path) || path;
  const base = relative(root, dirname(path)).replaceAll("\\", "/");
  return { text, file, base };
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
