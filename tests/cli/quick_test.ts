/**
 * The quick commands (lib/cli/quick.ts): `stages`, `config` and `deploy --dry-run` read without
 * commander. What they read must be what commander reads: the same line run both ways (quick,
 * and FLEET_QUICK=0) prints the same and exits the same; what the table does not know is
 * commander's; and the quick way loads no commander at all.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../../testbed/bed.ts";
import { tempProject } from "../helpers.ts";
import { quickCall } from "../../lib/cli/quick.ts";
import { DEFAULTS } from "../../lib/core/defaults.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("quickCall: the options commander gives the same line", () => {
  assert.deepEqual(quickCall(["stages"], {}), { name: "stages", stage: undefined, o: {} });
  assert.deepEqual(quickCall(["stages", "--json", "-C", "/p", "--verbose"], {}), {
    name: "stages",
    stage: undefined,
    o: { json: true, dir: "/p", verbose: true },
  });
  assert.deepEqual(quickCall(["config", "dev", "--profile", "a", "--profile=b"], {}), {
    name: "config",
    stage: "dev",
    o: { profile: ["a", "b"], stage: "dev" },
  });
  // FLEET_STAGE and FLEET_DIR as commander and the router apply them; a flag wins over the variable
  assert.deepEqual(quickCall(["config", "--compose"], { FLEET_STAGE: "live", FLEET_DIR: "/r" }), {
    name: "config",
    stage: undefined,
    o: { profile: [], compose: true, dir: "/r", stage: "live" },
  });
  assert.equal(quickCall(["config", "--dir=/x"], { FLEET_DIR: "/r" })?.o.dir, "/x");
  assert.deepEqual(
    quickCall(["deploy", "live", "--dry-run", "-n", "web", "--no-pull", "-y", "--tag", "v1"], {}),
    {
      name: "deploy",
      stage: "live",
      o: {
        service: ["web"],
        lockWait: DEFAULTS.lockWait,
        profile: [],
        pull: false,
        rollback: true,
        dryRun: true,
        yes: true,
        tag: "v1",
        stage: "live",
      },
    },
  );
});

Deno.test("quickCall: anything else is commander's to read", () => {
  for (
    const argv of [
      [],
      ["--verbose", "stages"], // a global before the command
      ["stages", "--help"],
      ["stages", "-h"],
      ["stages", "extra"],
      ["stages", "--json=1"],
      ["config", "a", "b"],
      ["config", "dev", "--"],
      ["config", "-Cdir"],
      ["config", "--profile"],
      ["config", "--profile", "-x"],
      ["config", "--profile="],
      ["config", "dev", "--unknown"],
      ["deploy", "live"], // a deploy that changes a host
      ["deploy", "live", "--yes"],
      ["deploy", "live", "--dry-run", "--timeout", "5"],
      ["deploy", "live", "--dry-run", "--changed-only"],
      ["deploy", "live", "--dry-run", "-yn", "web"],
      ["build", "dev"],
      ["ps", "dev"],
      ["toString"],
      ["constructor"],
    ]
  ) assert.equal(quickCall(argv, {}), undefined, JSON.stringify(argv));
});

/** The demo project with a second stage file that is broken, and a profiled service. */
function project(): string {
  return tempProject({
    "stages/_base.yaml": "project: shop\nservices:\n  web:\n    image: busybox\n" +
      "  debug:\n    image: busybox\n    profiles: [debug]\n",
    "stages/local.yaml": "services:\n  web:\n    ports: ['127.0.0.1:8080:80']\n",
    "stages/dev.yaml": "host: ssh://deploy@dev.example.com\nregistry: ghcr.io/example-org\n",
  });
}

Deno.test("each quick line prints and exits as commander's reading of it does", async () => {
  const dir = project();
  const broken = tempProject({ "stages/live.yaml": "project: a\nprots: 1\n" });
  const lines: [string[], Record<string, string>?][] = [
    [["stages"]],
    [["stages", "--json"]],
    [["stages", "-C", broken]],
    [["stages", "--json", "--dir", broken]],
    [["config", "local"]],
    [["config", "dev", "--json"]],
    [["config", "local", "--profile", "debug", "--json"]],
    [["config"]], // missing stage: a usage error
    [["config"], { FLEET_STAGE: "dev" }],
    [["config", "nope"]], // unknown stage, with the list
    [["config", "local"], { FLEET_DIR: broken }],
    [["config", "live", "-C", broken, "--verbose"]],
    [["deploy", "local", "--dry-run"]],
    [["deploy", "local", "--dry-run", "--json", "-n", "web", "--no-pull", "-y"]],
    [["deploy", "local", "--dry-run", "--profile", "debug", "--tag", "v2"]],
    [["deploy", "local", "--dry-run", "-n", "wbe"]], // did you mean
    [["deploy", "--dry-run"]],
  ];
  for (const [args, env = {}] of lines) {
    const [quick, full] = await Promise.all([
      fleet(args, { cwd: dir, env }),
      fleet(args, { cwd: dir, env: { ...env, FLEET_QUICK: "0" } }),
    ]);
    const what = `fleet ${args.join(" ")} ${JSON.stringify(env)}`;
    assert.ok(quickCall(args, env), `${what}: a quick line`);
    assert.equal(quick.code, full.code, what);
    // a release id and the time differ from run to run
    const same = (s: string) =>
      s.replace(/r\d{8}T\d{6}Z-[0-9a-z]{4}/g, "<id>").replace(/"seconds": [\d.]+/g, "");
    assert.equal(same(quick.stdout), same(full.stdout), what);
    // a stack (--verbose) has other frames: the router's and the quick path's
    const noStack = (s: string) => same(s).replace(/^ {4}at .*\n/gm, "");
    assert.equal(noStack(quick.stderr), noStack(full.stderr), what);
  }
});

Deno.test("a quick line loads no commander; any other line does", async () => {
  // a copy of fleet whose import map has commander replaced by a module that fails as it loads
  const dir = project();
  const copy = join(dir, "fleet");
  Deno.mkdirSync(copy);
  for (const f of ["mod.ts", "cli.ts", "lib", "scripts", "vendor"]) {
    const out = await new Deno.Command("cp", { args: ["-R", join(REPO, f), copy] }).output();
    assert.ok(out.success, f);
  }
  const config = JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json")));
  config.imports["@commander-js/extra-typings"] = "./no_commander.ts";
  Deno.writeTextFileSync(join(copy, "deno.json"), JSON.stringify(config));
  Deno.writeTextFileSync(join(copy, "no_commander.ts"), 'throw new Error("commander loaded");\n');
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--no-lock", join(copy, "mod.ts"), ...args],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  for (const args of [["stages"], ["config", "local"], ["deploy", "local", "--dry-run"]]) {
    const r = await run(...args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  for (const args of [["stages", "--help"], ["ps", "local"]]) {
    const r = await run(...args);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, /commander loaded/);
  }
});
