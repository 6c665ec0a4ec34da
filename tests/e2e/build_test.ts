/**
 * End-to-end tests of `fleet build` against the test bed: engine 1 (the local engine), the
 * registry without auth and the one with htpasswd. Each test makes its own project (a unique
 * name), so runs do not see each other's images.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempProject } from "../helpers.ts";
import {
  docker,
  dockerShim,
  e2e,
  fleet,
  pushRetried,
  type Testbed,
  uniqueName,
} from "./harness.ts";
import { ensureBusybox, matrix } from "./engines.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A project with two built services (`web` and the one named like the project) and a db. */
function project(name: string, registry: string | undefined, extra: Record<string, string> = {}) {
  return tempProject({
    "stages/_base.yaml": `project: ${name}\n${registry ? `registry: ${registry}\n` : ""}` +
      `services:\n  web: { build: {} }\n  ${name}: { build: {} }\n  db: { image: busybox }\n`,
    "stages/local.yaml": "{}\n",
    "stages/dev.yaml": "{}\n",
    "services/web/Dockerfile": `FROM busybox\nRUN echo ${name}-web > /id\n`,
    "Dockerfile": `FROM busybox\nRUN echo ${name}-main > /id\n`,
    ...extra,
  });
}

/** The tags of a repository in a registry ([] when it does not exist). */
async function tags(registry: string, repo: string, auth?: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`, {
    headers: auth ? { Authorization: `Basic ${btoa(auth)}` } : {},
  });
  const body = await res.json();
  if (res.status === 404) return [];
  assert.equal(res.status, 200, JSON.stringify(body));
  return (body.tags ?? []).sort();
}

/** The digest the registry serves for a tag. */
async function manifestDigest(registry: string, repo: string, tag: string): Promise<string> {
  const accept = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
  ].join(", ");
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: accept },
  });
  assert.equal(res.status, 200);
  return res.headers.get("Docker-Content-Digest") ?? "";
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

async function rmi(tb: Testbed, refs: string[]) {
  await docker(tb.engine1, ["rmi", "-f", ...refs]).catch(() => {});
}

function ok(r: { code: number; stdout: string; stderr: string }) {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/** Lines of every file under `dir` that contain `secret` (paths), walking subdirectories. */
function filesContaining(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) found.push(...filesContaining(p, secret));
    else if (e.isFile && Deno.readTextFileSync(p).includes(secret)) found.push(p);
  }
  return found;
}

const NATIVE = { x86_64: "amd64", aarch64: "arm64" }[Deno.build.arch as string] ?? Deno.build.arch;

e2e("build local: native images in engine 1 (scripts/build.ts run directly)", async (tb) => {
  const name = uniqueName("bl");
  const dir = project(name, undefined);
  const refs = [`${name}-web-local:latest`, `${name}-local:latest`];
  try {
    const r = await fleet(["local"], { cwd: dir, entry: join(ROOT, "scripts/build.ts") });
    ok(r);
    for (const ref of refs) {
      const arch = await docker(tb.engine1, [
        "image",
        "inspect",
        "-f",
        "{{.Os}}/{{.Architecture}}",
        ref,
      ]);
      assert.equal(arch.trim(), `linux/${NATIVE}`);
      assert.match(
        r.stdout,
        new RegExp(`^\\S+ +${esc(ref)} +- +\\d+\\.\\ds$`, "m"),
      );
    }
    assert.equal(r.stdout.trim().split("\n").length, 2, "one line per service");
    assert.match(r.stderr, /^web \| /m);
    assert.match(r.stderr, new RegExp(`^${name} \\| `, "m"));
  } finally {
    await rmi(tb, refs);
  }
});

matrix("build dev --push: every built service in the registry under the SPEC names", async (tb) => {
  const { registry, buildHost } = tb.engine;
  await ensureBusybox(tb, buildHost);
  const name = uniqueName("bp");
  const dir = project(name, registry);
  const refs = [`${registry}/${name}-web-dev:latest`, `${registry}/${name}-dev:latest`];
  try {
    const r = await pushRetried(
      tb,
      [`${name}-web-dev`, `${name}-dev`],
      () => fleet(["build", "dev", "--push"], { cwd: dir, env: { DOCKER_HOST: buildHost } }),
    );
    ok(r);
    for (const repo of [`${name}-web-dev`, `${name}-dev`]) {
      assert.deepEqual(await tags(registry, repo), ["latest"]);
      const digest = await manifestDigest(registry, repo, "latest");
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.match(
        r.stdout,
        new RegExp(`^\\S+ +${esc(`${registry}/${repo}:latest`)} +${digest} +\\d+\\.\\ds$`, "m"),
        `the summary shows the registry's digest`,
      );
    }
    assert.deepEqual(await tags(registry, `${name}-db-dev`), [], "db is not built");
  } finally {
    await docker(buildHost, ["rmi", "-f", ...refs]).catch(() => {});
  }
});

