/**
 * `fleet completions bash|zsh|fish` prints a shell's completion script; the script calls back
 * `fleet __complete <words…>`, which prints one candidate per line (`value<TAB>description`):
 * commands and options from the router's own definitions, stage and service names from the
 * project at that moment.
 * Needs: lib/cli/completions.ts, lib/config/{names,stage,schema}.ts
 */
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CommandInfo,
  completeWords,
  completionScript,
  type Shell,
} from "../lib/cli/completions.ts";
import { serviceNames, stageNames } from "../lib/config/names.ts";

type Out = (text: string) => void;
const write: Out = (s) => Deno.stdout.writeSync(new TextEncoder().encode(s));

/** Print the completion script of `shell`, calling back the fleet that printed it. */
export function completionsCommand(shell: Shell, out: Out = write): void {
  out(completionScript(shell, selfArgv()));
}

/** Print the candidates for the words after `fleet` (the last one is being completed). */
export function completeCommand(
  program: CommandInfo,
  words: readonly string[],
  out: Out = write,
  cwd = Deno.cwd(),
): void {
  const names = {
    stages: (dir?: string) => stageNames(cwd, dir),
    services: (stage: string, dir?: string) => serviceNames(cwd, stage, dir),
  };
  const found = completeWords(program, words, names, Deno.env.toObject());
  out(found.map((c) => `${c.value}\t${c.description}\n`).join(""));
}

/** The argv that runs this fleet: the executable itself, or deno running this main module. */
export function selfArgv(): string[] {
  const exe = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(basename(exe))) return [exe]; // `deno compile`d
  const main = Deno.mainModule;
  return [exe, "run", "-A", "--quiet", main.startsWith("file:") ? fileURLToPath(main) : main];
}
