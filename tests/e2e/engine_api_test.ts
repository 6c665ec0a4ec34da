/**
 * Issue 27: the two engine clients (lib/docker/engine_client.ts) give the same answers on
 * Engine 20.10 and 26 — the docker CLI's (engine_cli.ts, a process for each) and the engine API's
 * over the socket (engine_api.ts, whose CLI fallback here refuses to run, so every answer below is
 * the API's). Writes go both ways (one object made by each, read and removed by the other).
 */
import assert from "node:assert/strict";
import { createRunner, type Runner } from "../../lib/core/run.ts";
import { apiClient } from "../../lib/docker/engine_api.ts";
import { closeEngineClients } from "../../lib/docker/engine_socket.ts";
import { cliClient } from "../../lib/docker/engine_cli.ts";
import type { EngineClient } from "../../lib/docker/engine_client.ts";
import type { Target } from "../../lib/docker/target.ts";
import { docker, uniqueName } from "./harness.ts";
import { ensureBusybox, matrix } from "./engines.ts";

const env = Deno.env.toObject();
const refuse: Runner = {
  run: (s) => Promise.reject(new Error(`ran a process for ${s.argv.join(" ")}`)),
};

/** The CLI client and the API client of one engine (DOCKER_HOST `unix://…`). */
function clients(host: string): { cli: EngineClient; api: EngineClient } {
  const target: Target = { env: { DOCKER_HOST: host }, dockerArgv: ["docker"], label: host };
  const runner = createRunner({ env: { ...env, FLEET_ENGINE_API: "0" }, cwd: Deno.cwd() });
  const cli = cliClient(runner, target);
  const api = apiClient(host.slice("unix://".length), {
    target,
    cli: cliClient(refuse, target),
    env: {},
  });
  return { cli, api };
}

/** Ask both; their answers must be equal (deepEqual); returns the API's. */
async function same<T>(
  c: { cli: EngineClient; api: EngineClient },
  what: string,
  ask: (e: EngineClient) => Promise<T>,
): Promise<T> {
  const viaCli = await ask(c.cli);
  const viaApi = await ask(c.api);
  assert.deepEqual(viaApi, viaCli, what);
  return viaApi;
}

/** Both throw (a missing volume, a tag of no image). */
async function bothThrow(
  c: { cli: EngineClient; api: EngineClient },
  what: string,
  ask: (e: EngineClient) => Promise<unknown>,
) {
  await assert.rejects(ask(c.cli), Error, `${what}: the CLI`);
  await assert.rejects(ask(c.api), Error, `${what}: the API`);
}

