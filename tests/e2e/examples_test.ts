/**
 * examples/: each run as a user runs it, from their project's directory with the toolkit's
 * import map, against the test bed (built on engine 1, pushed to the registry, deployed to
 * engine 2); unique project names and ports, everything removed afterwards.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, freePort, type Testbed, uniqueName } from "./harness.ts";
import { DOCKERFILE } from "./app.ts";
import { tempProject } from "../helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function example(tb: Testbed, dir: string, name: string, args: string[]): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(REPO, "deno.json"),
      join(REPO, "examples", name),
      ...args,
    ],
    cwd: dir,
    env: { NO_COLOR: "1", DOCKER_HOST: tb.engine1 },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A project deploying to engine 2: web built from DOCKERFILE, dev and live on their own ports. */
function project(tb: Testbed, name: string, ports: { dev: number; live: number }): string {
  return tempProject({
    "Dockerfile": DOCKERFILE,
    "stages/_base.yaml": `project: ${name}\nregistry: ${tb.registry}\nhost: ${tb.engine2}\n` +
      "services:\n  web:\n    build: {}\n",
    "stages/dev.yaml": `services:\n  web:\n    ports: ["127.0.0.1:${ports.dev}:8080"]\n`,
    "stages/live.yaml": `services:\n  web:\n    ports: ["127.0.0.1:${ports.live}:8080"]\n`,
  });
}

async function page(port: number): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

/** What the stages of `name` left on engine 2 (containers, lock, records, volumes, images). */
async function cleanup(tb: Testbed, name: string, stages: string[]): Promise<void> {
  const h = (args: string[]) => docker(tb.engine2, args).catch(() => "");
  const list = async (args: string[]) => (await h(args)).trim().split("\n").filter(Boolean);
  for (const stage of stages) {
    const p = `${name}-${stage}`;
    const cs = [
      ...await list(["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`]),
      ...await list(["ps", "-aq", "--filter", `label=dev.fleet.release.model-of=${p}`]),
    ];
    if (cs.length) await h(["rm", "-f", ...cs]);
    await h(["rm", "-f", `fleet-lock-${p}`]);
    const vols = await list(["volume", "ls", "-q", "--filter", `name=${p}`]);
    if (vols.length) await h(["volume", "rm", "-f", ...vols]);
    await h(["network", "rm", `${p}_default`]);
  }
  for (const host of [tb.engine1, tb.engine2]) {
    const imgs = (await docker(host, ["images", "--format", "{{.Repository}}:{{.Tag}}"])
      .catch(() => "")).split("\n").filter((t) => t.includes(`/${name}-`));
    if (imgs.length) await docker(host, ["rmi", "-f", ...imgs]).catch(() => "");
  }
}

e2e(
  "examples/release.ts: build dev, tests in the image, deploy dev, promote, deploy live",
  async (tb) => {
    const name = uniqueName("exrel");
    const ports = { dev: freePort(), live: freePort() };
    const dir = project(tb, name, ports);
    try {
      // tests that fail in the image: nothing is deployed
      const failing = await example(tb, dir, "release.ts", ["--", "sh", "-c", "exit 3"]);
      assert.notEqual(failing.code, 0, failing.stdout);
      assert.doesNotMatch(failing.stdout, /dev: release|tests passed/);
      await assert.rejects(page(ports.dev), "nothing deployed to dev");

      const ok = await example(tb, dir, "release.ts", [
        "--",
        "sh",
        "-c",
        "grep -qx v1 /www/index.html",
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      const digest = ok.stdout.match(/^built web: \S+ (sha256:[0-9a-f]{64})$/m)?.[1];
      assert.ok(digest, ok.stdout);
      assert.match(ok.stdout, new RegExp(`^tests passed in \\S+/${name}-web-dev@${digest}$`, "m"));
      assert.match(ok.stdout, /^dev: release r\S+ \(ok\)$/m);
      assert.match(
        ok.stdout,
        new RegExp(`^promoted web: \\S+/${name}-web-live:latest from ${digest}`, "m"),
      );
      assert.match(ok.stdout, /^live: release r\S+ \(ok\)$/m);
      assert.equal(await page(ports.dev), "v1");
      assert.equal(await page(ports.live), "v1");
    } finally {
      await cleanup(tb, name, ["dev", "live"]);
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

e2e("examples/preview.ts: a stage per branch, up and down", async (tb) => {
  const name = uniqueName("exprev");
  const dir = project(tb, name, { dev: freePort(), live: freePort() });
  const port = freePort();
  const stage = "preview-feature-login-fix";
  try {
    const up = await example(tb, dir, "preview.ts", [
      "up",
      "--branch",
      "feature/Login_Fix",
      "--publish",
      `127.0.0.1:${port}:8080`,
    ]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`^${stage}: release r\\S+ on `, "m"));
    assert.match(up.stdout, new RegExp(`^  web running http://127\\.0\\.0\\.1:${port}/$`, "m"));
    assert.equal(await page(port), "v1");
    assert.ok(Deno.statSync(join(dir, "stages", `${stage}.yaml`)).isFile);

    const gone = await example(tb, dir, "preview.ts", ["down", "--branch", "feature/Login_Fix"]);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal(gone.stdout, `${stage}: removed\n`);
    await assert.rejects(page(port), "nothing serves the preview after down");
    assert.throws(() => Deno.statSync(join(dir, "stages", `${stage}.yaml`)));
  } finally {
    await cleanup(tb, name, [stage]);
    Deno.removeSync(dir, { recursive: true });
  }
});
