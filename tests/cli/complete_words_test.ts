/** Completion candidates from the router's own definitions (pure; the shells: completions_test). */
import assert from "node:assert/strict";
import { Argument, Command } from "@commander-js/extra-typings";
import { buildCommand, deployCommand, logsCommand, withGlobals } from "../../lib/cli/commands.ts";
import { completeWords, type Names } from "../../lib/cli/completions.ts";
import { serviceNames, stageNames } from "../../lib/config/names.ts";
import { tempProject } from "../helpers.ts";

// the router's own command definitions (mod.ts adds the same ones; the shells test it whole)
const program = withGlobals(new Command("fleet")).version("0", "-V, --version");
program.addCommand(withGlobals(new Command("config")).argument("[stage]").description("config"));
program.addCommand(buildCommand());
program.addCommand(deployCommand());
program.addCommand(logsCommand());
program.addCommand(new Command("schema").description("print the JSON Schema"));
program.addCommand(
  new Command("completions").addArgument(new Argument("<shell>").choices(["bash", "zsh", "fish"])),
);

const names: Names = {
  stages: (dir) => (dir === "other" ? ["qa"] : ["local", "live"]),
  services: (stage, dir) =>
    (dir === "other" ? { qa: ["api"] } : { live: ["web", "db"] } as Record<string, string[]>)[
      stage
    ] ?? [],
};
const values = (words: string[], env: Record<string, string> = {}) =>
  completeWords(program, words, names, env).map((c) => c.value);

Deno.test("commands at the start, with their descriptions", () => {
  const all = completeWords(program, [""], names, {});
  assert.deepEqual(
    all.find((c) => c.value === "deploy")?.description,
    "deploy a stage: pull → stop → rm → up, then wait until healthy",
  );
  assert.deepEqual(values(["c"]), ["config", "completions"]);
  assert.deepEqual(values(["--verbose", "b"]), ["build"], "root options are skipped");
  assert.deepEqual(values(["nope", ""]), [], "nothing after an unknown command");
});

Deno.test("options of the command on the line, short and long", () => {
  assert.deepEqual(values(["build", "--p"]), ["--push", "--platform"]);
  assert.ok(values(["deploy", "-"]).includes("-y"));
  assert.ok(values(["-"]).includes("--version"), "root options before a command");
  assert.ok(values(["schema", "--"]).includes("--help"));
});

Deno.test("stage names for a stage argument; option values are skipped", () => {
  assert.deepEqual(values(["deploy", ""]), ["local", "live"]);
  assert.deepEqual(values(["build", "--tag", "v1", "--push", "l"]), ["local", "live"]);
  assert.deepEqual(values(["build", "--tag=v1", ""]), ["local", "live"]);
  assert.deepEqual(values(["-C", "other", "deploy", ""]), ["qa"]);
  assert.deepEqual(values(["deploy", ""], { FLEET_DIR: "other" }), ["qa"]);
  assert.deepEqual(values(["deploy", "live", ""]), [], "a single stage");
  assert.deepEqual(values(["schema", ""]), [], "a command without arguments");
  assert.deepEqual(values(["deploy", "--", ""]), [], "nothing after --");
});

Deno.test("service names after -n/--service, of the stage on the line or FLEET_STAGE", () => {
  assert.deepEqual(values(["deploy", "live", "-n", ""]), ["web", "db"]);
  assert.deepEqual(values(["deploy", "-n", ""]), [], "no stage yet");
  assert.deepEqual(values(["logs", "--service", "w"], { FLEET_STAGE: "live" }), ["web"]);
  assert.deepEqual(values(["-C", "other", "build", "qa", "-n", ""]), ["api"]);
  assert.deepEqual(values(["deploy", "live", "--timeout", ""]), [], "a value with no choices");
});

Deno.test("the choices of an argument", () => {
  assert.deepEqual(values(["completions", ""]), ["bash", "zsh", "fish"]);
  assert.deepEqual(values(["completions", "z"]), ["zsh"]);
});

Deno.test("names from the project on disk, tolerant of a stage file being edited", () => {
  const root = tempProject({
    "stages/_base.yaml": "project: p\nservices:\n  web: {}\n  db: {}\n",
    "stages/live.yaml": "services:\n  worker: {}\n  web: {}\n",
    "stages/dev.yml": "services: [\n",
    "stages/_x.yaml": "",
    "sub/.keep": "",
  });
  assert.deepEqual(stageNames(`${root}/sub`), ["dev", "live"]);
  assert.deepEqual(serviceNames(root, "live"), ["web", "db", "worker"]);
  assert.deepEqual(serviceNames(root, "dev"), [], "a broken file gives no names, no error");
  assert.deepEqual(stageNames("/"), []);
});
