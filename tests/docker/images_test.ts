import assert from "node:assert/strict";
import { imageRef } from "../../lib/docker/images.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { tempProject } from "../helpers.ts";

const root = tempProject({
  "stages/_base.yaml": "project: myapp\nregistry: ghcr.io/base\n",
  "stages/live.yaml": `registry: ghcr.io/myorg
services:
  myapp: { build: {} }
  worker: { build: {} }
  custom: { build: {}, image: other/name }
  pinned: { build: {}, registry: reg.example.com/team }
  db: { image: "postgres:16" }
`,
  "stages/dev.yaml": "services:\n  myapp: { build: {} }\n",
});

Deno.test("image names follow SPEC §3", () => {
  const s = loadStage(root, "live");
  const ref = (n: string, o = {}) => imageRef(s, s.services.find((x) => x.name === n)!, o);
  assert.equal(ref("myapp"), "ghcr.io/myorg/myapp-live:latest");
  assert.equal(ref("worker"), "ghcr.io/myorg/myapp-worker-live:latest");
  assert.equal(ref("custom"), "ghcr.io/myorg/other/name:latest");
  assert.equal(ref("pinned"), "reg.example.com/team/myapp-pinned-live:latest");
  assert.equal(ref("db"), "postgres:16");
  assert.equal(ref("myapp", { tag: "v2" }), "ghcr.io/myorg/myapp-live:v2");
  assert.equal(
    ref("pinned", { registry: "cli.example/x/" }),
    "cli.example/x/myapp-pinned-live:latest",
  );
});

Deno.test("registry from _base applies when the stage has none", () => {
  const s = loadStage(root, "dev");
  assert.equal(imageRef(s, s.services[0]), "ghcr.io/base/myapp-dev:latest");
});
