/** The deploy's platform check (lib/docker/platform_check.ts): pure parts, then in the flow. */
import assert from "node:assert/strict";
import { checkImagePlatforms, platformMismatch } from "../../lib/docker/platform_check.ts";
import { FleetError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { deploy } from "../../scripts/deploy.ts";
import { recordingRunner, tempProject, testDeps } from "../helpers.ts";

const web = { service: "web", ref: "reg/web:1" };

Deno.test("platformMismatch compares os/arch, not the variant; aliases normalized", () => {
  assert.deepEqual(platformMismatch([{ ...web, platform: "linux/amd64" }], "linux/amd64"), []);
  assert.deepEqual(platformMismatch([{ ...web, platform: "linux/arm64/v8" }], "linux/arm64"), []);
  assert.deepEqual(platformMismatch([{ ...web, platform: "linux/arm/v7" }], "linux/arm"), []);
  assert.deepEqual(platformMismatch([{ ...web, platform: "linux/x86_64" }], "linux/amd64"), []);
  const arm = { ...web, platform: "linux/arm64" };
  assert.deepEqual(platformMismatch([arm, { ...web, platform: "linux/amd64" }], "linux/amd64"), [
    arm,
  ]);
  assert.deepEqual(
    platformMismatch([{ ...web, platform: "windows/amd64" }], "linux/amd64").length,
    1,
  );
});

/** A host that runs `engine` and holds images of the given platforms (by ID). */
function host(engine: string, platforms: Record<string, string>) {
  return recordingRunner((s: Step) => {
    if (s.argv.includes("version")) return { stdout: `${engine}\n` };
    if (s.argv.includes("{{.Os}}/{{.Architecture}}/{{.Variant}}")) {
      const ids = s.argv.slice(s.argv.indexOf("--format") + 2);
      return { stdout: ids.map((i) => platforms[i] + "/").join("\n") + "\n" };
    }
    return undefined;
  });
}

Deno.test("checkImagePlatforms: two read-only commands on the target; throws naming each", async () => {
  const runner = host("linux/amd64", { "sha256:w": "linux/arm64", "sha256:d": "linux/amd64" });
  const deps = testDeps("/", { runner });
  const target = { env: { DOCKER_HOST: "ssh://h" }, dockerArgv: ["docker"], label: "ssh://h" };
  const images = {
    web: { ref: "reg/web:1", id: "sha256:w" },
    db: { ref: "pg:16", id: "sha256:d" },
  };
  const e = await checkImagePlatforms(deps, target, images).then(() => undefined, (x) => x);
  assert.ok(e instanceof FleetError);
  assert.equal(e.exitCode, 1);
  assert.equal(
    e.message,
    "an image does not match the platform of ssh://h (linux/amd64); nothing was changed:\n" +
      "  web: reg/web:1 is linux/arm64",
  );
  assert.match(
    e.hint!,
    /--platform linux\/amd64\), or .* \(--platform linux\/amd64,linux\/arm64\)/,
  );
  assert.deepEqual(runner.steps.map((s) => [s.argv.join(" "), s.env]), [
    ["docker version --format {{.Server.Os}}/{{.Server.Arch}}", { DOCKER_HOST: "ssh://h" }],
    [
      "docker image inspect --format {{.Os}}/{{.Architecture}}/{{.Variant}} sha256:w sha256:d",
      { DOCKER_HOST: "ssh://h" },
    ],
  ]);
  const ok = host("linux/arm64", { "sha256:w": "linux/arm64" });
  await checkImagePlatforms(testDeps("/", { runner: ok }), target, { web: images.web });
});

Deno.test("deploy: an image of another platform fails after the pull, before the lock and stop", async () => {
  const root = tempProject({
    "stages/dev.yaml": "project: app\nregistry: reg.test\nservices:\n  web: { build: {} }\n",
  });
  const runner = recordingRunner((s: Step) => {
    if (s.argv[0] === "git") return { code: 1 };
    if (s.argv.includes("version")) return { stdout: "linux/amd64\n" };
    if (s.argv.some((a) => a.startsWith("{{.Id}}"))) return { stdout: "sha256:arm\n" };
    if (s.argv.includes("{{.Os}}/{{.Architecture}}/{{.Variant}}")) {
      return { stdout: "linux/arm64/\n" };
    }
    return undefined;
  });
  const deps = testDeps(root, { runner });
  const e = await deploy("dev", { yes: true }, deps).then(() => undefined, (x) => x);
  assert.ok(e instanceof FleetError, String(e));
  assert.equal(e.exitCode, 1);
  assert.match(e.message, /web: reg\.test\/app-web-dev:latest is linux\/arm64/);
  const done = runner.steps.map((s) => s.title);
  assert.ok(done.includes("pull"), done.join(", "));
  for (const t of done) assert.doesNotMatch(t, /^(stop|rm|up|take|record)\b/, done.join(", "));
  assert.ok(!runner.steps.some((s) => s.argv.includes("create")), "no lock taken");
});
