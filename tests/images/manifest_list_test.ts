/** Plan tests for multi-platform builds: exact argv of both routes (lib/images/manifest_list.ts). */
import assert from "node:assert/strict";
import { errorOf, stageFixture } from "../helpers.ts";
import { type BuildOptions, resolveBuilds } from "../../lib/images/inputs.ts";
import {
  buildPlatforms,
  listRoute,
  parsePushedList,
  tempRef,
} from "../../lib/images/manifest_list.ts";
import { planBuild } from "../../lib/images/plan.ts";
import type { Service, Stage } from "../../lib/config/stage.ts";
import type { ImageStore } from "../../lib/docker/image_store.ts";
import { imageStoreStep, parseImageStore } from "../../lib/docker/image_store.ts";
import { UsageError } from "../../lib/core/errors.ts";

const web: Service = { name: "web", build: { context: "/p", args: {} } };
const files = new Set(["/p", "/p/services/web/Dockerfile"]);
const BOTH = "linux/amd64,linux/arm64";
const REF = "reg.example/team/app-web-dev:latest";

function plan(s: Stage, opts: BuildOptions, store: ImageStore, env: Record<string, string> = {}) {
  const builds = resolveBuilds(s, opts, env, (p) => files.has(p));
  return planBuild(s, builds, opts, { tmp: "/t", env, store });
}

Deno.test("one call (containerd image store): --platform a,b --push, then read the list", () => {
  const p = plan(stageFixture([web]), { platform: BOTH, push: true }, "containerd").services[0];
  assert.equal(p.route, "one-call");
  assert.deepEqual(p.platforms, ["linux/amd64", "linux/arm64"]);
  assert.deepEqual(p.steps.map((s) => [s.title, s.argv]), [[
    "build web",
    [
      ...["docker", "buildx", "build", "--platform", BOTH, "--progress", "plain"],
      ...["-t", REF, "-f", "/p/services/web/Dockerfile"],
      ...["--cache-from", `type=registry,ref=${REF}`, "--cache-to", "type=inline"],
      ...["--push", "/p"],
    ],
  ]]);
  assert.deepEqual(p.inspect?.argv, [
    ...["docker", "buildx", "imagetools", "inspect", "--format", "{{json .Manifest}}", REF],
  ]);
  assert.equal(p.metadataFile, undefined);
  assert.equal(p.tempRefs, undefined);
});

Deno.test("one call without --push loads the list; nothing to read back", () => {
  const p = plan(stageFixture([web]), { platform: BOTH }, "containerd").services[0];
  assert.deepEqual(p.steps.map((s) => s.argv.join(" ")), [
    `docker buildx build --platform ${BOTH} --progress plain -t ${REF}` +
    ` -f /p/services/web/Dockerfile --cache-from type=registry,ref=${REF} --cache-to type=inline` +
    " --load /p",
  ]);
  assert.equal(p.inspect, undefined);
});

Deno.test("join (classic store): one build per platform under its own tag, then imagetools create", () => {
  const p = plan(stageFixture([web]), { platform: BOTH, push: true }, "classic").services[0];
  assert.equal(p.route, "join");
  const tmp = (a: string) => `${REF}-fleet-tmp-linux-${a}`;
  assert.deepEqual(p.tempRefs, [tmp("amd64"), tmp("arm64")]);
  assert.deepEqual(p.steps.map((s) => [s.title, s.argv.join(" ")]), [
    ...["amd64", "arm64"].map((a) => [
      `build web for linux/${a}`,
      `docker buildx build --platform linux/${a} --progress plain -t ${tmp(a)}` +
      ` -f /p/services/web/Dockerfile --cache-from type=registry,ref=${REF}` +
      " --cache-to type=inline --push /p",
    ]),
    [
      "join web's platforms",
      `docker buildx imagetools create -t ${REF} ${tmp("amd64")} ${tmp("arm64")}`,
    ],
  ]);
  assert.equal(
    p.inspect?.argv.join(" "),
    `docker buildx imagetools inspect --format {{json .Manifest}} ${REF}`,
  );
});

Deno.test("join with several --tag: the list is made under every tag", () => {
  const p =
    plan(stageFixture([web]), { platform: BOTH, push: true, tag: ["v1", "sha-1"] }, "classic")
      .services[0];
  const v1 = REF.replace(":latest", ":v1");
  const tmp = (a: string) => `${v1}-fleet-tmp-linux-${a}`;
  assert.equal(
    p.steps.at(-1)!.argv.join(" "),
    `docker buildx imagetools create -t ${v1} -t ${REF.replace(":latest", ":sha-1")}` +
      ` ${tmp("amd64")} ${tmp("arm64")}`,
  );
});

