/**
 * Issue #11 end to end, on the test bed (engine 2 is the host, registry 127.0.0.1:5400): the
 * documented workflow's commands in GitHub Actions mode (groups, masks, summary, outputs,
 * annotations), --json, deploy --tag, and promote by digest without a build.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DOCKERFILE } from "./app.ts";
import {
  docker,
  dockerShim,
  e2e,
  fleet,
  type FleetRun,
  freePort,
  type Testbed,
  uniqueName,
} from "./harness.ts";
import { fleetArgs, WORKFLOW } from "./workflow.ts";
import { tempProject } from "../helpers.ts";

const HEALTHY =
  `    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"], interval: 1s, retries: 3 }\n`;
const FAILING =
  `    healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: 1s, retries: 2 }\n`;

/** A stage of the project on engine 2, its web service holding a ${VAR} secret. */
function stageYaml(tb: Testbed, name: string, port: number, extra = HEALTHY): string {
  return `project: ${name}\nregistry: ${tb.registry}\nhost: ${tb.engine2}\nservices:\n  web:\n` +
    `    build: {}\n    ports: ["127.0.0.1:${port}:8080"]\n` +
    `    environment: { API_TOKEN: "\${FLEET_E2E_TOKEN}" }\n${extra}`;
}

/** GitHub Actions' environment for one step: fresh summary and output files. */
function actions(workspace: string, sha: string) {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-gh-" });
  const env = {
    GITHUB_ACTIONS: "true",
    GITHUB_SHA: sha,
    GITHUB_WORKSPACE: workspace,
    GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
    GITHUB_OUTPUT: join(dir, "output"),
  };
  const read = (f: string) => {
    try {
      return Deno.readTextFileSync(f);
    } catch {
      return "";
    }
  };
  return {
    env,
    summary: () => read(env.GITHUB_STEP_SUMMARY),
    /** The outputs, parsed from the multiline syntax (name<<DELIMITER … DELIMITER). */
    outputs: () =>
      Object.fromEntries(
        [...read(env.GITHUB_OUTPUT).matchAll(/^(\w+)<<(\S+)\n([\s\S]*?)\n\2\n/gm)].map((
          m,
        ) => [m[1], m[3]]),
      ),
  };
}

/** The digest the registry serves for a tag, and the raw manifest. */
async function manifest(registry: string, repo: string, tag: string) {
  const accept = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
  ].join(", ");
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: accept },
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return {
    digest: res.headers.get("Docker-Content-Digest") ?? "",
    manifests: (body.manifests ?? []) as { digest: string; platform?: { architecture: string } }[],
  };
}

