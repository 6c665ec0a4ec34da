/**
 * Issue 16: every docker command fleet answers over the local engine's API (lib/docker/
 * engine_api.ts) gives what the docker CLI gives for it, on Engine 20.10 and 26: the same lines
 * (read the way fleet reads them), the same exit code, the same "No such …" / "Conflict" errors.
 */
import assert from "node:assert/strict";
import { createRunner, type Runner, type RunResult, type Step } from "../../lib/core/run.ts";
import { planOf, withEngineApi } from "../../lib/docker/engine_api.ts";
import { docker, uniqueName } from "./harness.ts";
import { ensureBusybox, matrix } from "./engines.ts";

const env = Deno.env.toObject();
const cli = createRunner({ env: { ...env, FLEET_ENGINE_API: "0" }, cwd: Deno.cwd() });
const refuse: Runner = {
  run: (s) => Promise.reject(new Error(`ran a process for ${s.argv.join(" ")}`)),
};
const api = withEngineApi(refuse, env);

/** Lines as fleet reads them: JSON lines parsed (key order, Go's escaping aside), sorted. */
function read(stdout: string): unknown[] {
  return stdout.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    try {
      const j = JSON.parse(l);
      if (j && typeof j === "object" && "Labels" in j && typeof j.Labels === "string") {
        // ps: fleet reads ID, Names, Image, State and the labels (in any order)
        const { ID, Names, Image, State, Labels } = j;
        return { ID, Names, Image, State, Labels: String(Labels).split(",").sort() };
      }
      return j;
    } catch {
      return l;
    }
  }).map((x) => JSON.stringify(x)).sort();
}

async function same(host: string, args: string[], what: string): Promise<RunResult> {
  assert.ok(planOf(args), `${what}: a shape the API answers`);
  const step: Step = {
    kind: "query",
    title: what,
    argv: ["docker", ...args],
    env: { DOCKER_HOST: host },
  };
  const [viaCli, viaApi] = [
    await cli.run(step, { check: false }),
    await api.run(step, { check: false }),
  ];
  assert.equal(
    viaApi.code === 0,
    viaCli.code === 0,
    `${what}: exit codes ${viaCli.code} ${viaApi.code}\n${viaCli.stderr}\n${viaApi.stderr}`,
  );
  if (viaCli.code === 0) assert.deepEqual(read(viaApi.stdout), read(viaCli.stdout), what);
  for (const kind of [/no such/i, /conflict|already in use/i]) {
    assert.equal(
      kind.test(viaApi.stderr),
      kind.test(viaCli.stderr),
      `${what}: ${viaCli.stderr} | ${viaApi.stderr}`,
    );
  }
  return viaApi;
}

/** A write (create, rm, tag, …) through the API alone: a process would fail the test. */
function write(host: string, args: string[]): Promise<RunResult> {
  const step: Step = {
    kind: "query",
    title: args[0],
    argv: ["docker", ...args],
    env: { DOCKER_HOST: host },
  };
  return api.run(step, { check: false });
}

matrix("the engine API answers as the docker CLI does", async (tb) => {
  const host = tb.engine.host;
  await ensureBusybox(tb, host);
  const n = uniqueName("fea");
  const image = `fleet-api-${n}:one`;
  const repo = `fleet-api-${n}`;
  const project = `${n}-api`;
  const label = `dev.fleet.release.project=${project}`;
  const volumes = [`fleet-release-${n}-a`, `fleet-release-${n}-b`];
  const lock = `fleet-lock-${n}`;
  const lockLabels = [
    "inspect",
    "--type",
    "container",
    "--format",
    "{{json .Config.Labels}}",
    lock,
  ];
  const psLock = [
    "ps",
    "--all",
    "--no-trunc",
    "--filter",
    `label=dev.fleet.lock.project=${project}`,
    "--format",
    "{{json .}}",
  ];
  const tags = ["image", "ls", "--format", "{{.Tag}}", repo];
  await docker(host, ["tag", "busybox:latest", image]);
  try {
    await same(host, ["version", "--format", "{{.Server.Os}}/{{.Server.Arch}}"], "version");
    for (const f of ["{{.Id}} {{json .RepoDigests}}", "{{.Os}}/{{.Architecture}}/{{.Variant}}"]) {
      await same(host, ["image", "inspect", "--format", f, image], `image inspect ${f}`);
      const miss = await same(
        host,
        ["image", "inspect", "--format", f, image, `${image}x`],
        "one missing",
      );
      assert.equal(miss.code, 1);
    }
    // the lock: create, conflict, read, remove, read again
    const create = [
      "create",
      "--name",
      lock,
      "--label",
      `dev.fleet.lock.project=${project}`,
      "--label",
      "dev.fleet.lock.holder=a b=c",
      "--network",
      "none",
      "--entrypoint",
      "/fleet-lock-never-started",
      image,
    ];
    const made = await write(host, create);
    assert.equal(made.code, 0, made.stderr);
    assert.equal((await same(host, create, "create again: conflict")).code, 1);
    const labels = await same(host, lockLabels, "lock labels");
    assert.equal(JSON.parse(labels.stdout)["dev.fleet.lock.holder"], "a b=c");
    await same(host, psLock, "ps");
    const gone = await write(host, ["rm", "--force", lock]);
    assert.deepEqual([gone.code, gone.stdout], [0, `${lock}\n`], gone.stderr);
    // the CLI says "No such container" and exits 0: --force asks for it gone, and it is
    const again = await same(host, ["rm", "--force", lock], "rm --force, missing");
    assert.equal(again.code, 0, again.stderr);
    await same(host, lockLabels, "no lock");
    await same(host, psLock, "ps, none");
    // release records: volumes with labels, listed and read
    for (const v of volumes) {
      const r = await write(host, [
        "volume",
        "create",
        "--label",
        label,
        "--label",
        `dev.fleet.release.id=${v}`,
        "--label",
        "dev.fleet.release.note=<a & b>",
        v,
      ]);
      assert.equal(r.stdout.trim(), v);
    }
    const ls = await same(host, ["volume", "ls", "-q", "--filter", `label=${label}`], "volume ls");
    assert.deepEqual(ls.stdout.trim().split("\n"), volumes);
    await same(
      host,
      ["volume", "inspect", "--format", "{{json .Labels}}", ...volumes],
      "volume inspect",
    );
    // kept images: tag, list the repository's tags, drop one
    assert.equal((await write(host, ["tag", image, `${repo}:fleet-r1`])).code, 0);
    await same(host, tags, "image ls");
    const rmi = await write(host, ["rmi", `${repo}:fleet-r1`]);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.deepEqual(read((await same(host, tags, "image ls after rmi")).stdout), ['"one"']);
  } finally {
    await docker(host, ["rm", "--force", lock]).catch(() => "");
    await docker(host, ["volume", "rm", "--force", ...volumes]).catch(() => "");
    await docker(host, ["rmi", image, `${repo}:fleet-r1`]).catch(() => "");
  }
});
