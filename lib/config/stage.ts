/**
 * Read `stages/*.yaml`, merge `_base`, validate, and resolve defaults into a typed Stage.
 * The only place that reads stage files. Values of `${VAR}` are NOT resolved here.
 */
import { join, resolve } from "../core/paths.ts";
import { ConfigError, UsageError } from "../core/errors.ts";
import { keyAt, locate, type Positions, positionsOf } from "./positions.ts";
import {
  NAME_RE,
  type Problem,
  type ServiceFile,
  type StageFile,
  validateStageFile,
} from "./schema.ts";
import { parsePlatforms } from "./platforms.ts";
import { type ProxySettings, proxySettings } from "./proxy_settings.ts";
import { templateError } from "./vars.ts";
import { readYamlFile, type YamlFile } from "./yaml_file.ts";
import { mergeService, readComposeFiles } from "./compose_files.ts";
import { COMPOSE_TOP_KEYS } from "./compose_spec.ts";
import { readDotenv } from "./dotenv.ts";
import { type StageHost, stageHosts } from "./hosts_settings.ts";
import { interpolate, unsetVars } from "./vars.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Dict = Record<string, unknown>;

/** A service as fleet works with it: the file's settings plus its resolved build. */
export interface Service extends Omit<ServiceFile, "build"> {
  readonly name: string;
  /**
   * On a stage with `compose_file:`, what the stage files themselves set for this service (the
   * overlay fleet puts on the Compose files' model); undefined when they set nothing.
   */
  readonly own?: Readonly<Record<string, unknown>>;
  readonly build?: {
    readonly context: string; // absolute
    readonly dockerfile?: string; // absolute when set in the file; else discovered at build time
    readonly target?: string;
    readonly args: Readonly<Record<string, string>>;
    /** BuildKit secrets: `--secret id=<id>,env=<env>` (the value only in the child's env). */
    readonly secrets?: readonly { readonly id: string; readonly env: string }[];
  };
}

/** A resolved stage: defaults applied, paths absolute, services in file order. */
export interface Stage {
  readonly name: string;
  readonly root: string;
  readonly file: string; // relative to root, e.g. stages/live.yaml
  readonly project: string;
  readonly local: boolean;
  readonly registry?: string;
  readonly platform?: string; // undefined = native; several: "linux/amd64,linux/arm64"
  readonly buildx: boolean;
  readonly tag: string;
  readonly host?: string;
  readonly context?: string;
  /** Several Docker hosts (SPEC §15), in name order; then host and context are unset. */
  readonly hosts?: readonly StageHost[];
  /** Hosts updated at a time in a release across `hosts` (default 1). */
  readonly parallel?: number;
  readonly confirm: boolean;
  readonly services: readonly Service[];
  /** A release task run with the new image before anything stops (SPEC §11). */
  readonly task?: { readonly service: string; readonly command: readonly string[] };
  /** Commands run on this machine around a deploy, each an argv. */
  readonly hooks: { readonly pre: readonly string[][]; readonly post: readonly string[][] };
  /** Releases kept in the history on the host. */
  readonly keep: number;
  /** Where each setting is written (for the position of later config errors). */
  readonly positions?: Positions;
  /** The engine that deploys the stage (SPEC §8): Compose, or Swarm from its manager. */
  readonly orchestrator: "compose" | "swarm";
  /** The host's proxy (SPEC §14), when the stage sets `proxy:` or a service has a route. */
  readonly proxy?: ProxySettings;
  /** The user's own Compose files (`compose_file:`), whose services are the stage's. */
  readonly compose?: {
    /** Absolute paths, in `-f` order. */
    readonly files: readonly string[];
    /** Compose's project directory: the first file's. */
    readonly projectDir: string;
    /** The files' top-level networks (names), for the commands that take a project away. */
    readonly networks: Readonly<Record<string, unknown>>;
  };
  /** Compose's top-level maps set in the stage files (networks, volumes, configs, secrets). */
  readonly top?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Profiles active on every command of the stage (`profiles:`; `--profile` adds more). */
  readonly profiles?: readonly string[];
  /** The variables of `.env` in the project directory (the process environment wins). */
  readonly dotenv?: Readonly<Record<string, string>>;
}

/** The environment a stage's variables resolve from: `.env`, then the process's (it wins). */
export function stageEnv(stage: Pick<Stage, "dotenv">, env: Env): Env {
  return { ...stage.dotenv, ...env };
}

