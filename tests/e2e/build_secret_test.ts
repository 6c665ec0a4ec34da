/**
 * `build.secrets` end to end: a BuildKit secret reaches `RUN --mount=type=secret` through the
 * child's environment, and neither the image, its history, fleet's output nor argv holds it.
 */
import assert from "node:assert/strict";
import { tempProject } from "../helpers.ts";
import { docker, dockerShim, e2e, fleet, uniqueName } from "./harness.ts";

e2e("build.secrets: the secret is mounted for RUN and is not in docker history", async (tb) => {
  const name = uniqueName("bs");
  const secret = `npm-${crypto.randomUUID()}`;
  const dir = tempProject({
    "stages/_base.yaml": `project: ${name}\nservices:\n  web:\n    build:\n` +
      "      secrets: [{ id: npm_token, env: NPM_TOKEN }]\n",
    "stages/local.yaml": "{}\n",
    "stages/dev.yaml": "{}\n",
    // the length proves the secret was there, without writing the secret itself
    "services/web/Dockerfile": "FROM busybox\n" +
      "RUN --mount=type=secret,id=npm_token,required=true wc -c < /run/secrets/npm_token > /len\n",
  });
  const refs = [`${name}-web-local:latest`, `${name}-web-dev:latest`];
  try {
    for (const stage of ["local", "dev"]) { // docker build (DOCKER_BUILDKIT=1), buildx --load
      const shim = dockerShim();
      const r = await fleet(["build", stage], {
        cwd: dir,
        env: { NPM_TOKEN: secret, ...shim.env },
      });
      assert.equal(r.code, 0, `${stage}: ${r.stdout}\n${r.stderr}`);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), `${stage}: not in fleet's output`);
      assert.ok(!shim.calls().join("\n").includes(secret), `${stage}: not in any argv`);
      assert.match(shim.calls().join("\n"), /--secret id=npm_token,env=NPM_TOKEN/);
    }
    for (const ref of refs) {
      const len = await docker(tb.engine1, ["run", "--rm", ref, "cat", "/len"]);
      assert.equal(len.trim(), String(secret.length), `${ref}: the secret was mounted`);
      const history = await docker(tb.engine1, ["history", "--no-trunc", ref]);
      const inspect = await docker(tb.engine1, ["image", "inspect", ref]);
      assert.ok(!history.includes(secret) && !inspect.includes(secret), `${ref}: not in the image`);
    }
  } finally {
    await docker(tb.engine1, ["rmi", "-f", ...refs]).catch(() => {});
  }
});
