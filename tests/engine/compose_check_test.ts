/** Plan test: Compose's own model check (`docker compose config --quiet`) and what it becomes. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { composeContext } from "../../lib/engine/compose.ts";
import { checkModel, composeCheckStep } from "../../lib/engine/compose_check.ts";
import { CommandError, ConfigError } from "../../lib/core/errors.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";

const root = tempProject({
  "stages/live.yaml": "project: app\nhost: ssh://deploy@203.0.113.10\nservices:\n  web:\n" +
    "    image: nginx\n    environment: { PW: '${PW}' }\n",
});
const ctx = composeContext(loadStage(root, "live"), { PW: "pw-s3cret" });

Deno.test("the check step: exact argv, model on stdin, secrets in env, no engine (no host)", () => {
  const step = composeCheckStep(ctx);
  assert.deepEqual(step.argv, [
    ...["docker", "compose", "-p", "app-live", "--project-directory", root, "-f", "-"],
    ...["config", "--quiet"],
  ]);
  assert.deepEqual(step.env, { COMPOSE_ANSI: "never" }, "no DOCKER_HOST: config needs no engine");
  assert.deepEqual(step.secretEnv, { PW: "pw-s3cret" });
  assert.equal(step.input, ctx.model);
  assert.ok(!step.argv.join(" ").includes("pw-s3cret"));
});

Deno.test("checkModel: a model Compose accepts passes; one it rejects is exit 2 with its message", async () => {
  const ok = testDeps(root);
  await checkModel(ok, ctx);
  assert.deepEqual(ok.runner.argvs(), [composeCheckStep(ctx).argv.join(" ")]);
  const bad = testDeps(root, {
    runner: recordingRunner(() => ({ code: 15, stderr: "Invalid containerPort: abc\n" })),
  });
  await assert.rejects(checkModel(bad, ctx), (e) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.exitCode, 2);
    assert.equal(
      e.message,
      "stages/live.yaml: Docker Compose rejects the model: Invalid containerPort: abc",
    );
    assert.equal(e.hint, "`fleet config live --compose` shows the model fleet renders");
    return true;
  });
});

Deno.test("checkModel: docker compose missing or broken is a command failure (exit 1)", async () => {
  const deps = testDeps(root, {
    runner: recordingRunner(() => ({
      code: 1,
      stderr: "docker: 'compose' is not a docker command.",
    })),
  });
  await assert.rejects(checkModel(deps, ctx), (e) => e instanceof CommandError && e.exitCode === 1);
});
