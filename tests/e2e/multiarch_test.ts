/**
 * Issue 13 end to end: multi-platform images. `fleet build dev --push --platform
 * linux/amd64,linux/arm64` puts one manifest list in the registry, each platform's RUN step run
 * on its own architecture (arm64 under QEMU): in one buildx call on Docker Engine 26 (containerd
 * image store), by per-platform builds joined with `imagetools create` on Docker Engine 20.10.
 * The registry cache serves each platform on a second build. An image of another platform is
 * refused by deploy before anything stops. Needs the bed's `arm64` part (and `engine26`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempProject } from "../helpers.ts";
import {
  docker,
  dockerShim,
  e2e,
  fleet,
  type FleetRun,
  pushRetried,
  type Testbed,
  uniqueName,
} from "./harness.ts";
import { type Engine, engine, matrix, multiarchDir, need } from "./engines.ts";
import { makeApp } from "./app.ts";

const BOTH = ["linux/amd64", "linux/arm64"];
const UNAME: Record<string, string> = { "linux/amd64": "x86_64", "linux/arm64": "aarch64" };

/** A project whose image is the bed's busybox of each platform plus a RUN step's `uname -m`. */
function project(name: string, registry: string, base: string): string {
  const Dockerfile = Deno.readTextFileSync(join(base, "Dockerfile")) +
    'RUN uname -m > /arch && echo "ran-on-$(uname -m)"\n';
  const dir = tempProject({
    "stages/dev.yaml":
      `project: ${name}\nregistry: ${registry}\nservices:\n  ${name}: { build: {} }\n`,
    Dockerfile,
  });
  for (const arch of ["amd64", "arm64"]) {
    Deno.copyFileSync(join(base, `busybox-${arch}.tar`), join(dir, `busybox-${arch}.tar`));
  }
  return dir;
}

interface RawList {
  mediaType: string;
  manifests: { digest: string; platform?: { os: string; architecture: string } }[];
}

/** The list in the registry, as `docker buildx imagetools inspect --raw` shows it. */
async function rawList(ref: string): Promise<RawList> {
  return JSON.parse(await docker("", ["buildx", "imagetools", "inspect", "--raw", ref]));
}

/** The digest of each platform in a raw list (attestations left out). */
function byPlatform(list: RawList): Record<string, string> {
  return Object.fromEntries(
    list.manifests.filter((m) => m.platform && m.platform.os !== "unknown")
      .map((m) => [`${m.platform!.os}/${m.platform!.architecture}`, m.digest]),
  );
}

/** What the RUN step wrote into the image of one platform (pulled by digest on engine 1). */
async function archOf(ref: string, digest: string): Promise<string> {
  const pinned = `${ref.replace(/:[^/:]+$/, "")}@${digest}`;
  const e1 = "unix:///var/run/docker.sock";
  try {
    await docker(e1, ["pull", "-q", pinned]);
    return (await docker(e1, ["run", "--rm", pinned, "cat", "/arch"])).trim();
  } finally {
    await docker(e1, ["rmi", "-f", pinned]).catch(() => "");
  }
}

/**
 * The RUN step of each platform was CACHED. The join route builds one platform after the other,
 * each after a `--- build <svc> for <platform>` line; in one call BuildKit labels the RUN steps
 * without their platform, so there: as many RUN steps as platforms, each CACHED.
 */
