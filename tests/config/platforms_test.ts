/** Platform lists (lib/config/platforms.ts) and `platform:` in stage files. */
import assert from "node:assert/strict";
import {
  normalizePlatform,
  parsePlatforms,
  platformProblem,
  platformSlug,
} from "../../lib/config/platforms.ts";
import { ConfigError, UsageError } from "../../lib/core/errors.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { errorOf, tempProject } from "../helpers.ts";
import { configYaml, stagesText } from "../../lib/report/stage_text.ts";

Deno.test("parsePlatforms: one, a list, spaces, YAML list, aliases, duplicates", () => {
  assert.deepEqual(parsePlatforms("linux/amd64"), ["linux/amd64"]);
  assert.deepEqual(parsePlatforms("linux/amd64,linux/arm64"), ["linux/amd64", "linux/arm64"]);
  assert.deepEqual(parsePlatforms(" linux/arm64 , linux/arm/v7 "), ["linux/arm64", "linux/arm/v7"]);
  assert.deepEqual(parsePlatforms(["linux/amd64", "linux/arm64"]), ["linux/amd64", "linux/arm64"]);
  assert.deepEqual(
    parsePlatforms("Linux/x86_64,linux/aarch64,linux/arm64/v8,linux/armhf,linux/i386"),
    ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386"],
  );
  assert.deepEqual(parsePlatforms("linux/amd64,linux/amd64"), ["linux/amd64"]);
});

Deno.test("platformProblem names the bad item and what is valid", () => {
  assert.equal(platformProblem("linux/amd64"), undefined);
  assert.equal(
    platformProblem("linux/amd64,arm64"),
    `"arm64" is not os/arch[/variant] (e.g. linux/amd64, linux/arm64, linux/arm/v7; ` +
      "several separated by commas)",
  );
  assert.match(platformProblem("linux/amd64,")!, /^an empty item is not os\/arch/);
  assert.match(platformProblem("linux/arm/v7/x")!, /^"linux\/arm\/v7\/x" is not/);
  assert.match(platformProblem("linux amd64")!, /^"linux amd64" is not/);
  assert.match(platformProblem("")!, /^no platform given/);
  assert.match(platformProblem([])!, /^no platform given/);
});

Deno.test("parsePlatforms throws a UsageError (exit 2) naming where it came from", () => {
  const e = errorOf(() => parsePlatforms("linux/amd64,arm64"));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /^--platform: "arm64" is not os\/arch\[\/variant\]/);
});

Deno.test("normalizePlatform and platformSlug", () => {
  assert.equal(normalizePlatform("linux/arm64/v8"), "linux/arm64");
  assert.equal(normalizePlatform("linux/arm/v7"), "linux/arm/v7");
  assert.equal(platformSlug("linux/arm/v7"), "linux-arm-v7");
});

Deno.test("stage file: platform: takes a list (string or YAML list), normalized", () => {
  const root = tempProject({
    "stages/_base.yaml": "project: app\nservices:\n  web: { build: {} }\n",
    "stages/dev.yaml": "platform: linux/amd64, linux/aarch64\n",
    "stages/pre.yaml": "platform: [linux/amd64, linux/arm64]\n",
  });
  assert.equal(loadStage(root, "dev").platform, "linux/amd64,linux/arm64");
  assert.equal(loadStage(root, "pre").platform, "linux/amd64,linux/arm64");
  // fleet config and fleet stages show them
  assert.match(configYaml(loadStage(root, "pre")), /^platform: linux\/amd64,linux\/arm64$/m);
  assert.match(
    stagesText([{ name: "dev", stage: loadStage(root, "dev") }]),
    /^dev +local engine +- +linux\/amd64,linux\/arm64 +web$/m,
  );
});

Deno.test("stage file: a bad platform item is a config error with the key path", () => {
  const root = tempProject({
    "stages/_base.yaml": "project: app\nservices:\n  web: { build: {} }\n",
    "stages/dev.yaml": "platform: linux/amd64,arm64\n",
  });
  const e = errorOf(() => loadStage(root, "dev"));
  assert.ok(e instanceof ConfigError);
  assert.match(
    e.message,
    /^stages\/dev\.yaml(:\d+:\d+)?: platform: "arm64" is not os\/arch\[\/variant\]/,
  );
});