function ok(r: FleetRun) {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

function doc(r: FleetRun): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\n---\n${r.stderr}`);
  }
}

/** The lines of `::group::` titles, in order. */
const groups = (stderr: string) =>
  stderr.split("\n").filter((l) => l.startsWith("::group::")).map((l) => l.slice(9));

async function get(port: number): Promise<string> {
  for (let i = 0;; i++) {
    try {
      return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The image ID of a stage's web container on engine 2. */
async function runningImage(tb: Testbed, name: string, stage: string): Promise<string> {
  const out = await docker(tb.engine2, [
    "ps",
    "--filter",
    `label=com.docker.compose.project=${name}-${stage}`,
    "--format",
    "{{.ID}}",
  ]);
  const id = out.trim().split("\n")[0];
  return (await docker(tb.engine2, ["inspect", "-f", "{{.Image}}", id])).trim();
}

/** Remove what the stages of project `name` left on engine 2 and engine 1. */
async function cleanup(tb: Testbed, name: string, stages: readonly string[]) {
  const on = (host: string, args: string[]) => docker(host, args).catch(() => "");
  const list = async (host: string, args: string[]) =>
    (await on(host, args)).trim().split("\n").filter(Boolean);
  for (const stage of stages) {
    const p = `${name}-${stage}`;
    const cs = await list(tb.engine2, [
      "ps",
      "-aq",
      "--filter",
      `label=com.docker.compose.project=${p}`,
    ]);
    if (cs.length) await on(tb.engine2, ["rm", "-f", ...cs]);
    await on(tb.engine2, ["rm", "-f", `fleet-lock-${p}`]);
    const vols = await list(tb.engine2, [
      "volume",
      "ls",
      "-q",
      "--filter",
      `name=fleet-release-${p}`,
    ]);
    if (vols.length) await on(tb.engine2, ["volume", "rm", "-f", ...vols]);
    await on(tb.engine2, ["network", "rm", `${p}_default`]);
  }
  for (const host of [tb.engine2, tb.engine1]) {
    const refs = (await list(host, ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]))
      .filter((l) => l.includes(`/${name}-`) || l.startsWith(`fleet-kept/${name}-`));
    const ids = [...new Set(refs.map((l) => l.split(" ")[1]))];
    if (ids.length) await on(host, ["rmi", "-f", ...ids]);
  }
}

e2e(
  "GitHub Actions: the documented workflow's commands — build, deploy dev, promote, deploy live",
  async (tb) => {
    const name = uniqueName("gh");
    const sha = (crypto.randomUUID() + crypto.randomUUID()).replaceAll("-", "").slice(0, 40);
    const secret = `s3cr3t-${crypto.randomUUID()}`;
    const [devPort, livePort] = [freePort(), freePort()];
    const dir = tempProject({
      "Dockerfile": DOCKERFILE,
      "stages/dev.yaml": stageYaml(tb, name, devPort),
      "stages/live.yaml": stageYaml(tb, name, livePort),
    });
    const env = {
      PATH: `${tb.sshBin}:${Deno.env.get("PATH")}`,
      DOCKER_HOST: "",
      FLEET_E2E_TOKEN: secret,
    };
    const run = (args: string[], extra: Record<string, string> = {}) =>
      fleet(args, { cwd: dir, env: { ...env, ...extra } });
    const devRepo = `${tb.registry}/${name}-web-dev`;
    const liveRepo = `${tb.registry}/${name}-web-live`;
    try {
      // build dev: each service's log is one group; summary and outputs name the digest
      const b = actions(dir, sha);
      const built = await run(fleetArgs(WORKFLOW.dev[0], b.env), b.env);
      ok(built);
      const lines = built.stderr.split("\n");
      const at = lines.indexOf("::group::build web");
      assert.ok(at >= 0, built.stderr);
      const end = lines.indexOf("::endgroup::", at);
      assert.ok(end > at + 1 && lines.slice(at + 1, end).every((l) => l.startsWith("web | ")));
      const images = JSON.parse(b.outputs().images);
      const digest = images.web.split("@")[1];
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(b.outputs(), {
        result: "ok",
        images: JSON.stringify({ web: `${devRepo}:latest@${digest}` }),
      });
      assert.match(
        b.summary(),
        new RegExp(
          `\\| web \\| \`${devRepo}:latest\`<br>\`${devRepo}:sha-${sha}\` \\| \`${digest}\` \\| `,
        ),
      );
      for (const tag of ["latest", `sha-${sha}`]) {
        assert.equal((await manifest(tb.registry, `${name}-web-dev`, tag)).digest, digest, tag);
      }

      // deploy dev --tag sha-…: the mask before any step, a group per step, summary, outputs
      const d = actions(dir, sha);
      const deployed = await run(fleetArgs(WORKFLOW.dev[1], d.env), d.env);
      ok(deployed);
      const dl = deployed.stderr.split("\n");
      const mask = dl.indexOf(`::add-mask::${secret}`);
      assert.ok(mask >= 0, deployed.stderr);
      assert.ok(mask < dl.findIndex((l) => l.startsWith("::group::")), "masked before any step");
      const all = deployed.stdout + deployed.stderr.replace(`::add-mask::${secret}`, "");
      assert.ok(!all.includes(secret), "the secret is in no other line");
      // a group per docker process; the record is written over the local engine's API (no process)
      assert.deepEqual(groups(deployed.stderr), ["pull", "stop", "rm", "up"]);
      assert.equal(dl.filter((l) => l === "::endgroup::").length, 4);
      const out = d.outputs();
      assert.match(out.release, /^r\d{8}T\d{6}Z-[0-9a-z]{4}$/);
      assert.deepEqual(
        [out.result, out.images],
        ["ok", JSON.stringify({ web: `${devRepo}:sha-${sha}@${digest}` })],
      );
      assert.match(d.summary(), /^### fleet deploy dev: ok\n/);
      assert.match(
        d.summary(),
        new RegExp(
          `\\| dev \\| \`${tb.engine2}\` \\| \`${out.release}\` \\| \\*\\*ok\\*\\* \\| [\\d.]+ s \\|`,
        ),
      );
      assert.match(
        d.summary(),
        new RegExp(
          `\\| web \\| \`${devRepo}:sha-${sha}\` \\| \\(new\\) \\| \`${
            digest.slice(0, 19)
          }\` \\| redeployed \\|`,
        ),
      );
      assert.equal(await get(devPort), "v1");

      // deploy --json: the document SPEC §9 promises, with the digest deployed
      const j = doc(await run(["deploy", "dev", "--yes", "--tag", `sha-${sha}`, "--json"]));
      assert.deepEqual(
        [j.command, j.stage, j.result, (j.services as { name: string }[]).length],
        ["deploy", "dev", "ok", 1],
      );
      assert.match(String(j.release), /^r\d{8}T/);
      const [svc] = j.services as Record<string, unknown>[];
      assert.deepEqual([svc.name, svc.image, svc.digest], ["web", `${devRepo}:sha-${sha}`, digest]);
      assert.deepEqual(svc.before, { id: svc.id, digest });
      const h = doc(await run(["history", "dev", "--json"]));
      const newest = (h.releases as { services: Record<string, { digest: string }> }[])[0];
      assert.equal(newest.services.web.digest, digest, "history holds the digest deployed");

      // promote dev → live: no build, no pull; live's tag is dev's manifest
      const shim = dockerShim();
      const p = actions(dir, sha);
      const promoted = await run(fleetArgs(WORKFLOW.live[0], p.env), {
        ...p.env,
        ...shim.env,
        PATH: `${shim.bin}:${env.PATH}`,
      });
      ok(promoted);
      assert.deepEqual(
        shim.calls().filter((c) => !c.startsWith("buildx imagetools ")),
        [],
        "only imagetools: no build, no pull, no push",
      );
      const live = await manifest(tb.registry, `${name}-web-live`, `sha-${sha}`);
      assert.deepEqual(p.outputs(), {
        result: "ok",
        images: JSON.stringify({ web: `${liveRepo}:sha-${sha}@${live.digest}` }),
      });
      if (live.digest !== digest) {
        // buildx < 0.15 wraps a single manifest in a one-entry list: the very manifest inside
        assert.deepEqual(live.manifests.map((m) => m.digest), [digest]);
        assert.match(
          promoted.stderr,
          /^::warning::web: this buildx wraps a single-platform manifest/m,
        );
      }

      // deploy live --tag sha-…: the same image as dev runs
      const l = actions(dir, sha);
      ok(await run(fleetArgs(WORKFLOW.live[1], l.env), l.env));
      assert.equal(await get(livePort), "v1");
      assert.equal(await runningImage(tb, name, "live"), await runningImage(tb, name, "dev"));

      // a failed health check: ::error, result=rolled-back, the rollback in summary and JSON
      Deno.writeTextFileSync(join(dir, "stages/dev.yaml"), stageYaml(tb, name, devPort, FAILING));
      const f = actions(dir, sha);
      const failed = await run(
        ["deploy", "dev", "--yes", "--tag", `sha-${sha}`, "--timeout", "60", "--json"],
        f.env,
      );
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(
        failed.stderr,
        /^::error title=fleet deploy dev failed::deploy of dev failed and was rolled back: service web did not become ready/m,
      );
      assert.equal(f.outputs().result, "rolled-back");
      assert.match(f.summary(), /Automatic rollback: \*\*ok\*\*/);
      const fj = doc(failed);
      assert.equal(fj.result, "rolled-back");
      assert.equal((fj.rollback as { result: string }).result, "ok");
      assert.equal((fj.error as { exitCode: number }).exitCode, 1);
      assert.equal(await get(devPort), "v1", "the previous release serves again");

      // a typo in a stage file: ::error on its file, line and column; nothing ran
      Deno.writeTextFileSync(
        join(dir, "stages/dev.yaml"),
        stageYaml(tb, name, devPort).replace("    ports:", "    prots:"),
      );
      const t = actions(join(dir, ".."), sha);
      const typo = await run(["deploy", "dev", "--yes"], t.env);
      assert.equal(typo.code, 2);
      assert.match(
        typo.stderr,
        new RegExp(
          `^::error file=${dir.split("/").at(-1)}/stages/dev\\.yaml,line=7,col=5,title=`,
          "m",
        ),
      );
    } finally {
      await cleanup(tb, name, ["dev", "live"]);
    }
  },
);