/** Releases kept on the host when the stage file says nothing (`history: { keep }`). */
export const KEEP_HISTORY = 50;

/** One argv or a list of them, as a list. */
const argvs = (h: string[] | string[][] | undefined): string[][] =>
  !h ? [] : h.every((x) => Array.isArray(x)) ? h as string[][] : [h as string[]];

/** The project root: `dir` when given, else the nearest directory upwards that has `stages/`. */
export function findRoot(cwd: string, dir?: string): string {
  if (dir) {
    const root = resolve(cwd, dir);
    if (!isDir(join(root, "stages"))) {
      throw new UsageError(`no stages/ directory in ${root}`, {
        hint: "point -C/--dir (or FLEET_DIR) at a project that has stages/<stage>.yaml",
      });
    }
    return root;
  }
  let cur = resolve(cwd);
  for (;;) {
    if (isDir(join(cur, "stages"))) return cur;
    const up = resolve(cur, "..");
    if (up === cur) {
      throw new UsageError(`no stages/ directory in ${resolve(cwd)} or any parent`, {
        hint: "run fleet inside a project with stages/<stage>.yaml, or pass -C <dir>",
      });
    }
    cur = up;
  }
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Stage names (file names in stages/, without .yaml/.yml, not starting with `_`), sorted.
 * Names that are not valid stage names are left out; {@link invalidStageFiles} lists them.
 */
export function listStages(root: string): string[] {
  const names = stageFileNames(root).filter((n) => NAME_RE.test(n));
  const order = ["local", "dev", "pre", "live"];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function stageFileNames(root: string): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(join(root, "stages"))) {
    const m = e.name.match(/^(.+)\.ya?ml$/);
    if (e.isFile && m && !m[1].startsWith("_")) names.push(m[1]);
  }
  return names;
}

/** Files in stages/ that look like stage files but whose names are not valid stage names. */
export function invalidStageFiles(root: string): string[] {
  return stageFileNames(root).filter((n) => !NAME_RE.test(n)).sort();
}

/** The error for a stage file whose name is not a valid stage name. */
export function invalidNameError(root: string, name: string): UsageError | undefined {
  const file = ["yaml", "yml"].map((e) => `stages/${name}.${e}`).find((f) => isFile(root, f));
  if (!file || name.startsWith("_") || NAME_RE.test(name)) return undefined;
  return new UsageError(`${file}: "${name}" is not a valid stage name`, {
    hint: "a stage's name is its file's name and must match [a-z0-9][a-z0-9_-]*: rename the file",
  });
}

function stageFile(root: string, name: string): string | undefined {
  for (const ext of [".yaml", ".yml"]) {
    const rel = `stages/${name}${ext}`;
    try {
      if (Deno.statSync(join(root, rel)).isFile) return rel;
    } catch { /* try the next one */ }
  }
  return undefined;
}

/** Deep merge: maps merge key by key, anything else (lists included) is replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlain(base) && isPlain(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Load, merge and validate one stage; throws ConfigError/UsageError with file + key path.
 * `env` resolves the variables fleet must know before anything runs (image references), with
 * `.env` of the project directory under it.
 */
export function loadStage(root: string, name: string, env: Env = Deno.env.toObject()): Stage {
  const rel = NAME_RE.test(name) ? stageFile(root, name) : undefined;
  if (!rel) {
    const stages = listStages(root);
    throw invalidNameError(root, name) ??
      new UsageError(`unknown stage "${name}" (stages: ${stages.join(", ") || "none"})`, {
        hint: stages.length ? undefined : `create stages/${name}.yaml`,
      });
  }
  const baseRel = stageFile(root, "_base");
  const base = baseRel ? readYamlFile(root, baseRel) : undefined;
  const own = readYamlFile(root, rel);
  const fileDoc = deepMerge(base?.data ?? {}, own.data) as Dict;
  const list = fileDoc.compose_file;
  const src = typeof list === "string" || Array.isArray(list)
    ? readComposeFiles(
      root,
      [list].flat().map(String),
      `${locate(["compose_file"], false, own, base)}: compose_file`,
    )
    : undefined;
  const merged = src ? withComposeServices(fileDoc, swarmDrops(fileDoc, src.services)) : fileDoc;
  const r = validateStageFile(merged);
  const problems = r.ok ? templateProblems(r.value) : r.problems;
  const below = src?.parsed ?? [];
  if (!r.ok || problems.length) throw problemsError(problems, own, base, below);
  const stage = resolveStage(root, name, rel, r.value, baseRel, positionsOf(...below, base, own));
  if (!src) return withImages(stage, env);
  const ownServices = isDict(fileDoc.services) ? fileDoc.services : {};
  return withImages({
    ...stage,
    compose: { files: src.files, projectDir: src.projectDir, networks: src.networks },
    dotenv: readDotenv(src.projectDir),
    services: stage.services.map((svc) => {
      const o = ownServices[svc.name];
      return isDict(o) ? { ...svc, own: o } : svc;
    }),
  }, env);
}

