/**
 * The files `fleet init` writes (pure): stages/_base.yaml, local.yaml, dev.yaml, live.yaml and
 * the editor's schema, from a Compose file or as a commented skeleton. Each stage file's first
 * line points the YAML language server (VS Code's YAML extension) at the schema next to it.
 */
import {
  Document,
  isMap,
  isScalar,
  type Node,
  type Pair,
  type Scalar,
  visit,
  type YAMLMap,
} from "yaml";
import { ConfigError, UsageError } from "../core/errors.ts";
import { importCompose, type Imported, type Note } from "./compose_import.ts";
import { SCHEMA_FILE, stageJsonSchema } from "./json_schema.ts";
import { NAME_RE } from "./schema.ts";

/** One file to write, relative to the project root. */
export interface InitFile {
  readonly path: string;
  readonly text: string;
}

/** What `fleet init` was given. */
export interface InitInput {
  readonly dirName: string; // the project root's directory name (the default project name)
  readonly project?: string; // --project
  readonly compose?: { readonly text: string; readonly file: string; readonly base: string };
  readonly copy?: boolean; // --copy: the services into _base.yaml instead of compose_file:
}

/** The stage files `fleet init` writes, in order. */
export const INIT_FILES = [
  "stages/_base.yaml",
  "stages/local.yaml",
  "stages/dev.yaml",
  "stages/live.yaml",
  `stages/${SCHEMA_FILE}`,
] as const;

const MODELINE = `# yaml-language-server: $schema=${SCHEMA_FILE}`;

/**
 * The files of a new project, with what the Compose file held.
 * @example initFiles({ dirName: "shop" }).map((f) => f.path) // INIT_FILES
 */
export function initFiles(input: InitInput): { files: InitFile[]; imported?: Imported } {
  const imported = input.compose && importCompose(input.compose.text, input.compose);
  const project = projectName(input, imported?.name);
  const first = imported ? Object.keys(imported.services)[0] : "web";
  const file = input.compose?.file ?? "";
  const base = !imported
    ? skeleton(project)
    : input.copy
    ? copiedYaml(project, imported, file)
    : referenceYaml(project, imported, file);
  const files = [
    { path: INIT_FILES[0], text: base },
    { path: INIT_FILES[1], text: localYaml(first) },
    { path: INIT_FILES[2], text: cloudYaml("dev", "203.0.113.10") },
    { path: INIT_FILES[3], text: cloudYaml("live", "203.0.113.20") },
    { path: INIT_FILES[4], text: JSON.stringify(stageJsonSchema(), null, 2) + "\n" },
  ];
  return { files, imported };
}

function projectName(input: InitInput, fromCompose?: string): string {
  if (input.project !== undefined) {
    if (NAME_RE.test(input.project)) return input.project;
    throw new UsageError(`--project "${input.project}": must match [a-z0-9][a-z0-9_-]*`);
  }
  const name = (fromCompose ?? input.dirName).toLowerCase().replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "").replace(/-+$/, "");
  return name || "app";
}