Deno.test("join: --no-cache, build args and secrets only on the builds, DOCKER_CONFIG on all", () => {
  const svc: Service = { name: "web", build: { context: "/p", args: { T: "${TOK}", A: "1" } } };
  const env = { TOK: "s3cr3t", FLEET_REGISTRY_USER: "u", FLEET_REGISTRY_PASSWORD: "pw-123" };
  const p = plan(stageFixture([svc]), { platform: BOTH, push: true, cache: false }, "classic", env)
    .services[0];
  const [amd, arm, join] = p.steps;
  for (const b of [amd, arm]) {
    assert.match(
      b.argv.join(" "),
      / --build-arg A=1 --build-arg T --cache-to type=inline --push --no-cache \/p$/,
    );
    assert.deepEqual(b.secretEnv, { T: "s3cr3t" });
  }
  assert.equal(join.secretEnv, undefined);
  assert.equal(p.inspect?.secretEnv, undefined);
  for (const s of [amd, arm, join, p.inspect!]) {
    assert.deepEqual(s.env, { DOCKER_CONFIG: "/t/docker-config" });
    assert.ok(!s.argv.join(" ").includes("s3cr3t"));
  }
});

Deno.test("the stage's platform list is used; --platform overrides it; one platform is not a list", () => {
  const dev = stageFixture([web], { platform: BOTH });
  assert.equal(plan(dev, { push: true }, "classic").services[0].route, "join");
  const one = plan(dev, { push: true, platform: "linux/arm64" }, "classic").services[0];
  assert.equal(one.route, undefined);
  assert.deepEqual(one.platforms, ["linux/arm64"]);
  assert.match(
    one.steps[0].argv.join(" "),
    /^docker buildx build --platform linux\/arm64 --progress/,
  );
});

Deno.test("several platforms without --push on the classic store: exit 2 with a hint", () => {
  const e = errorOf(() => plan(stageFixture([web]), { platform: BOTH }, "classic"));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /several platforms without --push: .* cannot load a multi-platform list/);
  assert.match((e as UsageError).hint!, /add --push/);
  assert.equal(listRoute({ push: true }, "classic"), "join");
  assert.equal(listRoute({}, "containerd"), "one-call");
});

Deno.test("buildPlatforms: invalid --platform and lists without buildx are exit 2", () => {
  assert.deepEqual(buildPlatforms(stageFixture([web], { platform: undefined }), {}), []);
  const bad = errorOf(() => buildPlatforms(stageFixture([web]), { platform: "linux/amd64,arm" }));
  assert.ok(bad instanceof UsageError);
  assert.match(bad.message, /^--platform: "arm" is not os\/arch/);
  const local = stageFixture([web], { name: "local", local: true, buildx: false });
  const nobx = errorOf(() => buildPlatforms(local, { platform: BOTH }));
  assert.ok(nobx instanceof UsageError);
  assert.match(nobx.message, /several platforms \(linux\/amd64, linux\/arm64\) need buildx/);
  assert.match((nobx as UsageError).hint!, /set buildx: true in stages\/dev\.yaml/);
});

Deno.test("tempRef: tag plus platform, within 128 characters", () => {
  assert.equal(
    tempRef("reg:5000/a/b:v1", "linux/arm/v7"),
    "reg:5000/a/b:v1-fleet-tmp-linux-arm-v7",
  );
  assert.equal(tempRef("reg:5000/a/b", "linux/amd64"), "reg:5000/a/b:latest-fleet-tmp-linux-amd64");
  const long = tempRef(`r/a:${"t".repeat(128)}`, "linux/amd64");
  assert.equal(long.split(":")[1].length, 128);
  assert.ok(long.endsWith("-fleet-tmp-linux-amd64"));
});

Deno.test("parsePushedList: list digest, each platform's digest, attestations left out", () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const out = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: d("f"),
    manifests: [
      { digest: d("a"), platform: { os: "linux", architecture: "amd64" } },
      { digest: d("b"), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
      {
        digest: d("c"),
        platform: { os: "unknown", architecture: "unknown" },
        annotations: { "vnd.docker.reference.type": "attestation-manifest" },
      },
    ],
  });
  assert.deepEqual(parsePushedList(out + "\n", ["linux/amd64", "linux/arm64", "linux/s390x"]), {
    digest: d("f"),
    platforms: [
      { platform: "linux/amd64", digest: d("a") },
      { platform: "linux/arm64", digest: d("b") },
      { platform: "linux/s390x", digest: undefined },
    ],
  });
});

Deno.test("image store probe: one docker info; the containerd snapshotter means a list store", () => {
  assert.deepEqual(imageStoreStep().argv, ["docker", "info", "--format", "{{json .DriverStatus}}"]);
  assert.equal(parseImageStore('[["driver-type","io.containerd.snapshotter.v1"]]\n'), "containerd");
  assert.equal(
    parseImageStore('[["Backing Filesystem","extfs"],["Supports d_type","true"]]\n'),
    "classic",
  );
});