e2e("-n and --tag push only that service and tag", async (tb) => {
  const name = uniqueName("bn");
  const dir = project(name, tb.registry);
  try {
    ok(await fleet(["build", "dev", "--push", "-n", "web", "--tag", "t1"], { cwd: dir }));
    assert.deepEqual(await tags(tb.registry, `${name}-web-dev`), ["t1"]);
    assert.deepEqual(await tags(tb.registry, `${name}-dev`), []);
  } finally {
    await rmi(tb, [`${tb.registry}/${name}-web-dev:t1`]);
  }
});

e2e("--registry overrides the stage file", async (tb) => {
  const name = uniqueName("br");
  const dir = project(name, `${tb.registry}/${name}-file`);
  const ref = `${tb.registry}/${name}-cli/${name}-web-dev:latest`;
  try {
    const r = await fleet([
      "build",
      "dev",
      "--push",
      "-n",
      "web",
      "--registry",
      `${tb.registry}/${name}-cli`,
    ], {
      cwd: dir,
    });
    ok(r);
    assert.deepEqual(await tags(tb.registry, `${name}-cli/${name}-web-dev`), ["latest"]);
    assert.deepEqual(await tags(tb.registry, `${name}-file/${name}-web-dev`), []);
    assert.ok(r.stdout.includes(ref));
  } finally {
    await rmi(tb, [ref]);
  }
});

/** The build output of one service shows its RUN step as CACHED. */
const runCached = (stderr: string, svc: string) =>
  new RegExp(`^${svc} \\| #(\\d+) \\[2/2\\] RUN [^\\n]*\\n(?:.*\\n)*?${svc} \\| #\\1 CACHED$`, "m")
    .test(stderr);