matrix("the engine API client answers as the docker CLI client does", async (tb) => {
  const host = tb.engine.host;
  await ensureBusybox(tb, host);
  const c = clients(host);
  const n = uniqueName("fea");
  const repo = `fleet-api-${n}`;
  const image = `${repo}:one`;
  const project = `${n}-api`;
  const locks = [`fleet-lock-${n}-a`, `fleet-lock-${n}-b`];
  const volumes = [`fleet-release-${n}-a`, `fleet-release-${n}-b`];
  const asides = [`fleet-model-${n}-a`, `fleet-model-${n}-b`];
  const running = `fleet-run-${n}`;
  await docker(host, ["tag", "busybox:latest", image]);
  try {
    const platform = await same(c, "hostPlatform", (e) => e.hostPlatform());
    assert.match(platform ?? "", /^linux\/\w+$/);
    const images = await same(c, "images", (e) => e.images([image, `${image}x`, image]));
    assert.match(images.get(image)?.id ?? "", /^sha256:/);
    assert.equal(images.get(`${image}x`), undefined);
    const id = images.get(image)!.id;
    assert.deepEqual(
      await same(c, "images by ID", (e) => e.images([id])),
      new Map([[id, images.get(image)]]),
    );
    const platforms = await same(c, "imagePlatforms", (e) => e.imagePlatforms([image, id]));
    assert.equal(platforms?.length, 2);
    assert.equal(
      await same(c, "imagePlatforms, one missing", (e) => e.imagePlatforms([image, `${image}x`])),
      undefined,
    );

    // the lock: one made by each client; a second create is refused (a conflict) by both
    const labels = (who: string) => ({
      "dev.fleet.lock.project": project,
      "dev.fleet.lock.holder": `${who} a=b c`,
    });
    const made = [
      await c.api.createHolder(locks[0], labels("api"), image, "/fleet-lock-never-started"),
      await c.cli.createHolder(locks[1], labels("cli"), image, "/fleet-lock-never-started"),
    ];
    for (const m of made) assert.ok("id" in m && /^[0-9a-f]{64}$/.test(m.id), JSON.stringify(m));
    for (const e of [c.cli, c.api]) {
      const again = await e.createHolder(locks[0], labels("x"), image, "/fleet-lock-never-started");
      assert.ok(
        "refused" in again && /conflict|already in use/i.test(again.refused),
        JSON.stringify(again),
      );
    }
    const held = await same(
      c,
      "containerLabels",
      (e) => e.containerLabels([...locks, `${locks[0]}x`]),
    );
    assert.deepEqual([...held.keys()].sort(), locks);
    assert.equal(held.get(locks[0])?.["dev.fleet.lock.holder"], "api a=b c");
    // one container by name: a never-started one, a running one with a sysctl, none
    assert.deepEqual(await same(c, "container", (e) => e.container(locks[0])), {
      state: "created",
      image,
      sysctls: {},
    });
    await docker(host, [
      "run",
      "--detach",
      "--name",
      running,
      "--sysctl",
      "net.ipv4.tcp_migrate_req=1",
      image,
      "sleep",
      "600",
    ]);
    assert.deepEqual(await same(c, "container, running", (e) => e.container(running)), {
      state: "running",
      image,
      sysctls: { "net.ipv4.tcp_migrate_req": "1" },
    });
    assert.equal(await same(c, "container, none", (e) => e.container(`${running}x`)), undefined);
    const byLabel = (e: EngineClient) =>
      e.containers(`dev.fleet.lock.project=${project}`).then((cs) =>
        cs.sort((a, b) => a.name.localeCompare(b.name))
      );
    const listed = await same(c, "containers", byLabel);
    assert.deepEqual(listed.map((x) => [x.name, x.id, x.state, x.imageRef]), [
      [locks[0], "id" in made[0] ? made[0].id : "", "created", image],
      [locks[1], "id" in made[1] ? made[1].id : "", "created", image],
    ]);
    // removed the other way round: what the API made by the CLI, and the other way
    await c.cli.remove([locks[0]]);
    await c.api.remove([locks[1]]);
    assert.deepEqual(
      await same(c, "containerLabels, gone", (e) => e.containerLabels(locks)),
      new Map(),
    );
    assert.deepEqual(await same(c, "containers, none", byLabel), []);
    // --force of a container that is gone: fine both ways (the CLI exits 0)
    await same(c, "remove, missing", (e) => e.remove([locks[0]]));

    // a model kept aside: labels far too long for argv (the CLI's go on stdin), made by each
    const chunk = (i: number) => String(i).repeat(60_000);
    const big = Object.fromEntries(
      [0, 1, 2].map((i) => [`dev.fleet.release.model.gz.${i}`, chunk(i)]),
    );
    const after = { afterInterrupt: true };
    for (const [i, e] of [c.api, c.cli].entries()) {
      const m = await e.createHolder(
        asides[i],
        { ...big, "dev.fleet.release.model-of": project },
        id,
        "/fleet-never-started",
        after,
      );
      assert.ok("id" in m, JSON.stringify(m));
    }
    const kept = await same(c, "containerLabels, large", (e) => e.containerLabels(asides));
    assert.deepEqual([...kept.values()].map((l) => l["dev.fleet.release.model.gz.2"]), [
      chunk(2),
      chunk(2),
    ]);
    await same(c, "remove, both", (e) => e.remove(asides));

    // release records: volumes with labels, one made by each
    const label = `dev.fleet.release.project=${project}`;
    const record = (v: string) => ({
      "dev.fleet.release.project": project,
      "dev.fleet.release.id": v,
      "dev.fleet.release.note": "<a & b> = c\u00e9",
    });
    await c.api.createVolume(volumes[0], record(volumes[0]));
    await c.cli.createVolume(volumes[1], record(volumes[1]));
    assert.deepEqual(await same(c, "volumes", (e) => e.volumes(label)), volumes);
    const read = await same(c, "volumeLabels", (e) => e.volumeLabels(volumes));
    assert.deepEqual(read, volumes.map(record));
    await bothThrow(
      c,
      "volumeLabels, one missing",
      (e) => e.volumeLabels([volumes[0], `${volumes[0]}x`]),
    );
    await c.cli.removeVolumes([volumes[0]]);
    await c.api.removeVolumes([volumes[1]]);
    assert.deepEqual(await same(c, "volumes, none", (e) => e.volumes(label)), []);
    await same(c, "removeVolumes, missing", (e) => e.removeVolumes(volumes));

    // kept images: a tag by each, listed, dropped by the other
    await c.api.tag(id, `${repo}:fleet-r1`);
    await c.cli.tag(image, `${repo}:fleet-r2`);
    assert.deepEqual(await same(c, "tags", (e) => e.tags(repo)), ["fleet-r1", "fleet-r2", "one"]);
    await bothThrow(c, "tag of no image", (e) => e.tag(`${image}x`, `${repo}:fleet-r3`));
    await c.cli.untag([`${repo}:fleet-r1`]);
    await c.api.untag([`${repo}:fleet-r2`]);
    assert.deepEqual(await same(c, "tags after untag", (e) => e.tags(repo)), ["one"]);
    assert.deepEqual(await same(c, "tags, no such repository", (e) => e.tags(`${repo}x`)), []);
  } finally {
    closeEngineClients();
    await docker(host, ["rm", "--force", ...locks, ...asides, running]).catch(() => "");
    await docker(host, ["volume", "rm", "--force", ...volumes]).catch(() => "");
    await docker(host, ["rmi", image, `${repo}:fleet-r1`, `${repo}:fleet-r2`]).catch(() => "");
  }
});
