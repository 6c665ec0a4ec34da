/**
 * Shell completion in real shells: the script `fleet completions <shell>` prints is loaded, the
 * shell's completion function runs for a command line, and its candidates are checked. Commands
 * and options come from the router; stage and service names from the project on disk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const project = tempProject({
  "stages/_base.yaml": "project: shop\nservices:\n  web:\n    build: {}\n  db:\n    image: x\n",
  "stages/local.yaml": "",
  "stages/live.yaml": "services:\n  worker:\n    image: y\n",
  "stages/_notes.yaml": "",
  "other/stages/qa.yml": "project: o\nservices:\n  api:\n    image: z\n",
  "src/deep/.keep": "",
});

const has = (shell: string) =>
  new Deno.Command("sh", { args: ["-c", `command -v ${shell}`], stdout: "null" }).outputSync()
    .success;

async function script(shell: string): Promise<string> {
  const r = await fleet(["completions", shell], { cwd: REPO });
  assert.equal(r.code, 0, r.stderr);
  const file = join(Deno.makeTempDirSync({ prefix: "fleet-compl-" }), `fleet.${shell}`);
  Deno.writeTextFileSync(file, r.stdout);
  return file;
}

async function shell(args: string[], cwd = project, env: Record<string, string> = {}) {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    cwd,
    env: { ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

const q = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
const bashFile = await script("bash");

/** The candidates bash's completion function offers for each line (one bash, one cwd). */
async function bash(lines: string[][], cwd?: string, env?: Record<string, string>) {
  const run = lines.map((line) => {
    const words = ["fleet", ...line];
    return `COMP_WORDS=(${words.map(q).join(" ")}); COMP_CWORD=${words.length - 1}; _fleet; ` +
      `printf '%s\\n' "\${COMPREPLY[@]}" '---'`;
  });
  const out = await shell(["bash", "-c", `source ${q(bashFile)}; ${run.join("\n")}`], cwd, env);
  return out.join("\n").split("---").slice(0, -1).map((s) => s.split("\n").filter(Boolean));
}

Deno.test("bash: commands, options of a command, argument choices", async () => {
  const [commands, de, options, short, shells] = await bash([
    [""],
    ["de"],
    ["deploy", "--"],
    ["deploy", "-"],
    ["completions", ""],
  ]);
  for (const c of ["stages", "config", "build", "deploy", "rollback", "init", "completions"]) {
    assert.ok(commands.includes(c), `${c} in ${commands}`);
  }
  assert.ok(!commands.some((c) => c.startsWith("_")), "no hidden command");
  assert.deepEqual(de, ["deploy"]);
  for (const o of ["--service", "--no-pull", "--yes", "--dry-run", "--timeout", "--dir"]) {
    assert.ok(options.includes(o), `${o} in ${options}`);
  }
  assert.ok(!options.includes("--push"), "build's options are not deploy's");
  assert.ok(short.includes("-n"));
  assert.deepEqual(shells, ["bash", "zsh", "fish"]);
});

Deno.test("bash: stage names from stages/, and service names of the stage on the line", async () => {
  assert.deepEqual(
    await bash(
      [
        ["deploy", ""],
        ["deploy", "li"],
        ["-C", "other", "deploy", ""],
        ["deploy", "live", "-n", ""],
        ["build", "local", "--service", "w"],
        ["logs", "-n", ""],
      ],
      project,
      { FLEET_STAGE: "live" },
    ),
    [
      ["local", "live"],
      ["live"],
      ["qa"],
      ["web", "db", "worker"],
      ["web"],
      ["web", "db", "worker"],
    ],
  );
});

Deno.test("bash: from a subdirectory of the project; outside one no names and no error", async () => {
  assert.deepEqual(await bash([["config", ""]], join(project, "src/deep")), [["local", "live"]]);
  assert.deepEqual(await bash([["deploy", ""], ["deploy", "live", "-n", ""]], "/"), [[], []]);
});

Deno.test({
  name: "zsh: the completion function offers stages, services and options",
  ignore: !has("zsh"),
  async fn() {
    const file = await script("zsh");
    const zsh = (line: string[]) =>
      shell([
        "zsh",
        "-f",
        "-c",
        `compdef() {}; source ${q(file)}; _describe() { shift 3; print -l -- "\${(@P)1}"; }; ` +
        `_files() { print FILES; }; words=(fleet ${line.map(q).join(" ")}); ` +
        `CURRENT=${line.length + 1}; _fleet`,
      ]);
    assert.deepEqual(await zsh(["deploy", ""]), ["local:stage", "live:stage"]);
    assert.deepEqual(await zsh(["deploy", "live", "-n", "w"]), ["web:service", "worker:service"]);
    assert.ok(
      (await zsh(["deploy", "--n"])).includes("--no-pull:use the images the host already has"),
    );
    assert.deepEqual(await zsh(["init", "--from", ""]), ["FILES"], "files where no name fits");
  },
});

Deno.test({
  name: "fish: the completion function offers stages, services and options",
  ignore: !has("fish"),
  async fn() {
    const file = await script("fish");
    const fish = (line: string) =>
      shell(["fish", "--no-config", "-c", `source ${q(file)}; complete -C ${q(`fleet ${line}`)}`]);
    assert.deepEqual(await fish("deploy "), ["live\tstage", "local\tstage"]);
    assert.deepEqual(await fish("deploy live -n "), [
      "db\tservice",
      "web\tservice",
      "worker\tservice",
    ]);
    assert.ok(
      (await fish("deploy --no-p")).includes("--no-pull\tuse the images the host already has"),
    );
  },
});

Deno.test("fleet completions: an unknown shell is a usage error (exit 2)", async () => {
  const r = await fleet(["completions", "powershell"], { cwd: REPO });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /'powershell' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/,
  );
});
