/**
 * The README's quick start, on a copy of the repo's own demo: build local, deploy local, serve.
 * The same through the single-file bundle dist/fleet.js: tests/e2e/bundle_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, fleet, freePort, uniqueName } from "./harness.ts";

const REPO = new URL("../../", import.meta.url).pathname;

e2e(
  "quick start: scripts/build.ts local, then scripts/deploy.ts local --yes, serves the demo",
  async (tb) => {
    const dir = Deno.makeTempDirSync({ prefix: "fleet-quickstart-" });
    const project = uniqueName("demo");
    const port = freePort();
    for (const sub of ["stages", "demo", "demo/web"]) {
      Deno.mkdirSync(join(dir, sub), {
        recursive: true,
      });
    }
    for (const f of ["stages/local.yaml", "demo/web/Dockerfile"]) {
      Deno.copyFileSync(
        join(REPO, f),
        join(dir, f),
      );
    }
    Deno.writeTextFileSync(
      join(dir, "stages/_base.yaml"),
      Deno.readTextFileSync(join(REPO, "stages/_base.yaml"))
        .replace(/^project: demo$/m, `project: ${project}`)
        .replace("127.0.0.1:8080:8080", `127.0.0.1:${port}:8080`),
    );
    const env = { DOCKER_HOST: tb.engine1 };
    try {
      const b = await fleet(["local"], { cwd: dir, env, entry: join(REPO, "scripts/build.ts") });
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, new RegExp(`web\\s+${project}-web-local:latest`));
      const d = await fleet(["local", "--yes"], {
        cwd: dir,
        env,
        entry: join(REPO, "scripts/deploy.ts"),
      });
      assert.equal(d.code, 0, d.stderr);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.equal(page.trim(), "hello from fleet");
      const down = await fleet(["down", "local", "--yes"], { cwd: dir, env });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /containers removed \(volumes kept\)/);
      const vols = await docker(tb.engine1, [
        "volume",
        "ls",
        "-q",
        "--filter",
        `name=${project}-local_web-data`,
      ]);
      assert.ok(vols.trim(), "fleet down keeps named volumes");
    } finally {
      const h = (args: string[]) => docker(tb.engine1, args).catch(() => "");
      const ids =
        (await h(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}-local`]))
          .trim();
      if (ids) await h(["rm", "-f", ...ids.split("\n")]);
      const vols = (await h(["volume", "ls", "-q", "--filter", `name=${project}-local`])).trim();
      if (vols) await h(["volume", "rm", "-f", ...vols.split("\n")]);
      await h(["network", "rm", `${project}-local_default`]);
      const tags =
        (await h(["images", "--format", "{{.Repository}}:{{.Tag}}", `${project}-web-local`]))
          .trim();
      if (tags) await h(["rmi", "-f", ...tags.split("\n")]);
    }
  },
);
