/** Tier 4: mod.ts as a subprocess — stdout, stderr, exit codes. No docker needed. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../e2e/harness.ts";
import { dockerShim } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";
import { VERSION } from "../../lib/core/version.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("fleet stages and fleet config dev work in the repo", async () => {
  const s = await fleet(["stages"], { cwd: REPO });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^STAGE\s+HOST\s+REGISTRY\s+PLATFORM/);
  assert.match(s.stdout, /\nlocal\s+local engine\s+-\s+native\s+web/);
  assert.match(
    s.stdout,
    /\ndev\s+ssh:\/\/deploy@dev\.example\.com\s+ghcr\.io\/example-org\s+linux\/amd64/,
  );
  const c = await fleet(["config", "dev"], { cwd: join(REPO, "demo") });
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /image: ghcr\.io\/example-org\/demo-web-dev:latest/);
  const cc = await fleet(["config", "dev", "--compose"], { cwd: REPO });
  assert.match(cc.stdout, /^name: demo-dev\n/);
});

Deno.test("FLEET_STAGE supplies the stage; FLEET_DIR the root", async () => {
  const r = await fleet(["config"], { cwd: "/", env: { FLEET_STAGE: "live", FLEET_DIR: REPO } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stage: live\n/);
});

Deno.test("--verbose adds the stack to an error", async () => {
  const files = { "stages/live.yaml": "project: a\nprots: 1\n" };
  const plain = await fleet(["config", "live"], { cwd: tempProject(files) });
  const verbose = await fleet(["config", "live", "--verbose"], { cwd: tempProject(files) });
  assert.equal(plain.code, 2);
  assert.ok(!plain.stderr.includes("    at "), plain.stderr);
  assert.equal(verbose.code, 2);
  assert.match(
    verbose.stderr,
    /ConfigError: stages\/live\.yaml:2:1: prots: unknown key[\s\S]*\n\s+at .*stage\.ts/,
  );
});

Deno.test("--version and --help", async () => {
  const v = await fleet(["--version"], { cwd: REPO });
  assert.deepEqual([v.code, v.stdout.trim()], [0, VERSION]);
  const h = await fleet(["--help"], { cwd: REPO });
  assert.equal(h.code, 0);
  for (
    const c of [
      "stages",
      "config",
      "build",
      "deploy",
      "ps",
      "logs",
      "down",
      "history",
      "rollback",
      "unlock",
    ]
  ) {
    assert.match(h.stdout, new RegExp(`\\n  ${c}\\b`), c);
  }
  const d = await fleet(["deploy", "--help"], { cwd: REPO });
  assert.match(d.stdout, /--no-pull/);
});

const broken: Record<string, [Record<string, string>, string[], RegExp]> = {
  "misspelled key": [
    { "stages/live.yaml": "project: a\nservices:\n  api:\n    image: x\n    prots: ['1:1']\n" },
    ["deploy", "live", "--yes"],
    /^error: stages\/live\.yaml:5:5: services\.api\.prots: unknown key \(did you mean "ports"\?\)$/m,
  ],
  "YAML syntax error": [
    { "stages/live.yaml": "project: a\nservices: [\n" },
    ["build", "live"],
    /^error: stages\/live\.yaml:\d+:\d+: YAML syntax error: /m,
  ],
  "unknown stage": [
    { "stages/live.yaml": "project: a\n", "stages/dev.yaml": "project: a\n" },
    ["deploy", "prod", "--yes"],
    /^error: unknown stage "prod" \(stages: dev, live\)$/m,
  ],
  "bad service name": [
    { "stages/live.yaml": "project: a\nservices:\n  -web:\n    image: x\n" },
    ["config", "live"],
    /^error: stages\/live\.yaml:3:3: services\.-web: invalid service name "-web"/m,
  ],
  "unset variable": [
    {
      "stages/live.yaml":
        "project: a\nservices:\n  web:\n    image: x\n    environment: { PW: '${FLEET_TEST_UNSET_PW}' }\n",
    },
    ["deploy", "live", "--yes"],
    /^error: stages\/live\.yaml:5:18: services\.web\.environment: \$\{FLEET_TEST_UNSET_PW\} is not set \(and has no default\)$/m,
  ],
  "image that looks like a flag": [
    { "stages/live.yaml": "project: a\nservices:\n  web:\n    image: '--help'\n" },
    ["deploy", "live", "--yes"],
    /^error: stages\/live\.yaml:4:12: services\.web\.image: "--help": not an image reference/m,
  ],
  "compose: setting what fleet owns": [
    {
      "stages/live.yaml":
        "project: a\nservices:\n  web:\n    image: x\n    compose: { image: y }\n",
    },
    ["deploy", "live", "--yes"],
    /^error: stages\/live\.yaml:5:23: services\.web\.compose\.image: fleet sets image itself: use services\.web\.image$/m,
  ],
  "a port Compose would reject": [
    { "stages/live.yaml": "project: a\nservices:\n  web:\n    image: x\n    ports: [abc]\n" },
    ["deploy", "live", "--yes", "--no-pull"],
    /^error: stages\/live\.yaml:5:13: services\.web\.ports\.0: "abc": the container port is not/m,
  ],
  "${VAR:?message} unset": [
    {
      "stages/live.yaml":
        "project: a\nservices:\n  web:\n    image: x\n    environment: { T: '${FLEET_TEST_UNSET_T:?the API token}' }\n",
    },
    ["deploy", "live", "--yes"],
    /^error: stages\/live\.yaml:5:18: services\.web\.environment: \$\{FLEET_TEST_UNSET_T\} is not set: the API token$/m,
  ],
  "--platform that docker would reject": [
    {
      "stages/live.yaml": "project: a\nservices:\n  web:\n    build: {}\n",
      "Dockerfile": "FROM scratch\n",
    },
    ["build", "live", "--platform", "--help"],
    /^error: --platform: "--help" is not os\/arch\[\/variant\]/m,
  ],
  "YAML alias bomb": [
    {
      "stages/live.yaml": "project: a\nx: &a [1,1,1,1,1,1,1,1,1,1]\n" +
        Array.from(
          { length: 8 },
          (_, i) => `x${i}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(",")}]`,
        ).join("\n") + "\n",
    },
    ["config", "live"],
    /^error: stages\/live\.yaml: YAML aliases expand too far/m,
  ],
  "deploy without a terminal and without --yes": [
    { "stages/live.yaml": "project: a\nservices:\n  web:\n    image: x\n" },
    ["deploy", "live"],
    /^error: refusing to deploy live without confirmation: stdin is not a terminal\nhint: pass --yes/m,
  ],
  "unknown option": [
    { "stages/live.yaml": "project: a\n" },
    ["deploy", "live", "--frobnicate"],
    /unknown option/,
  ],
};

for (const [what, [files, args, message]] of Object.entries(broken)) {
  Deno.test(`${what}: exit 2, a clear message, and no docker command ran`, async () => {
    const shim = dockerShim();
    const r = await fleet(args, {
      cwd: tempProject(files),
      env: { ...shim.env },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.deepEqual(shim.calls(), []);
  });
}

Deno.test("unlock and down without a terminal and without --yes: exit 2, no docker command", async () => {
  const files = { "stages/dev.yaml": "project: a\nservices:\n  web:\n    image: x\n" };
  for (const cmd of [["unlock", "dev"], ["down", "dev"]]) {
    const shim = dockerShim();
    const r = await fleet(cmd, {
      cwd: tempProject(files),
      env: { ...shim.env },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /without confirmation: stdin is not a terminal/);
    assert.deepEqual(shim.calls(), [], cmd.join(" "));
    const hint = r.stderr.split("\n").find((l) => l.startsWith("hint: "));
    assert.equal(
      hint,
      cmd[0] === "unlock"
        ? "hint: pass --yes to unlock without asking"
        : "hint: pass --yes to take down without asking (or set confirm: false in stages/dev.yaml)",
    );
  }
});

Deno.test("read-only commands do not need deploy-time secrets: docker runs, no 'not set'", async () => {
  const project = `ro${Date.now().toString(36)}`;
  const files = {
    "stages/dev.yaml":
      `project: ${project}\nconfirm: false\nservices:\n  web:\n    image: busybox\n` +
      "    environment: { A: '${FLEET_TEST_UNSET_A:?needed at deploy}', B: '$FLEET_TEST_UNSET_B' }\n" +
      "    ports: ['${FLEET_TEST_UNSET_PORT}:80']\n",
  };
  const cwd = tempProject(files);
  for (const cmd of [["ps"], ["logs"], ["history"], ["unlock", "--yes"], ["down", "--yes"]]) {
    const shim = dockerShim();
    const r = await fleet([cmd[0], "dev", ...cmd.slice(1)], {
      cwd,
      env: { ...shim.env },
    });
    assert.notEqual(r.code, 2, `${cmd[0]}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /is not set|FLEET_TEST_UNSET/, cmd[0]);
    assert.ok(shim.calls().length > 0, `${cmd[0]}: a docker command ran`);
  }
});

Deno.test("a stage file named my.stage.yaml: the same message from stages and from config", async () => {
  const cwd = tempProject({
    "stages/my.stage.yaml": "project: a\n",
    "stages/dev.yaml": "project: a\n",
  });
  const message = `error: stages/my.stage.yaml: "my.stage" is not a valid stage name`;
  const s = await fleet(["stages"], { cwd });
  assert.equal(s.code, 2, s.stderr);
  assert.match(s.stdout, /^my\.stage\s+\(invalid stage file\)/m);
  assert.ok(s.stderr.startsWith(message + "\n"), s.stderr);
  const c = await fleet(["config", "my.stage"], { cwd });
  assert.equal(c.code, 2, c.stderr);
  assert.ok(c.stderr.startsWith(message + "\nhint: a stage's name is its file's name"), c.stderr);
});