e2e("--no-cache rebuilds: no CACHED in the output", async (tb) => {
  const name = uniqueName("bc");
  const dir = project(name, tb.registry);
  const ref = `${tb.registry}/${name}-web-dev:latest`;
  const args = ["build", "dev", "--push", "-n", "web"];
  try {
    ok(await fleet(args, { cwd: dir }));
    const again = await fleet(args, { cwd: dir });
    ok(again);
    assert.ok(runCached(again.stderr, "web"), `a second build is cached:\n${again.stderr}`);
    const fresh = await fleet([...args, "--no-cache"], { cwd: dir });
    ok(fresh);
    // only the base image (FROM busybox, in the engine's image store) may still say CACHED
    assert.ok(!runCached(fresh.stderr, "web"), fresh.stderr);
    assert.match(fresh.stderr, /^web \| #(\d+) \[2\/2\] RUN [^\n]*\n(?:.*\n)*?web \| #\1 DONE/m);
    const cached = fresh.stderr.split("\n").filter((l) => l.endsWith(" CACHED"));
    assert.ok(cached.length <= 1, fresh.stderr);
    assert.ok(
      cached.every((l) => fresh.stderr.includes(`${l.replace(/ CACHED$/, "")} [1/2] FROM `)),
    );
  } finally {
    await rmi(tb, [ref]);
  }
});

e2e(
  "registry cache round-trip: push, drop image and build cache, rebuild is CACHED",
  async (tb) => {
    const name = uniqueName("bx");
    const dir = project(name, tb.registry);
    const ref = `${tb.registry}/${name}-web-dev:latest`;
    const args = ["build", "dev", "--push", "-n", "web"];
    const forget = async () => {
      await docker(tb.engine1, ["rmi", "-f", ref]);
      await docker(tb.engine1, ["builder", "prune", "-af"]);
    };
    try {
      ok(await fleet(args, { cwd: dir }));
      await forget();
      // control: without --cache-from the engine no longer has the layer
      const control = await new Deno.Command("docker", {
        args: [
          "buildx",
          "build",
          "--progress",
          "plain",
          "--load",
          "-t",
          `${name}-control`,
          "-f",
          join(dir, "services/web/Dockerfile"),
          dir,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const controlOut = new TextDecoder().decode(control.stderr);
      assert.ok(control.success, controlOut);
      assert.ok(!runCached(controlOut.replace(/^/gm, "web | "), "web"), controlOut);
      await docker(tb.engine1, ["rmi", "-f", `${name}-control`]);
      await forget();
      const r = await fleet(args, { cwd: dir });
      ok(r);
      assert.ok(
        runCached(r.stderr, "web"),
        `the RUN step comes from the registry cache:\n${r.stderr}`,
      );
    } finally {
      await rmi(tb, [ref, `${name}-control`]);
    }
  },
);

e2e(
  "auth registry: FLEET_REGISTRY_USER/PASSWORD log in; the password is never exposed",
  async (tb) => {
    const name = uniqueName("ba");
    const dir = project(name, tb.authRegistry);
    const ref = `${tb.authRegistry}/${name}-web-dev:latest`;
    const pw = tb.authPassword;
    const auth = { FLEET_REGISTRY_USER: tb.authUser, FLEET_REGISTRY_PASSWORD: pw };
    // a user whose Docker config has a credential store that cannot work: fleet must not use it
    const userConfig = tempProject({ "config.json": `{"credsStore":"fleet-test-missing-helper"}` });
    const shim = dockerShim();
    const tmp = Deno.makeTempDirSync({ prefix: "fleet-tmpdir-" });
    const env = { ...shim.env, TMPDIR: tmp };
    try {
      const denied = await fleet(["build", "dev", "--push", "-n", "web"], { cwd: dir, env });
      assert.equal(denied.code, 1, "without credentials the push fails");
      assert.match(denied.stderr, /error: 1 of 1 builds failed: web/);

      const variants: Record<string, string>[] = [{ DOCKER_CONFIG: userConfig }, {}];
      for (const extra of variants) {
        Deno.writeTextFileSync(shim.log, "");
        const r = await fleet(["build", "dev", "--push", "-n", "web"], {
          cwd: dir,
          env: { ...env, ...auth, ...extra },
        });
        ok(r);
        assert.deepEqual(await tags(tb.authRegistry, `${name}-web-dev`, `${tb.authUser}:${pw}`), [
          "latest",
        ]);
        const calls = shim.calls();
        assert.equal(calls[0], `login ${tb.authRegistry} -u ${tb.authUser} --password-stdin`);
        assert.match(calls[1], /^buildx build /);
        assert.ok(calls.every((c) => !c.includes(pw)), "not on a command line");
        assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), "not in the output");
        assert.deepEqual(filesContaining(dir, pw), [], "not in a file under the project");
        assert.deepEqual(filesContaining(userConfig, pw), [], "not in the user's Docker config");
        assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "temp files removed");
      }
      const home = join(Deno.env.get("HOME") ?? "/root", ".docker", "config.json");
      const homeConfig = await Deno.readTextFile(home).catch(() => "");
      assert.ok(!homeConfig.includes(btoa(`${tb.authUser}:${pw}`)), "not in ~/.docker/config.json");
    } finally {
      await rmi(tb, [ref]);
    }
  },
);

e2e("bad input exits 2 and runs no docker command", async (tb) => {
  const name = uniqueName("bb");
  const dir = project(name, undefined, {
    "stages/pre.yaml":
      `registry: ${tb.registry}\nservices:\n  web: { build: { dockerfile: nope/Dockerfile } }\n`,
  });
  const shim = dockerShim();
  const env = { ...shim.env };
  const cases: [string[], RegExp][] = [
    [["build", "dev", "-n", "nope"], /error: unknown service "nope" \(buildable services: web, /],
    [["build", "local", "--push"], /error: --push is refused on stage "local"/],
    [["build", "dev", "--push"], /error: --push needs a registry[^\n]*\nhint: pass --registry/],
    [
      ["build", "pre"],
      /error: stages\/pre\.yaml:3:31: services\.web\.build\.dockerfile: nope\/Dockerfile does not exist/,
    ],
  ];
  for (const [args, msg] of cases) {
    const r = await fleet(args, { cwd: dir, env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, msg);
  }
  assert.deepEqual(shim.calls(), [], "no docker command ran");
});

e2e("a ${VAR} build arg reaches the build through the environment, not argv", async (tb) => {
  const name = uniqueName("bv");
  const dir = project(name, undefined, {
    "stages/dev.yaml":
      `services:\n  web: { build: { args: { TOKEN: "\${FLEET_TEST_TOKEN}", MODE: lit } } }\n`,
    "stages/local.yaml":
      `services:\n  web: { build: { args: { TOKEN: "\${FLEET_TEST_TOKEN}", MODE: lit } } }\n`,
    "services/web/Dockerfile":
      'FROM busybox\nARG TOKEN\nARG MODE\nRUN echo "$MODE:$TOKEN" > /token\n',
  });
  const token = `tok-${crypto.randomUUID()}`;
  const shim = dockerShim();
  const env = { ...shim.env, FLEET_TEST_TOKEN: token };
  const refs = [`${name}-web-local:latest`, `${name}-web-dev:latest`];
  try {
    for (const stage of ["local", "dev"]) {
      const r = await fleet(["build", stage, "-n", "web"], { cwd: dir, env });
      ok(r);
      assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), "not in the output");
    }
    for (const ref of refs) {
      const out = await docker(tb.engine1, ["run", "--rm", ref, "cat", "/token"]);
      assert.equal(out.trim(), `lit:${token}`, `${ref} got the value`);
    }
    const calls = shim.calls();
    assert.equal(calls.length, 2);
    assert.ok(
      calls.every((c) => c.includes("--build-arg MODE=lit --build-arg TOKEN ")),
      calls.join("\n"),
    );
    assert.ok(calls.every((c) => !c.includes(token)), "not on a command line");
  } finally {
    await rmi(tb, refs);
  }
});
