/**
 * The library from another directory, as a user's script uses it: it imports mod.ts with the
 * toolkit's import map (type-checked), lists the stages, builds and deploys `local` on the test
 * bed's engine, reads `ps`, and gets a typed error for a deploy without `yes`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, freePort, type Testbed, uniqueName } from "./harness.ts";
import { DOCKERFILE } from "./app.ts";
import { tempProject } from "../helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** The user's script: only the library's API, its results typed (it runs with --check). */
const SCRIPT = `
import { build, deploy, down, FleetError, ps, type ReleaseResult, stages } from "${REPO}mod.ts";

const names: string[] = (await stages()).map((s) => s.name);
const built = await build("local", { quiet: true });
const release: ReleaseResult = await deploy("local", { yes: true, quiet: true });
const view = await ps("local");
let refused: Record<string, unknown> = {};
try {
  await deploy("local");
} catch (e) {
  if (!(e instanceof FleetError)) throw e;
  refused = { name: e.name, exitCode: e.exitCode, hint: e.hint ?? null };
}
const page = await (await fetch("http://127.0.0.1:" + Deno.args[0] + "/")).text();
const gone = await down("local", { yes: true, quiet: true });
console.log(JSON.stringify({
  names,
  built: built.map((b) => b.ref),
  result: release.result,
  release: release.release,
  containers: view.containers.map((c) => [c.service, c.state]),
  refused,
  page: page.trim(),
  down: gone.project,
}));
`;

async function cleanup(tb: Testbed, project: string): Promise<void> {
  const p = `${project}-local`;
  const h = (args: string[]) => docker(tb.engine1, args).catch(() => "");
  const list = async (args: string[]) => (await h(args)).trim().split("\n").filter(Boolean);
  const cs = await list(["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`]);
  if (cs.length) await h(["rm", "-f", ...cs]);
  await h(["rm", "-f", `fleet-lock-${p}`]);
  const vols = await list(["volume", "ls", "-q", "--filter", `name=${p}`]);
  if (vols.length) await h(["volume", "rm", "-f", ...vols]);
  await h(["network", "rm", `${p}_default`]);
  const tags = await list([
    "images",
    "--format",
    "{{.Repository}}:{{.Tag}}",
    `${project}-web-local`,
  ]);
  if (tags.length) await h(["rmi", "-f", ...tags]);
}

e2e(
  "library: a script elsewhere imports mod.ts: stages, build, deploy, ps, a typed refusal",
  async (tb) => {
    const project = uniqueName("lib");
    const port = freePort();
    const dir = tempProject({
      "Dockerfile": DOCKERFILE,
      "stages/_base.yaml": `project: ${project}\nservices:\n  web:\n    build: {}\n` +
        `    ports: ["127.0.0.1:${port}:8080"]\n`,
      "stages/local.yaml": "services: {}\n",
      "stages/dev.yaml": "registry: reg.example\nhost: ssh://deploy@dev.example.com\n",
      "release.ts": SCRIPT,
    });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--check",
          "--quiet",
          "--config",
          join(REPO, "deno.json"),
          "release.ts",
          String(port),
        ],
        cwd: dir,
        env: { NO_COLOR: "1", DOCKER_HOST: tb.engine1 },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      const stderr = dec.decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const r = JSON.parse(dec.decode(out.stdout));
      assert.deepEqual(r.names, ["local", "dev"]);
      assert.deepEqual(r.built, [`${project}-web-local:latest`]);
      assert.equal(r.result, "ok");
      assert.match(r.release, /^r\d{8}T\d{6}Z-/);
      assert.deepEqual(r.containers, [["web", "running"]]);
      assert.deepEqual(r.refused, {
        name: "UsageError",
        exitCode: 2,
        hint: "pass yes: true, or a confirm callback that answers the question",
      });
      assert.equal(r.page, "v1");
      assert.equal(r.down, `${project}-local`);
      // quiet calls: nothing of the build's or the deploy's progress on stderr
      assert.doesNotMatch(stderr, /==> |web \| /);
    } finally {
      await cleanup(tb, project);
      Deno.removeSync(dir, { recursive: true });
    }
  },
);
