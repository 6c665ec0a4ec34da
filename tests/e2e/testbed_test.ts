/**
 * Smoke tests of the test bed's optional parts (tests/e2e/testbed.sh): the 3-node Swarm, Docker
 * Engine 26 with the containerd image store, arm64 emulation. A part that is unavailable is
 * skipped with its reason (a failure with FLEET_E2E=required, unless it was turned off).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, part, uniqueName } from "./harness.ts";
import { poll } from "../../testbed/poll.ts";

const INDEX = "application/vnd.oci.image.index.v1+json";
const LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

/** Delete a tag's manifest from a registry (by digest, as the registry API wants). */
async function deleteManifest(registry: string, repo: string, tag: string): Promise<void> {
  const accept = [INDEX, LIST, "application/vnd.oci.image.manifest.v1+json"];
  accept.push("application/vnd.docker.distribution.manifest.v2+json");
  const head = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: accept.join(", ") },
  });
  const digest = head.headers.get("Docker-Content-Digest");
  if (head.ok && digest) {
    await (await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: "DELETE" }))
      .body?.cancel();
  }
}

e2e("test bed: the swarm has 3 ready nodes", async (tb) => {
  if (!part(tb, "swarm")) return;
  const nodes = (await docker(tb.swarmManager!, [
    "node",
    "ls",
    "--format",
    "{{.Hostname}} {{.Status}} {{.Availability}}",
  ])).trim().split("\n");
  assert.equal(nodes.length, 3, nodes.join("\n"));
  for (const n of nodes) assert.match(n, / Ready Active$/);
  assert.equal(tb.swarmNodes?.length, 3);
  assert.equal(tb.swarmHosts?.length, 3);
  for (const host of tb.swarmHosts!) {
    assert.equal(
      (await docker(host, ["info", "-f", "{{.Swarm.LocalNodeState}}"])).trim(),
      "active",
    );
  }
});