function runsCached(stderr: string, svc: string, platforms: string[], joined: boolean): boolean {
  const lines = stderr.split("\n").filter((l) => l.startsWith(`${svc} | `)).map((l) =>
    l.slice(svc.length + 3)
  );
  const cached = (part: string[]) => {
    const runs = new Set(part.map((l) => l.match(/^#(\d+) \[(?:\S+ )?2\/2\] RUN /)?.[1]));
    runs.delete(undefined);
    return [...runs].filter((n) => part.includes(`#${n} CACHED`)).length;
  };
  // the RUN step printed its output: it ran (`#8 0.31 ran-on-x86_64`), it was not cached
  const ran = (part: string[]) => part.some((l) => /^#\d+ \d+\.\d+ ran-on-/.test(l));
  // one call: BuildKit may show the two platforms' cached RUN as one step, or as two
  if (!joined) return cached(lines) >= 1 && !ran(lines);
  return platforms.every((p) => {
    const from = lines.indexOf(`--- build ${svc} for ${p}`);
    const to = lines.findIndex((l, i) => i > from && l.startsWith("--- "));
    return from >= 0 && cached(lines.slice(from, to < 0 ? undefined : to)) === 1;
  });
}

function ok(r: FleetRun) {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/** The whole check for one engine: build, inspect, run each platform, rebuild from the cache. */
async function buildList(tb: Testbed, eng: Engine, base: string) {
  const name = uniqueName("ma");
  const dir = project(name, eng.registry, base);
  const ref = `${eng.registry}/${name}-dev:latest`;
  const shim = dockerShim();
  const env = { DOCKER_HOST: eng.buildHost, ...shim.env };
  const args = ["build", "dev", "--push", "--platform", BOTH.join(",")];
  const joined = eng.name === "20.10";
  try {
    let callsFrom = 0; // the shim's calls of the run checked (after a retry, the second)
    const push = () =>
      pushRetried(tb, [`${name}-dev`], () => {
        callsFrom = shim.calls().length;
        return fleet(args, { cwd: dir, env });
      });
    const r = await push();
    ok(r);
    // one list in the registry, with both platforms
    const list = await rawList(ref);
    assert.match(list.mediaType, /manifest\.list|image\.index/);
    const digests = byPlatform(list);
    assert.deepEqual(Object.keys(digests).sort(), BOTH);
    const listDigest = (await docker("", [
      ...["buildx", "imagetools", "inspect", "--format", "{{json .Manifest.Digest}}", ref],
    ])).trim().replaceAll('"', "");
    // the summary: the list's digest, then each platform's
    assert.match(r.stdout, new RegExp(`^${name} +\\S+:latest +${listDigest} +\\d+\\.\\ds$`, "m"));
    for (const p of BOTH) assert.match(r.stdout, new RegExp(`^ +${p} +${digests[p]}$`, "m"));
    // each platform's RUN step ran on its architecture
    for (const p of BOTH) assert.equal(await archOf(ref, digests[p]), UNAME[p], p);
    // the route: one buildx call, or one per platform and imagetools create
    const calls = shim.calls().slice(callsFrom);
    const builds = calls.filter((c) => c.startsWith("buildx build "));
    if (joined) {
      assert.deepEqual(builds.map((c) => c.match(/--platform (\S+)/)?.[1]), BOTH);
      assert.equal(calls.filter((c) => c.startsWith("buildx imagetools create ")).length, 1);
      assert.match(r.stderr, /note: the per-platform tags joined into the lists stay/);
    } else {
      assert.deepEqual(builds.map((c) => c.match(/--platform (\S+)/)?.[1]), [BOTH.join(",")]);
      assert.ok(!calls.some((c) => c.startsWith("buildx imagetools create ")), calls.join("\n"));
    }
    // the second run, with the engine's build cache and images gone: each platform from the registry
    await docker(eng.buildHost, ["builder", "prune", "-af"]);
    const images = (await docker(eng.buildHost, ["images", "-q", `${eng.registry}/${name}-dev`]))
      .trim().split("\n").filter(Boolean);
    if (images.length) await docker(eng.buildHost, ["rmi", "-f", ...new Set(images)]);
    const again = await push();
    ok(again);
    assert.ok(runsCached(again.stderr, name, BOTH, joined), `RUN CACHED:\n${again.stderr}`);
  } finally {
    const images = await docker(eng.buildHost, ["images", "-q", `${eng.registry}/${name}-dev`])
      .catch(() => "");
    const ids = [...new Set(images.trim().split("\n").filter(Boolean))];
    if (ids.length) await docker(eng.buildHost, ["rmi", "-f", ...ids]).catch(() => "");
  }
}

e2e(
  "build --push --platform amd64,arm64 on engine 26: one list, in one buildx call",
  async (tb) => {
    const base = multiarchDir(tb);
    const eng = need(tb, "arm64") && base ? engine(tb, "26") : undefined;
    if (eng && base) await buildList(tb, eng, base);
  },
);

e2e(
  "build --push --platform amd64,arm64 on engine 20.10: per-platform builds, joined",
  async (tb) => {
    const base = multiarchDir(tb);
    const eng = need(tb, "arm64") && base ? engine(tb, "20.10") : undefined;
    if (eng && base) await buildList(tb, eng, base);
  },
);

e2e("several platforms without --push on engine 20.10: exit 2, only the probe ran", async (tb) => {
  const name = uniqueName("mn");
  const dir = tempProject({
    "stages/dev.yaml":
      `project: ${name}\nregistry: ${tb.registry}\nservices:\n  ${name}: { build: {} }\n`,
    Dockerfile: "FROM busybox\n",
  });
  const shim = dockerShim();
  const r = await fleet(["build", "dev", "--platform", BOTH.join(",")], {
    cwd: dir,
    env: { DOCKER_HOST: tb.engine1, ...shim.env },
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error: several platforms without --push: .* cannot load/);
  assert.match(r.stderr, /hint: add --push/);
  assert.deepEqual(shim.calls(), ["info --format {{json .DriverStatus}}"]);
});

matrix("an arm64-only image deployed to an amd64 host fails before anything stops", async (tb) => {
  const base = multiarchDir(tb);
  if (!need(tb, "arm64") || !base) return;
  const app = makeApp(tb);
  try {
    await app.push("v1");
    assert.equal((await app.run(["deploy", "dev", "--yes"])).code, 0);
    const before = await app.containers();
    // the same tag, now an arm64 image alone (built and pushed by engine 1)
    const ctx = tempProject({
      Dockerfile: Deno.readTextFileSync(join(base, "Dockerfile")) +
        'RUN mkdir -p /www && echo arm > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    });
    Deno.copyFileSync(join(base, "busybox-arm64.tar"), join(ctx, "busybox-arm64.tar"));
    await docker(tb.engine1, [
      ...["buildx", "build", "--platform", "linux/arm64", "-t", `${app.repo}:latest`, "--push"],
      ctx,
    ]);
    const r = await app.run(["deploy", "dev", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `error: an image does not match the platform of \\S+ \\(linux/amd64\\); nothing was ` +
          `changed:\\n  web: ${app.repo.replaceAll(".", "\\.")}:latest is linux/arm64`,
      ),
    );
    assert.equal(await app.get(), "v1", "the running release is untouched");
    assert.deepEqual(await app.containers(), before);
  } finally {
    await app.cleanup();
  }
});
