/**
 * The single files of `deno task release`, as a user ships them: build.js and deploy.js copied
 * alone into a repo that has only stages/ (and the Dockerfile) and its own, conflicting deno.json,
 * run with an empty Deno cache and --cached-only (so no network and no npm package is needed);
 * then the README's quick start through fleet.js (build local, deploy local --yes, serves).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { docker, e2e, freePort, type Testbed, uniqueName } from "./harness.ts";
import { assertHeader, assertSums } from "../ship/dist_assert.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const BUNDLES = ["fleet.js", "build.js", "deploy.js"];

/** A host repo's own deno.json: an import map that contradicts every package fleet uses. */
const HOST_DENO_JSON = JSON.stringify(
  {
    imports: {
      "zx": "npm:zx@1.0.0",
      "dax": "jsr:@david/dax@0.1.0",
      "yaml": "./vendor/yaml.ts",
      "valibot": "npm:valibot@0.1.0",
      "commander": "npm:commander@2.0.0",
      "@commander-js/extra-typings": "./nowhere.ts",
    },
    compilerOptions: { strict: false },
  },
  null,
  2,
);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A repo with only stages/ and the demo's Dockerfile, under a unique project name and port. */
function hostRepo(project: string, port: number): string {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-bundle-host-" });
  Deno.mkdirSync(join(dir, "stages"));
  Deno.mkdirSync(join(dir, "demo/web"), { recursive: true });
  Deno.copyFileSync(join(REPO, "stages/local.yaml"), join(dir, "stages/local.yaml"));
  Deno.copyFileSync(join(REPO, "demo/web/Dockerfile"), join(dir, "demo/web/Dockerfile"));
  Deno.writeTextFileSync(
    join(dir, "stages/_base.yaml"),
    Deno.readTextFileSync(join(REPO, "stages/_base.yaml"))
      .replace(/^project: demo$/m, `project: ${project}`)
      .replace("127.0.0.1:8080:8080", `127.0.0.1:${port}:8080`),
  );
  Deno.writeTextFileSync(join(dir, "deno.json"), HOST_DENO_JSON);
  return dir;
}

/** Remove what a local deploy of `project` left on the engine: containers, volumes, images. */
async function removeLocal(tb: Testbed, project: string): Promise<void> {
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

e2e("release bundles: build.js + deploy.js alone in a foreign repo, then fleet.js", async (tb) => {
  const out = Deno.makeTempDirSync({ prefix: "fleet-dist-e2e-" });
  const project = uniqueName("bundle");
  const port = freePort();
  const host = hostRepo(project, port);
  const deno = Deno.execPath();
  // an empty Deno cache, and --cached-only: nothing may be fetched, no npm package be needed
  const denoDir = Deno.makeTempDirSync({ prefix: "fleet-deno-dir-" });
  const root = Deno.makeTempDirSync({ prefix: "fleet-install-" });
  const env = { DOCKER_HOST: tb.engine1, DENO_DIR: denoDir };
  const js = (file: string, ...args: string[]) =>
    run([deno, "run", "-A", "--cached-only", "--quiet", file, ...args], host, env);
  const page = async () => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
  try {
    const rel = await run([deno, "run", "-A", join(REPO, "ship/dist.ts"), "--out", out], REPO);
    assert.equal(rel.code, 0, rel.stderr);
    for (const f of BUNDLES) assertHeader(join(out, f), f);
    assertSums(out, BUNDLES);

    for (const f of ["build.js", "deploy.js"]) Deno.copyFileSync(join(out, f), join(host, f));
    const b = await js("build.js", "local");
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`web\\s+${project}-web-local:latest`));
    const d = await js("deploy.js", "local", "--yes");
    assert.equal(d.code, 0, d.stderr);
    assert.equal(await page(), "hello from fleet");
    const left = [...Deno.readDirSync(host)].map((e) => e.name).sort();
    assert.deepEqual(left, ["build.js", "demo", "deno.json", "deploy.js", "stages"]);

    // the quick start through the whole router (issue 15): down, then build and deploy again
    Deno.copyFileSync(join(out, "fleet.js"), join(host, "fleet.js"));
    const down = await js("fleet.js", "down", "local", "--yes");
    assert.equal(down.code, 0, down.stderr);
    await assert.rejects(page(), "nothing serves after fleet.js down");
    const fb = await js("fleet.js", "build", "local");
    assert.equal(fb.code, 0, fb.stderr);
    const fd = await js("fleet.js", "deploy", "local", "--yes");
    assert.equal(fd.code, 0, fd.stderr);
    assert.equal(await page(), "hello from fleet");
    const ps = await js("fleet.js", "ps", "local");
    assert.match(ps.stdout, /web/);

    // deno install -g, as the README says (into a temp root)
    const inst = await run(
      [deno, "install", "-g", "-A", "-n", "fleet", "--root", root, join(out, "fleet.js")],
      host,
    );
    assert.equal(inst.code, 0, inst.stderr);
    const path = `${dirname(deno)}:${Deno.env.get("PATH") ?? ""}`;
    const st = await run([join(root, "bin/fleet"), "stages"], host, { PATH: path });
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /\nlocal\s+local engine\s+-\s+native\s+web/);
  } finally {
    await removeLocal(tb, project);
    for (const d of [out, host, denoDir, root]) Deno.removeSync(d, { recursive: true });
  }
});
