/**
 * Tier 4: `--json` and GitHub Actions mode through mod.ts, with a fake `docker` on PATH that
 * answers from canned output (no engine needed) and records its calls.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fleet } from "../e2e/harness.ts";
import { tempProject } from "../helpers.ts";

/** A `docker` that logs its argv and prints the answer of the first pattern its argv contains. */
function fakeDocker(answers: Record<string, string> = {}) {
  const bin = Deno.makeTempDirSync({ prefix: "fleet-fake-docker-" });
  const log = join(bin, "calls.log");
  const cases = Object.entries(answers).map(([pattern, out], i) => {
    Deno.writeTextFileSync(join(bin, `answer${i}`), out);
    return `  *"${pattern}"*) cat "${join(bin, `answer${i}`)}" ;;`;
  });
  Deno.writeTextFileSync(
    join(bin, "docker"),
    // the model comes on stdin (-f -): read it, as Compose does
    `#!/bin/sh\necho "$*" >> "${log}"\ncase "$*" in *" -f - "*) cat > /dev/null ;; esac\ncase "$*" in\n${
      cases.join("\n")
    }\n  *) ;;\nesac\n`,
  );
  Deno.chmodSync(join(bin, "docker"), 0o755);
  Deno.writeTextFileSync(log, "");
  return {
    // a fake docker stands for the engine and its plugins: fleet must not go around it
    env: {
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      FLEET_ENGINE_API: "0",
      FLEET_DIRECT_COMPOSE: "0",
    },
    calls: () => Deno.readTextFileSync(log).split("\n").filter(Boolean),
  };
}

const files = {
  "stages/_base.yaml": "project: app\nservices:\n  web: { build: {} }\n",
  "stages/dev.yaml": "registry: 127.0.0.1:5400\nhost: unix:///nowhere.sock\n",
  "stages/live.yaml": "registry: 127.0.0.1:5400/live\n",
  "Dockerfile": "FROM busybox\n",
};

const typo = { "stages/pre.yaml": "services:\n  web:\n    build: {}\n    prots: ['1:1']\n" };