/**
 * On a Swarm stage, what `docker stack deploy` ignores in a Compose file is left out of the
 * files' services (start order: Swarm starts every service at once).
 */
function swarmDrops(doc: Dict, services: Readonly<Record<string, Dict>>): Record<string, Dict> {
  if (doc.orchestrator !== "swarm") return { ...services };
  return Object.fromEntries(
    Object.entries(services).map(([n, { depends_on: _d, ...rest }]) => [n, rest]),
  );
}

/** The Compose files' services with the stage files' settings over them (Compose's merge). */
function withComposeServices(doc: Dict, services: Readonly<Record<string, Dict>>): Dict {
  const stageOwn = isDict(doc.services) ? doc.services : {};
  const out: Record<string, unknown> = {};
  for (const [n, svc] of Object.entries(services)) {
    out[n] = isDict(stageOwn[n]) ? mergeService(svc, stageOwn[n] as Dict) : svc;
  }
  for (const [n, svc] of Object.entries(stageOwn)) if (!(n in out)) out[n] = svc;
  return { ...doc, services: out };
}

/**
 * Image references with `${VAR}` resolved from the environment (and `.env`) when every variable
 * has a value or a default: fleet pulls, pins and records them. One that cannot be resolved is
 * kept as written: the commands that need it say which variable is missing.
 */
function withImages(stage: Stage, env: Env): Stage {
  const vars = stageEnv(stage, env);
  if (!stage.services.some((s) => s.image?.includes("$"))) return stage;
  return {
    ...stage,
    services: stage.services.map((s) =>
      s.image?.includes("$") && unsetVars(s.image, vars).length === 0
        ? { ...s, image: interpolate(s.image, vars) }
        : s
    ),
  };
}

const isDict = (x: unknown): x is Dict => typeof x === "object" && x !== null && !Array.isArray(x);

const MAX_PROBLEMS = 20;

/** One ConfigError for the problems, each against the file that sets its key (at most 20). */
function problemsError(
  problems: readonly Problem[],
  own: YamlFile,
  base: YamlFile | undefined,
  below: readonly YamlFile[],
): ConfigError {
  const msgs = problems.slice(0, MAX_PROBLEMS).map((p) =>
    `${locate(p.path, p.key === true, own, base, ...below)}: ${
      p.path.join(".") || "(top)"
    }: ${p.message}`
  );
  if (problems.length > MAX_PROBLEMS) msgs.push(`… and ${problems.length - MAX_PROBLEMS} more`);
  return new ConfigError(msgs.join("\n"), { hint: "see the stage file reference in README.md" });
}

/** Strings with a variable that Compose would reject, by key path. */
function templateProblems(value: unknown, path: string[] = []): Problem[] {
  if (typeof value === "string") {
    const why = templateError(value);
    return why ? [{ path, message: why }] : [];
  }
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => templateProblems(v, [...path, k]));
  }
  return [];
}

function isFile(root: string, rel: string): boolean {
  try {
    return Deno.statSync(join(root, rel)).isFile;
  } catch {
    return false;
  }
}

