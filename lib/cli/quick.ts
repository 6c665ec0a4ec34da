/**
 * The quick commands: `stages`, `config` and `deploy --dry-run` read the stage files and print,
 * and most of their start-up went to loading commander (~25 ms of ~100). Their plain command
 * lines are read here, with no parser loaded, into the very options commander gives the same
 * line (checked side by side in tests/cli/quick_test.ts); anything else (help, a flag this
 * table does not know, a value that starts with `-`, a second argument) is left to commander,
 * so its messages and usage errors stay the only ones. FLEET_QUICK=0 turns it off.
 */
import { DEFAULTS } from "../core/defaults.ts";

export type QuickName = "stages" | "config" | "deploy";

/** A command line read without commander: what the router's action for it would get. */
export interface QuickCall {
  readonly name: QuickName;
  /** The stage argument as given (the router's stageArg applies FLEET_STAGE and the error). */
  readonly stage: string | undefined;
  /** The options, as commander's `{ ...optsWithGlobals(), ...opts, stage }`. */
  readonly o: Readonly<Record<string, unknown>>;
}

/** An option: its key in the options, whether it takes a value and whether it repeats. */
interface Flag {
  readonly key: string;
  readonly value?: "one" | "many";
  /** The value a bare flag sets (`--no-pull` sets pull to false); default true. */
  readonly sets?: boolean;
}

const GLOBALS: Record<string, Flag> = {
  "-C": { key: "dir", value: "one" },
  "--dir": { key: "dir", value: "one" },
  "--verbose": { key: "verbose" },
};

/** Per command: its flags, the defaults commander fills in, and how many arguments it takes. */
const COMMANDS: Record<
  QuickName,
  { flags: Record<string, Flag>; defaults: Record<string, unknown>; args: 0 | 1 }
> = {
  stages: { flags: { "--json": { key: "json" } }, defaults: {}, args: 0 },
  config: {
    flags: {
      "--compose": { key: "compose" },
      "--profile": { key: "profile", value: "many" },
      "--json": { key: "json" },
    },
    defaults: { profile: [] },
    args: 1,
  },
  // a dry run only (the check below): a deploy that changes a host keeps commander's parse
  deploy: {
    flags: {
      "--dry-run": { key: "dryRun" },
      "-n": { key: "service", value: "many" },
      "--service": { key: "service", value: "many" },
      "--no-pull": { key: "pull", sets: false },
      "-y": { key: "yes" },
      "--yes": { key: "yes" },
      "--tag": { key: "tag", value: "one" },
      "--json": { key: "json" },
      "--profile": { key: "profile", value: "many" },
    },
    defaults: {
      service: [],
      lockWait: DEFAULTS.lockWait,
      profile: [],
      pull: true,
      rollback: true,
    },
    args: 1,
  },
};

/**
 * The quick call `argv` makes, or undefined when commander should read it.
 * @example quickCall(["config", "dev", "--json"], {}) // { name: "config", stage: "dev", o: { profile: [], json: true, stage: "dev" } }
 */
export function quickCall(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): QuickCall | undefined {
  const name = argv[0] as QuickName;
  if (!Object.hasOwn(COMMANDS, name)) return undefined;
  const { flags, defaults, args } = COMMANDS[name];
  const o: Record<string, unknown> = structuredClone(defaults);
  const positional: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i];
    if (!word.startsWith("-")) {
      positional.push(word);
      continue;
    }
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const given = eq > 0 ? word.slice(0, eq) : word;
    const flag = Object.hasOwn(flags, given)
      ? flags[given]
      : Object.hasOwn(GLOBALS, given)
      ? GLOBALS[given]
      : undefined;
    if (!flag) return undefined; // --help, --, -Cdir, an unknown flag: commander's to read
    if (!flag.value) {
      if (eq > 0) return undefined;
      o[flag.key] = flag.sets ?? true;
      continue;
    }
    const value = eq > 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    o[flag.key] = flag.value === "many" ? [...(o[flag.key] as string[]), value] : value;
  }
  if (positional.length > args) return undefined;
  if (name === "deploy" && o.dryRun !== true) return undefined;
  // commander's .env("FLEET_DIR"): the variable when the flag is not given
  if (o.dir === undefined && env.FLEET_DIR !== undefined) o.dir = env.FLEET_DIR;
  const stage = positional[0];
  return { name, stage, o: args ? { ...o, stage: stage ?? env.FLEET_STAGE } : o };
}