e2e(
  "promote dev pre: a multi-platform list stays whole, the same digest, no build; deploy pre runs it",
  async (tb) => {
    const context = join(tb.dir, "multiarch");
    try {
      Deno.statSync(join(context, "busybox-arm64.tar"));
    } catch {
      console.error(`skipped (no ${context}/busybox-arm64.tar in the test bed)`);
      return;
    }
    const name = uniqueName("ghp");
    const port = freePort();
    const stage = (s: string) =>
      `project: ${name}\nregistry: ${tb.registry}\nhost: ${tb.engine2}\nservices:\n  web:\n` +
      `    build: {}\n    ports: ["127.0.0.1:${port}:8080"]\n` +
      `    command: ["sh", "-c", "trap 'exit 0' TERM; echo ${s} > /tmp/index.html; httpd -f -p 8080 -h /tmp & wait"]\n`;
    const dir = tempProject({ "stages/dev.yaml": stage("dev"), "stages/pre.yaml": stage("pre") });
    const repo = `${tb.registry}/${name}-web-dev`;
    try {
      // dev's image: a list of linux/amd64 and linux/arm64 (FROM scratch: no emulation needed)
      const digests: string[] = [];
      for (const arch of ["amd64", "arm64"]) {
        await docker(tb.engine1, [
          "buildx",
          "build",
          "-q",
          "--platform",
          `linux/${arch}`,
          "-t",
          `${repo}:${arch}`,
          "--push",
          context,
        ]);
        digests.push((await manifest(tb.registry, `${name}-web-dev`, arch)).digest);
      }
      await docker(tb.engine1, [
        "buildx",
        "imagetools",
        "create",
        "-t",
        `${repo}:latest`,
        ...digests.map((d) => `${repo}@${d}`),
      ]);
      const source = await manifest(tb.registry, `${name}-web-dev`, "latest");
      assert.equal(source.manifests.length, 2);

      const shim = dockerShim();
      const r = await fleet(["promote", "dev", "pre", "--json"], {
        cwd: dir,
        env: { ...shim.env },
      });
      ok(r);
      assert.ok(
        !shim.calls().some((c) => /(^|\s)(build|push|pull)(\s|$)/.test(c)),
        shim.calls().join("\n"),
      );
      const copy = await manifest(tb.registry, `${name}-web-pre`, "latest");
      assert.equal(copy.digest, source.digest, "the very same list");
      assert.deepEqual(copy.manifests.map((m) => m.digest), digests);
      const j = doc(r);
      assert.deepEqual(j.services, [{
        name: "web",
        image: `${tb.registry}/${name}-web-pre:latest`,
        digest: source.digest,
        source: `${repo}:latest`,
        sourceDigest: source.digest,
        identical: true,
      }]);

      const d = await fleet(["deploy", "pre", "--yes", "--json"], {
        cwd: dir,
        env: { DOCKER_HOST: "" },
      });
      ok(d);
      assert.equal((doc(d).services as { digest: string }[])[0].digest, source.digest);
      assert.equal(await get(port), "pre");
    } finally {
      await cleanup(tb, name, ["pre"]);
    }
  },
);