function resolveStage(
  root: string,
  name: string,
  file: string,
  f: StageFile,
  baseFile: string | undefined,
  positions: Positions,
): Stage {
  const local = name === "local";
  const at = (...path: string[]) => keyAt({ file, positions }, path);
  if (!f.project) {
    throw new ConfigError(
      `${at("project")}: required (set it here or in ${baseFile ?? "stages/_base.yaml"})`,
      {
        hint: "project: myapp   # [a-z0-9][a-z0-9_-]*",
      },
    );
  }
  if (f.host && f.context) {
    throw new ConfigError(`${at("context")}: set either host or context, not both`, {
      hint: `host: is a DOCKER_HOST URL, context: a Docker context name`,
    });
  }
  const services = Object.entries(f.services ?? {}).map(([svc, s]) =>
    resolveService(root, svc, s, at, f.services ?? {})
  );
  return {
    name,
    root,
    file,
    project: f.project,
    local,
    registry: f.registry?.replace(/\/+$/, "") || undefined,
    platform: f.platform === undefined
      ? (local ? undefined : "linux/amd64")
      : parsePlatforms(f.platform).join(","),
    buildx: f.buildx ?? !local,
    tag: f.tag ?? "latest",
    host: f.host,
    context: f.context,
    ...(f.hosts ? { hosts: stageHosts(f.hosts), parallel: f.rollout?.parallel ?? 1 } : {}),
    confirm: f.confirm ?? !local,
    services,
    ...(task(at, f) ? { task: task(at, f) } : {}),
    hooks: { pre: argvs(f.hooks?.pre_deploy), post: argvs(f.hooks?.post_deploy) },
    keep: f.history?.keep ?? KEEP_HISTORY,
    positions,
    orchestrator: f.orchestrator ?? "compose",
    ...(f.proxy || services.some((s) => s.proxy) ? { proxy: proxySettings(f.proxy) } : {}),
    top: Object.fromEntries(
      COMPOSE_TOP_KEYS.filter((k) => f[k] !== undefined).map((k) => [k, f[k] as Dict]),
    ),
    profiles: f.profiles ?? [],
    dotenv: readDotenv(root),
  };
}

function task(at: (...path: string[]) => string, f: StageFile): Stage["task"] {
  const t = f.tasks?.pre_deploy;
  if (!t) return undefined;
  if (!t.service || !t.command) {
    throw new ConfigError(
      `${at("tasks", "pre_deploy", t.service ? "command" : "service")}: required`,
      { hint: `tasks: { pre_deploy: { service: web, command: ["bin/migrate"] } }` },
    );
  }
  const names = Object.keys(f.services ?? {});
  if (!names.includes(t.service)) {
    throw new ConfigError(
      `${at("tasks", "pre_deploy", "service")}: unknown service "${t.service}" (services: ${
        names.join(", ")
      })`,
    );
  }
  const command = typeof t.command === "string" ? ["sh", "-c", t.command] : t.command;
  return { service: t.service, command };
}

function resolveService(
  root: string,
  name: string,
  s: ServiceFile,
  at: (...path: string[]) => string,
  all: Record<string, unknown>,
): Service {
  const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
  for (const dep of deps) {
    // a name from a variable (`${DB_HOST:-db}`) is Compose's to resolve and check
    if (!(dep in all) && !dep.includes("$")) {
      throw new ConfigError(
        `${at("services", name, "depends_on")}: unknown service "${dep}" (services: ${
          Object.keys(all).join(", ")
        })`,
      );
    }
  }
  const { build, ...rest } = s;
  if (!build && !s.image) {
    throw new ConfigError(`${at("services", name)}: needs build: or image:`, {
      hint: "build: {} builds services/<name>/Dockerfile; image: uses an existing image",
    });
  }
  if (!build) return { name, ...rest };
  const context = resolve(root, build.context ?? ".");
  return {
    name,
    ...rest,
    build: {
      context,
      dockerfile: build.dockerfile ? resolve(context, build.dockerfile) : undefined,
      target: build.target,
      // an argument without a value takes it from the environment, as Compose does
      args: Object.fromEntries(
        Object.entries(build.args ?? {}).filter(([, v]) => v !== null).map((
          [k, v],
        ) => [k, String(v)]),
      ),
      ...(build.secrets?.length ? { secrets: build.secrets } : {}),
    },
  };
}

/** The Dockerfile of a built service: the one set, or the first of the SPEC's candidates. */
export function findDockerfile(svc: Service, exists: (p: string) => boolean): string | undefined {
  return dockerfileCandidates(svc).find(exists);
}

/** The Dockerfiles looked for, in order: the one set, else the SPEC's four (absolute paths). */
export function dockerfileCandidates(svc: Service): string[] {
  if (!svc.build) return [];
  if (svc.build.dockerfile) return [svc.build.dockerfile];
  const c = svc.build.context;
  return [
    join(c, "services", svc.name, "Dockerfile"),
    join(c, svc.name, "Dockerfile"),
    join(c, `Dockerfile.${svc.name}`),
    join(c, "Dockerfile"),
  ];
}