/** Run fleet and parse its stdout as the one JSON document it must be. */
async function json(args: string[], env: Record<string, string>, cwd: string) {
  const r = await fleet(args, { cwd, env });
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\n---\n${r.stderr}`);
  }
  return { ...r, doc };
}

Deno.test("stages and config --json; a broken stage file: result failed, exit 2", async () => {
  const dir = tempProject({ ...files, ...typo });
  const s = await json(["stages", "--json"], {}, dir);
  assert.equal(s.code, 2, s.stderr);
  assert.equal(s.doc.result, "failed");
  const stages = s.doc.stages as Record<string, unknown>[];
  assert.deepEqual(stages.map((x) => [x.name, x.registry, x.error === null]), [
    ["dev", "127.0.0.1:5400", true],
    ["pre", null, false],
    ["live", "127.0.0.1:5400/live", true],
  ]);
  assert.match(s.stderr, /^error: stages\/pre\.yaml:4:5: services\.web\.prots: unknown key/m);
  const c = await json(["config", "dev", "--json"], {}, dir);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.doc.command, "config");
  assert.equal(c.doc.host, "unix:///nowhere.sock");
  assert.deepEqual(
    (c.doc.services as Record<string, { image: string }>).web.image,
    "127.0.0.1:5400/app-web-dev:latest",
  );
  assert.equal(c.doc.compose, null);
  const m = await json(["config", "dev", "--compose", "--json"], {}, dir);
  assert.equal((m.doc.compose as { name: string }).name, "app-dev");
});

Deno.test("a config or usage error with --json: the document says it (with the position); no docker ran", async () => {
  const dir = tempProject({ ...files, ...typo });
  const docker = fakeDocker();
  const r = await json(["deploy", "pre", "--yes", "--json"], docker.env, dir);
  assert.equal(r.code, 2);
  assert.deepEqual(r.doc, {
    command: "deploy",
    stage: "pre",
    result: "failed",
    error: {
      message: 'stages/pre.yaml:4:5: services.web.prots: unknown key (did you mean "ports"?)',
      hint: "see the stage file reference in README.md",
      exitCode: 2,
      kind: "config",
      problems: [{
        file: "stages/pre.yaml",
        line: 4,
        col: 5,
        message: 'services.web.prots: unknown key (did you mean "ports"?)',
      }],
    },
  });
  assert.deepEqual(docker.calls(), []);
  const u = await json(["deploy", "pre", "--frobnicate", "--json"], docker.env, dir);
  assert.equal(u.code, 2);
  assert.deepEqual(u.doc, {
    command: "deploy",
    result: "failed",
    error: {
      message: "unknown option '--frobnicate'",
      hint: null,
      exitCode: 2,
      kind: "usage",
      problems: [],
    },
  });
});

Deno.test("dry runs --json: deploy --tag, build, promote", async () => {
  const dir = tempProject(files);
  const d = await json(["deploy", "dev", "--dry-run", "--tag", "sha-1", "--json"], {}, dir);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.doc.result, "dry-run");
  assert.deepEqual(d.doc.services, [{
    name: "web",
    image: "127.0.0.1:5400/app-web-dev:sha-1",
    digest: null,
    id: null,
    before: null,
    redeployed: true,
  }]);
  const b = await json(
    ["build", "dev", "--dry-run", "--json", "--tag", "a", "--tag", "b"],
    {},
    dir,
  );
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual([b.doc.command, b.doc.stage, b.doc.result, b.doc.services], [
    "build",
    "dev",
    "ok",
    [],
  ]);
  assert.match(
    b.stderr,
    / -t 127\.0\.0\.1:5400\/app-web-dev:a -t 127\.0\.0\.1:5400\/app-web-dev:b /,
  );
  const p = await json(["promote", "dev", "live", "--dry-run", "--json"], {}, dir);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.doc.result, "dry-run");
  assert.match(
    String(p.doc.commands),
    /imagetools create -t 127\.0\.0\.1:5400\/live\/app-web-live:latest/,
  );
});

const PS = {
  Name: "app-dev-web-1",
  Service: "web",
  Image: "127.0.0.1:5400/app-web-dev:latest",
  State: "running",
  Status: "Up 2 minutes",
  Health: "",
  ExitCode: 0,
  Publishers: [{ URL: "0.0.0.0", TargetPort: 80, PublishedPort: 8080, Protocol: "tcp" }],
};

Deno.test("ps --json: structured containers, from either form of Compose's JSON", async () => {
  const dir = tempProject(files);
  for (const out of [JSON.stringify(PS) + "\n", JSON.stringify([PS])]) {
    const docker = fakeDocker({ " ps --all --format json": out });
    const r = await json(["ps", "dev", "--json"], docker.env, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.doc.containers, [{
      name: "app-dev-web-1",
      service: "web",
      image: "127.0.0.1:5400/app-web-dev:latest",
      state: "running",
      status: "Up 2 minutes",
      health: null,
      exitCode: 0,
      ports: [{ url: "0.0.0.0", published: 8080, target: 80, protocol: "tcp" }],
    }]);
    assert.equal(r.doc.project, "app-dev");
  }
  const text = await fleet(["ps", "dev"], {
    cwd: dir,
    env: fakeDocker({ " ps --all": JSON.stringify(PS) }).env,
  });
  assert.match(
    text.stdout.trimEnd(),
    /^NAME\s+SERVICE\s+IMAGE\s+STATE\s+STATUS\s+PORTS\napp-dev-web-1\s+web\s.*running\s+Up 2 minutes\s+0\.0\.0\.0:8080->80\/tcp$/,
  );
});

Deno.test("history --json: the releases with their digests", async () => {
  const dir = tempProject(files);
  const labels = {
    "dev.fleet.release.id": "r20260102T030405Z-ab12",
    "dev.fleet.release.project": "app-dev",
    "dev.fleet.release.time": "2026-01-02T03:04:05Z",
    "dev.fleet.release.who": "ci (ci)",
    "dev.fleet.release.commit": "abc",
    "dev.fleet.release.kind": "deploy",
    "dev.fleet.release.result": "ok",
    "dev.fleet.release.services": JSON.stringify({
      web: { ref: "r/w:1", id: "sha256:i", digest: "sha256:" + "e".repeat(64) },
    }),
  };
  const docker = fakeDocker({
    "volume ls": "fleet-release-app-dev-r1\n",
    "volume inspect": JSON.stringify(labels) + "\n",
  });
  const r = await json(["history", "dev", "--json"], docker.env, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.doc.releases, [{
    id: "r20260102T030405Z-ab12",
    time: "2026-01-02T03:04:05Z",
    who: "ci (ci)",
    commit: "abc",
    kind: "deploy",
    result: "ok",
    services: { web: { image: "r/w:1", id: "sha256:i", digest: "sha256:" + "e".repeat(64) } },
    note: null,
  }]);
  const text = await fleet(["history", "dev"], { cwd: dir, env: docker.env });
  assert.match(text.stdout, /\sweb@sha256:eeeeeeeeeeee\s*$/m);
});

Deno.test("GitHub Actions: a config typo is an ::error on its file and line; summary and outputs", async () => {
  const dir = tempProject({ ...files, ...typo });
  const tmp = Deno.makeTempDirSync();
  const gh = {
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: join(dir, ".."),
    GITHUB_STEP_SUMMARY: join(tmp, "summary.md"),
    GITHUB_OUTPUT: join(tmp, "output"),
  };
  const r = await json(["deploy", "pre", "--yes", "--json"], { ...gh, ...fakeDocker().env }, dir);
  assert.equal(r.code, 2);
  assert.equal(r.doc.result, "failed", "stdout is still the one JSON document");
  const file = `${dir.split("/").at(-1)}/stages/pre.yaml`;
  assert.match(
    r.stderr,
    new RegExp(
      `^::error file=${file},line=4,col=5,title=fleet deploy pre%3A configuration error::services\\.web\\.prots: unknown key`,
      "m",
    ),
  );
  assert.match(Deno.readTextFileSync(gh.GITHUB_STEP_SUMMARY), /^### fleet deploy pre: failed\n/);
  assert.match(
    Deno.readTextFileSync(gh.GITHUB_OUTPUT),
    /^result<<(ghadelimiter_[0-9a-f-]+)\nfailed\n\1\n$/,
  );
  const plain = await fleet(["deploy", "pre", "--yes"], { cwd: dir, env: fakeDocker().env });
  assert.equal(plain.code, 2);
  assert.ok(!/^::/m.test(plain.stdout + plain.stderr), "nothing of GitHub outside Actions");
});
