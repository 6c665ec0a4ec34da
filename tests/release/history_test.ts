import assert from "node:assert/strict";
import {
  keepTag,
  parseRelease,
  type Release,
  releaseId,
  releaseLabels,
} from "../../lib/release/history.ts";
import { recordingRunner } from "../helpers.ts";

Deno.test("release ids sort by time", () => {
  const a = releaseId(new Date("2026-01-02T03:04:05.678Z"), 0);
  const b = releaseId(new Date("2026-01-02T03:04:06Z"), 0.99);
  assert.equal(a, "r20260102T030405Z-0000");
  assert.ok(a < b);
});

Deno.test("keep tags stay in the image's repository", () => {
  assert.equal(
    keepTag("127.0.0.1:5000/app-web-dev:latest", "r1"),
    "127.0.0.1:5000/app-web-dev:fleet-r1",
  );
  assert.equal(keepTag("postgres:16", "r1"), "postgres:fleet-r1");
  assert.equal(keepTag("nginx", "r1"), "nginx:fleet-r1");
});

Deno.test("a release round-trips through labels", async () => {
  const r: Release = {
    id: "r1",
    project: "app-dev",
    time: "2026-01-02T03:04:05.000Z",
    who: "Ann",
    commit: "abc",
    kind: "deploy",
    result: "ok",
    services: { web: { ref: "x:latest", id: "sha256:1" } },
    note: "first",
    model: "name: app-dev\nservices:\n  web:\n    image: x:latest\n    environment: { T: ${T} }\n",
  };
  const labels = await releaseLabels(r);
  assert.deepEqual(await parseRelease(labels), r);
  assert.equal(await parseRelease({ "other.label": "x" }), undefined);
});

Deno.test("only the newest kept release tags stay", async () => {
  const { staleTags } = await import("../../lib/release/kept_images.ts");
  const tags = [
    "latest",
    "fleet-prev-app-dev-web",
    "fleet-r20260101T000000Z-aaaa",
    "fleet-r20260103T000000Z-cccc",
    "fleet-r20260102T000000Z-bbbb",
  ];
  assert.deepEqual(staleTags(tags, 2), ["fleet-r20260101T000000Z-aaaa"]);
  assert.deepEqual(staleTags(tags), []);
});

Deno.test("a 1 MiB model is kept aside: stdin lines under 64 KiB, a short argv, read back whole", async () => {
  const { asideLabels, fitsInline, modelOf } = await import("../../lib/release/model_labels.ts");
  const { cliClient } = await import("../../lib/docker/engine_cli.ts");
  // a large env value that does not compress well (a certificate bundle, say)
  let big = "";
  for (let i = 0; big.length < 1024 * 1024; i++) big += ((i * 2654435761) >>> 0).toString(36);
  const model = `name: x\nservices:\n  web:\n    environment:\n      CERTS: "${big}"\n`;
  assert.equal(await fitsInline(model), false);
  assert.equal(await fitsInline("name: small\n"), true);
  const target = { env: {}, dockerArgv: ["docker"], label: "local engine" };
  const runner = recordingRunner(() => ({ stdout: "c0ffee\n" }));
  const made = await cliClient(runner, target).createHolder(
    "fleet-model-a-r1",
    await asideLabels("a", model),
    "sha256:img",
    "/fleet-never-started",
  );
  assert.deepEqual(made, { id: "c0ffee" });
  const step = runner.steps[0];
  assert.ok(step.argv.join(" ").length < 300, "argv stays short");
  assert.ok(step.argv.includes("--label-file") && step.argv.includes("/dev/stdin"));
  const lines = step.input!.split("\n").filter(Boolean);
  assert.ok(lines.every((l) => l.length < 64 * 1024), "each label-file line under 64 KiB");
  const labels = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  assert.equal(await modelOf(labels), model);
});

Deno.test("records are parsed strictly: what does not parse is unreadable, with the reason", async () => {
  const base = {
    "dev.fleet.release.id": "r1",
    "dev.fleet.release.project": "a-dev",
    "dev.fleet.release.result": "ok",
  };
  const bad = async (over: Record<string, string>) =>
    (await parseRelease({ ...base, ...over })) as { problem?: string };
  const svc = "dev.fleet.release.services";
  assert.equal((await bad({ [svc]: "null" })).problem, "services: not an object (null)");
  assert.equal((await bad({ [svc]: "[1]" })).problem, "services: not an object ([1])");
  assert.equal((await bad({ [svc]: "{" })).problem, "services: not JSON");
  assert.equal((await bad({})).problem, "services: missing");
  assert.equal(
    (await bad({ [svc]: '{"web":null}' })).problem,
    "services.web: not { ref, id } (null)",
  );
  assert.equal(
    (await bad({ [svc]: '{"web":{"ref":"x"}}' })).problem,
    'services.web: not { ref, id } ({"ref":"x"})',
  );
  assert.equal(
    (await bad({ [svc]: "{}", "dev.fleet.release.result": "great" })).problem,
    'result: "great"',
  );
  assert.equal((await bad({ [svc]: "{}", "dev.fleet.release.kind": "x" })).problem, 'kind: "x"');
  const good = await parseRelease({ ...base, [svc]: '{"web":{"ref":"x","id":"sha256:1"}}' });
  assert.deepEqual((good as Release).services, { web: { ref: "x", id: "sha256:1" } });
});