e2e("test bed: swarm service: host-mode ports, dnsrr, overlay network", async (tb) => {
  if (!part(tb, "swarm")) return;
  const mgr = tb.swarmManager!;
  const name = uniqueName("fleettb");
  const net = `${name}-net`;
  const port = 20000 + Math.floor(Math.random() * 10000);
  const urls = tb.swarmNodes!.map((ip) => `http://${ip}:${port}/`);
  // the loopback name of the bed's registry answers inside every node too
  const image = `${tb.swarmRegistryLocal}/testbed/busybox:latest`;
  try {
    await docker(mgr, ["network", "create", "-d", "overlay", "--attachable", net]);
    await docker(mgr, [
      "service",
      "create",
      "--detach",
      "--quiet",
      "--name",
      name,
      "--network",
      net,
      "--replicas",
      "2",
      "--endpoint-mode",
      "dnsrr",
      "--publish",
      `mode=host,target=8080,published=${port}`,
      "--stop-grace-period",
      "1s",
      image,
      "sh",
      "-c",
      "hostname > /tmp/index.html; exec httpd -f -p 8080 -h /tmp",
    ]);
    // until both replicas answer (bounded)
    let answering = 0;
    for (let i = 0; i < 120 && answering < 2; i++) {
      const r = await poll({ urls, durationMs: 500, intervalMs: 50 });
      answering = r.perUrl.filter((u) => u.answers > 0).length;
    }
    assert.equal(answering, 2, "2 replicas on 3 nodes: 2 node IPs answer");
    const r = await poll({ urls, durationMs: 1000 });
    assert.equal(r.failures, 0, JSON.stringify(r));
    assert.equal(r.perUrl.filter((u) => u.answers > 0).length, 2, JSON.stringify(r.perUrl));
    // from the node without a replica, the service by name over the overlay network (vxlan)
    const idle = tb.swarmHosts![r.perUrl.findIndex((u) => u.answers === 0)];
    // (busybox 1.35's `wget -T` crashes: bounded by `timeout` instead)
    const body = await docker(idle, [
      "run",
      "--rm",
      "--network",
      net,
      image,
      "busybox",
      "timeout",
      "20",
      "wget",
      "-qO-",
      `http://${name}:8080/`,
    ]);
    assert.ok(r.bodies.includes(body.trim()), `${body} not in ${r.bodies}`);
  } finally {
    await docker(mgr, ["service", "rm", name]).catch(() => {});
    // the network goes once the tasks are gone
    for (let i = 0; i < 50; i++) {
      if (await docker(mgr, ["network", "rm", net]).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});

e2e("test bed: engine 26 runs the containerd image store", async (tb) => {
  if (!part(tb, "engine26")) return;
  const version = (await docker(tb.engine26!, ["version", "-f", "{{.Server.Version}}"])).trim();
  assert.match(version, /^26\./);
  assert.equal((await docker(tb.engine26!, ["info", "-f", "{{.Driver}}"])).trim(), "overlayfs");
  const status = await docker(tb.engine26!, ["info", "-f", "{{json .DriverStatus}}"]);
  assert.match(status, /io\.containerd\.snapshotter\.v1/);
});

e2e("test bed: engine 26 pushes an image that the root namespace reads", async (tb) => {
  if (!part(tb, "engine26")) return;
  const repo = `fleet-testbed/${uniqueName("push")}`;
  const ref = `${tb.engine26Registry}/${repo}:1`;
  const ctx = Deno.makeTempDirSync({ prefix: "fleet-tb-" });
  // two platforms from the busybox tars when the bed has them (ADD needs no emulation), else one
  const multi = tb.multiarchDir !== undefined;
  const platforms = multi ? ["linux/amd64", "linux/arm64"] : ["linux/amd64"];
  if (multi) {
    for (const a of ["amd64", "arm64"]) {
      Deno.copyFileSync(join(tb.multiarchDir!, `busybox-${a}.tar`), join(ctx, `busybox-${a}.tar`));
    }
  }
  Deno.writeTextFileSync(join(ctx, "id"), `${repo}\n`);
  Deno.writeTextFileSync(
    join(ctx, "Dockerfile"),
    multi
      ? "FROM scratch\nARG TARGETARCH\nADD busybox-${TARGETARCH}.tar /\nCOPY id /id\n"
      : "FROM scratch\nCOPY id /id\n",
  );
  try {
    await docker(tb.engine26!, [
      "buildx",
      "build",
      "--builder",
      "default",
      "--platform",
      platforms.join(","),
      "--provenance=false",
      "--push",
      "-t",
      ref,
      ctx,
    ]);
    const raw = JSON.parse(
      await docker(tb.engine1, ["buildx", "imagetools", "inspect", "--raw", ref]),
    );
    if (multi) {
      assert.ok([INDEX, LIST].includes(raw.mediaType), raw.mediaType);
      const got = raw.manifests.map((m: { platform: { os: string; architecture: string } }) =>
        `${m.platform.os}/${m.platform.architecture}`
      ).sort();
      assert.deepEqual(got, platforms);
    } else {
      assert.ok(raw.config?.digest, JSON.stringify(raw));
    }
  } finally {
    Deno.removeSync(ctx, { recursive: true });
    await deleteManifest(tb.engine26Registry!, repo, "1").catch(() => {});
    await docker(tb.engine26!, ["rmi", "-f", ref]).catch(() => {});
  }
});

e2e("test bed: an arm64 container runs on engine 1 (uname -m)", async (tb) => {
  if (!tb.multiarchDir) {
    part(tb, "arm64"); // prints why, or throws with FLEET_E2E=required
    return;
  }
  const tag = `${uniqueName("fleet-tb-arm64")}:1`;
  try {
    // FROM scratch + ADD: building needs no emulation, running does
    await docker(tb.engine1, [
      "buildx",
      "build",
      "--builder",
      "default",
      "--platform",
      "linux/arm64",
      "-t",
      tag,
      tb.multiarchDir,
    ]);
    assert.equal(
      (await docker(tb.engine1, ["image", "inspect", "-f", "{{.Architecture}}", tag])).trim(),
      "arm64",
    );
    if (!part(tb, "arm64")) return;
    const arch = await docker(tb.engine1, [
      "run",
      "--rm",
      "--platform",
      "linux/arm64",
      tag,
      "uname",
      "-m",
    ]);
    assert.equal(arch.trim(), "aarch64");
  } finally {
    await docker(tb.engine1, ["rmi", "-f", tag]).catch(() => {});
  }
});
