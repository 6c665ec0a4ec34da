/**
 * Compose's own model check end to end: the real `docker compose config --quiet` on models
 * fleet renders. Needs the docker CLI with Compose only (no engine is contacted).
 */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { composeContext } from "../../lib/engine/compose.ts";
import { checkModel } from "../../lib/engine/compose_check.ts";
import { createRunner } from "../../lib/core/run.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { recordingUi, tempProject, testDeps } from "../helpers.ts";
import { e2e } from "./harness.ts";

function deps(root: string, env: Record<string, string>) {
  const runner = createRunner({ env: { PATH: Deno.env.get("PATH") ?? "", ...env }, cwd: root });
  return testDeps(root, { runner, ui: recordingUi(), env });
}

const stage = (service: string) =>
  tempProject({
    "stages/dev.yaml": `project: chk\nhost: ssh://nobody@192.0.2.1\nservices:\n  web:\n` +
      `    image: busybox\n${service}`,
  });

e2e(
  "Compose's check: a model Compose rejects is exit 2 with its message; a good one passes",
  async () => {
    const good = stage("    ports: ['${PORT}:80']\n    compose: { privileged: true }\n");
    const env = { PORT: "8080" };
    await checkModel(deps(good, env), composeContext(loadStage(good, "dev"), env));

    const cases: [string, Record<string, string>, RegExp][] = [
      ["    compose: { no_such_key: 1 }\n", {}, /Additional property no_such_key is not allowed/],
      ["    ports: ['${PORT}:80']\n", { PORT: "s3cret-port" }, /Invalid hostPort: \*\*\*/],
      ["    env_file: missing.env\n", {}, /missing\.env not found/],
    ];
    for (const [service, env, message] of cases) {
      const root = stage(service);
      const ctx = composeContext(loadStage(root, "dev"), env);
      await assert.rejects(checkModel(deps(root, env), ctx), (e) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, /^stages\/dev\.yaml: Docker Compose rejects the model: /);
        assert.match(e.message, message);
        assert.ok(!e.message.includes("s3cret-port"), "values are masked");
        return true;
      });
    }
  },
);
