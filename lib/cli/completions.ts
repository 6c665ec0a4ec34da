/**
 * Shell completion: the scripts `fleet completions bash|zsh|fish` prints, and the candidates
 * `fleet __complete <words…>` answers them with. Commands and options come from the commander
 * definitions themselves; stage and service names from the project, at completion time.
 */

/** The shells fleet writes completion scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

/** One candidate: the word, and what it is (shells that can show it do). */
export interface Candidate {
  readonly value: string;
  readonly description: string;
}

/** Where stage and service names come from (the project, read when the user presses TAB). */
export interface Names {
  stages(dir?: string): string[];
  services(stage: string, dir?: string): string[];
}

/** The parts of a commander command that completion reads. */
export interface CommandInfo {
  name(): string;
  description(): string;
  readonly commands: readonly CommandInfo[];
  readonly options: readonly OptionInfo[];
  readonly registeredArguments: readonly ArgumentInfo[];
}
interface OptionInfo {
  readonly long?: string;
  readonly short?: string;
  readonly description: string;
  readonly required: boolean;
  readonly optional: boolean;
  readonly hidden: boolean;
  readonly argChoices?: string[];
}
interface ArgumentInfo {
  name(): string;
  readonly variadic: boolean;
  readonly argChoices?: string[];
}

const STAGE_ARGS = ["stage", "from", "to"]; // arguments that name a stage (promote <from> <to>)
const SERVICE_OPTIONS = ["--service"];
const HELP: Candidate[] = [{ value: "--help", description: "show help" }];

/**
 * The candidates for the last of `words` (the words after `fleet`; the last one is the word
 * being completed, "" for a new one), filtered by what it starts with.
 * @example completeWords(program, ["deploy", "l"], names, {}) // [{ value: "live", … }, { value: "local", … }]
 */
export function completeWords(
  program: CommandInfo,
  words: readonly string[],
  names: Names,
  env: Readonly<Record<string, string | undefined>>,
): Candidate[] {
  const cur = words.at(-1) ?? "";
  const line = parseLine(program, words.slice(0, -1));
  if (!line) return [];
  const { cmd, positionals, values, pending } = line;
  const dir = values["--dir"] ?? env.FLEET_DIR;
  const stageArgs = cmd.registeredArguments.map((a) => STAGE_ARGS.includes(a.name()));
  const stage = stageArgs[0] ? positionals[0] ?? env.FLEET_STAGE : env.FLEET_STAGE;
  let out: Candidate[];
  if (pending) {
    out = SERVICE_OPTIONS.includes(pending.long ?? "")
      ? (stage ? names.services(stage, dir) : []).map((s) => ({ value: s, description: "service" }))
      : (pending.argChoices ?? []).map((c) => ({ value: c, description: pending.description }));
  } else if (cur.startsWith("-")) {
    out = [...optionsOf(cmd), ...HELP];
  } else if (cmd === program) {
    out = program.commands.map((c) => ({ value: c.name(), description: c.description() }));
  } else {
    const args = cmd.registeredArguments;
    const i = Math.min(positionals.length, args.length - 1);
    const arg = positionals.length < args.length || args.at(-1)?.variadic ? args[i] : undefined;
    out = !arg
      ? []
      : stageArgs[i]
      ? names.stages(dir).map((s) => ({ value: s, description: "stage" }))
      : (arg.argChoices ?? []).map((c) => ({ value: c, description: arg.name() }));
  }
  return out.filter((c) => c.value.startsWith(cur));
}

interface Line {
  readonly cmd: CommandInfo;
  readonly positionals: string[];
  readonly values: Record<string, string>; // option (long form) → its last value
  readonly pending?: OptionInfo; // the last word is an option whose value is being completed
}

function parseLine(program: CommandInfo, done: readonly string[]): Line | undefined {
  let cmd = program;
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < done.length; i++) {
    const w = done[i];
    if (w === "--") return undefined; // what follows is not fleet's to complete
    if (w.startsWith("-") && w.length > 1) {
      const [flag, inline] = w.startsWith("--") && w.includes("=")
        ? [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]
        : [w, undefined];
      const opt = cmd.options.find((o) => o.long === flag || o.short === flag);
      if (!opt || !(opt.required || opt.optional) || inline !== undefined) {
        if (opt?.long && inline !== undefined) values[opt.long] = inline;
        continue;
      }
      if (i + 1 === done.length) return { cmd, positionals, values, pending: opt };
      values[opt.long ?? flag] = done[++i];
      continue;
    }
    if (cmd === program) {
      const sub = program.commands.find((c) => c.name() === w);
      if (!sub) return undefined;
      cmd = sub;
      continue;
    }
    positionals.push(w);
  }
  return { cmd, positionals, values };
}

function optionsOf(cmd: CommandInfo): Candidate[] {
  return cmd.options.filter((o) => !o.hidden).flatMap((o) =>
    [o.long, o.short].filter((f): f is string => !!f).map((f) => ({
      value: f,
      description: o.description,
    }))
  );
}

/**
 * The completion script of a shell; `self` is the argv that runs this fleet (baked in, so
 * completion works however fleet was installed: executable, `deno install`, `deno run`).
 */
export function completionScript(shell: Shell, self: readonly string[]): string {
  const sh = self.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  if (shell === "bash") return bashScript(sh);
  if (shell === "zsh") return zshScript(sh);
  return fishScript(self.map((a) => `'${a.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`));
}

function bashScript(self: string): string {
  return `# bash completion for fleet (\`fleet completions bash\`). Load it from ~/.bashrc with
#   source <(fleet completions bash)
# or save it as ~/.local/share/bash-completion/completions/fleet
_fleet() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("\${line%%$'\\t'*}")
  done < <(${self} __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -o default -F _fleet fleet
`;
}

function zshScript(self: string): string {
  return `#compdef fleet
# zsh completion for fleet (\`fleet completions zsh\`). Load it from ~/.zshrc (after compinit)
#   source <(fleet completions zsh)
# or save it as _fleet in a directory of your $fpath.
_fleet() {
  local line
  local -a specs
  for line in "\${(@f)$(${self} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
    [[ -n $line ]] && specs+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  if (( \${#specs} )); then _describe -t fleet fleet specs; else _files; fi
}
compdef _fleet fleet
# run at once when autoloaded from $fpath, not when sourced
if [[ "\${funcstack[1]}" = "_fleet" ]]; then _fleet "$@"; fi
`;
}

function fishScript(self: string[]): string {
  return `# fish completion for fleet (\`fleet completions fish\`). Load it from config.fish with
#   fleet completions fish | source
# or save it as ~/.config/fish/completions/fleet.fish
function __fleet_complete
    set -l words (commandline -opc)
    set -l out (${self.join(" ")} __complete $words[2..-1] (commandline -ct) 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c fleet -f -a '(__fleet_complete)'
`;
}
