/** Tier 2: reading stage files — every YAML problem is a ConfigError (exit 2) naming the file. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadStage } from "../../lib/config/stage.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { errorOf, tempProject } from "../helpers.ts";

Deno.test("a YAML alias bomb is a config error naming the file", () => {
  const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  for (let i = 1; i < 9; i++) {
    const p = String.fromCharCode(97 + i - 1);
    lines.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${
        Array(10).fill(`*${p}`).join(", ")
      }]`,
    );
  }
  const root = tempProject({
    "stages/dev.yaml": "project: a\nservices:\n  web:\n    image: x\n    compose:\n" +
      lines.map((l) => `      ${l}`).join("\n") + "\n",
  });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.ok(e instanceof ConfigError, String(e));
  assert.match(
    e.message,
    /^stages\/dev\.yaml: YAML aliases expand too far: \d+ values once expanded/,
  );
});

Deno.test("hundreds of aliases of a small anchor load (real Compose files have 142)", () => {
  const services = Array.from(
    { length: 300 },
    (_, i) => `  s${i}:\n    <<: *common\n    environment: *env\n`,
  ).join("");
  const root = tempProject({
    "stages/dev.yaml": "project: a\nx-env: &env { A: '1' }\nx-common: &common\n  image: busybox\n" +
      "  restart: unless-stopped\nservices:\n" + services.replaceAll("\n  s", "\n  s"),
  });
  const text = Deno.readTextFileSync(join(root, "stages/dev.yaml"));
  assert.ok(text.split("*").length > 600);
});

Deno.test("<< merge keys are supported", () => {
  const r2 = tempProject({
    "stages/_base.yaml": "project: a\n",
    "stages/dev.yaml": `services:
  web: &web
    image: busybox
    restart: always
  worker:
    <<: *web
    restart: "no"
`,
  });
  const s = loadStage(r2, "dev");
  assert.deepEqual(s.services.map((x) => [x.name, x.image, x.restart]), [
    ["web", "busybox", "always"],
    ["worker", "busybox", "no"],
  ]);
});

Deno.test("bytes that are not UTF-8: a config error naming the file and line", () => {
  const root = tempProject({ "stages/dev.yaml": "" });
  const bytes = new TextEncoder().encode("project: a\nservices:\n  web:\n    image: x\n");
  Deno.writeFileSync(
    join(root, "stages/dev.yaml"),
    new Uint8Array([...bytes, ...new TextEncoder().encode("    restart: "), 0xff, 0xfe, 0x0a]),
  );
  const e = errorOf(() => loadStage(root, "dev"));
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.message, "stages/dev.yaml:5: not UTF-8 text");
});

Deno.test("a duplicate key is a syntax error with its line, in a large map too", () => {
  const env = Array.from({ length: 5_000 }, (_, i) => `      K${i}: v${i}\n`).join("");
  const text = "project: a\nservices:\n  web:\n    image: x\n    environment:\n" + env;
  const root = tempProject({ "stages/dev.yaml": text + "      K7: again\n" });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.ok(e instanceof ConfigError);
  assert.equal(e.message, "stages/dev.yaml:5006:7: YAML syntax error: Map keys must be unique");
  const flow = tempProject({
    "stages/dev.yaml": "project: a\nservices: { a: { image: x }, a: {} }\n",
  });
  assert.match(errorOf(() => loadStage(flow, "dev")).message, /^stages\/dev\.yaml:2:30: .*unique/);
});

Deno.test("a stage file with 40,000 keys loads (in linear time: no per-key scan)", () => {
  const env = Array.from({ length: 40_000 }, (_, i) => `      K${i}: v${i}\n`).join("");
  const root = tempProject({
    "stages/dev.yaml": "project: a\nservices:\n  web:\n    image: x\n    environment:\n" + env,
  });
  const s = loadStage(root, "dev");
  assert.equal(Object.keys(s.services[0].environment ?? {}).length, 40_000);
});

Deno.test("many problems: the first 20 and a count", () => {
  const ports = Array.from({ length: 50 }, (_, i) => `"x${i}"`).join(", ");
  const root = tempProject({
    "stages/dev.yaml": `project: a\nservices:\n  web:\n    image: x\n    ports: [${ports}]\n`,
  });
  const lines = errorOf(() => loadStage(root, "dev")).message.split("\n");
  assert.equal(lines.length, 21);
  assert.match(
    lines[0],
    /^stages\/dev\.yaml:5:13: services\.web\.ports\.0: "x0": the container port/,
  );
  assert.equal(lines[20], "… and 30 more");
});