/** `_base.yaml` that keeps the Compose file as the source of the services. */
function referenceYaml(project: string, imported: Imported, file: string): string {
  if (imported.fleetLabels.length) {
    // fleet sets these on every container and refuses them in the files it deploys
    throw new ConfigError(
      `${file}: ${imported.fleetLabels[0]}: dev.fleet.* labels are fleet's own` +
        (imported.fleetLabels.length > 1 ? ` (and ${imported.fleetLabels.length - 1} more)` : ""),
      {
        hint: `remove them from ${file} (fleet sets them itself), or copy the services with ` +
          `\`fleet init --from ${file} --copy\`, which leaves them out`,
      },
    );
  }
  const lines = [
    MODELINE,
    "# Shared by every stage: deep-merged under stages/<stage>.yaml (maps merge, lists are replaced).",
    `# The services are those of ${file}, as Compose reads it: keep editing that file.`,
    "# Here or in a stage file, services: { <name>: {…} } overlays one by name (any Compose key,",
    '# or fleet\'s: registry, image, build …). Every key: README.md, "Stages"; the model a stage',
    "# deploys: `fleet config <stage> --compose`.",
  ];
  if (imported.secrets.length) {
    lines.push(
      "#",
      `# ${file} holds literal values under secret-looking keys (${imported.secrets.join(", ")}):`,
      "# write ${VAR} there instead, and set the variables where fleet runs.",
    );
  }
  const doc = new Document({ project, compose_file: file });
  doc.commentBefore = lines.map((l) => l.replace(/^#/, "")).join("\n");
  return doc.toString({ lineWidth: 0 });
}

/** `_base.yaml` with the Compose file's services and top-level definitions copied in. */
function copiedYaml(project: string, imported: Imported, file: string): string {
  const doc = new Document({ project, services: imported.services, ...imported.top }, {
    aliasDuplicateObjects: false,
  });
  const header = [
    MODELINE,
    "# Shared by every stage: deep-merged under stages/<stage>.yaml (maps merge, lists are replaced).",
    `# Written by \`fleet init --copy\` from ${file}: every key as it was there (aliases expanded,`,
    "# paths from the project root); fleet no longer reads that file. Every key: README.md,",
    '# "Stages". `fleet config <stage> --compose` shows the model a stage deploys.',
  ];
  if (imported.secrets.length) {
    header.push(
      "#",
      `# Set before deploying (secrets that were literal in ${file}, now read from the`,
      `# environment and never stored): ${imported.secrets.join(", ")}`,
    );
  }
  doc.commentBefore = header.map((l) => l.replace(/^#/, "")).join("\n");
  const find = finder();
  for (const note of imported.notes) attach(doc, note, find);
  visit(doc, {
    Seq(_, seq) {
      const short = seq.items.every(isScalar) && JSON.stringify(seq.toJSON()).length <= 72;
      if (short) {
        seq.flow = true;
        for (const it of seq.items as Scalar[]) {
          if (typeof it.value === "string") it.type = "QUOTE_DOUBLE";
        }
      }
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false, nullStr: "" });
}

type Finder = (map: YAMLMap, key: string) => Pair | undefined;

/** A key's pair in a map, each map indexed once (a file may have thousands of services). */
function finder(): Finder {
  const index = new WeakMap<YAMLMap, Map<unknown, Pair>>();
  return (map, key) => {
    let keys = index.get(map);
    if (!keys) {
      keys = new Map(map.items.map((it) => [isScalar(it.key) ? it.key.value : it.key, it]));
      index.set(map, keys);
    }
    return keys.get(key);
  };
}

/**
 * Put a note's lines before the key at its path; a note on a key that is not there (it was
 * left out), or inside a list, goes with the nearest map above it.
 */
function attach(doc: Document, note: Note, find: Finder): void {
  const [why, ...more] = note.text.split("\n");
  const text = [...wrap(why, 92 - 2 * note.path.length), ...more].map((l) => ` ${l}`).join("\n");
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let parent: YAMLMap | undefined;
  for (const key of note.path) {
    if (!isMap(node)) break;
    parent = node;
    pair = find(node, key);
    if (!pair) break;
    node = pair.value;
  }
  if (pair && isScalar(pair.key)) {
    const key: Node = pair.key;
    key.commentBefore = key.commentBefore ? `${key.commentBefore}\n${text}` : text;
  } else if (parent && note.path.length) {
    parent.comment = parent.comment ? `${parent.comment}\n${text}` : text;
  } else {
    doc.commentBefore = `${doc.commentBefore ?? ""}\n\n${text}`;
  }
}

/** Words in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) {
      lines[lines.length - 1] = `${last} ${word}`;
    } else lines.push(word);
  }
  return lines;
}

function skeleton(project: string): string {
  return `${MODELINE}
# Shared by every stage: deep-merged under stages/<stage>.yaml (maps merge, lists are replaced).
# Every key: README.md, "Stages". \`fleet config <stage>\` shows a stage resolved.

project: ${project}
# compose_file: compose.yaml # or take the services of your Compose file (README: "Bring your compose.yaml")
services:
  # one entry per service, with the keys of Compose
  web:
    build: {} # fleet build builds it from services/web/Dockerfile, web/Dockerfile, Dockerfile.web or Dockerfile
    ports: ["8080:8080"]
    # environment: { DATABASE_URL: "\${DATABASE_URL}" } # \${VAR} is read when fleet runs, never stored
    # volumes: ["data:/data"] # named volumes are never removed by fleet
    # healthcheck: { test: ["CMD", "wget", "-qO-", "http://localhost:8080/"], interval: 5s, retries: 5 }
    # depends_on: { db: { condition: service_healthy } } # and every other Compose service key
  # db:
  #   image: postgres:16 # a service without build: runs this image as it is
  #   volumes: ["pgdata:/var/lib/postgresql/data"]
`;
}

function localYaml(service: string): string {
  return `${MODELINE}
# The developer's machine: native \`docker build\`, never pushed, deployed to the local engine.
#   fleet build local && fleet deploy local --yes
# Keys here override stages/_base.yaml for this stage only, e.g.:
# services:
#   ${service}:
#     environment: { LOG_LEVEL: debug }
`;
}

function cloudYaml(stage: string, ip: string): string {
  return `${MODELINE}
# EXAMPLE cloud stage. CHANGE ME: ${ip} is a documentation address (RFC 5737), not a host
# of yours. Point host: at your Docker host (ssh://user@host, tcp://host:2376), or replace it
# with context: <docker context>. Then:
#   fleet build ${stage} --push && fleet deploy ${stage}
host: ssh://deploy@${ip} # CHANGE ME
registry: ghcr.io/your-org # CHANGE ME: where fleet build --push puts the images this host pulls
`;
}
