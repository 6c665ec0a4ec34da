/** Versions as the tools print them, against the minimums. */
import assert from "node:assert/strict";
import { atLeast, MINIMUM, parseVersion } from "../../lib/docker/versions.ts";

Deno.test("parseVersion reads what docker, compose and buildx print", () => {
  const seen: [string, string][] = [
    ["Docker version 28.2.2, build e6534b4", "28.2.2"],
    ["Docker version 20.10.24+dfsg1, build 297e128", "20.10.24"],
    ["Docker Compose version 2.26.1-4", "2.26.1"],
    ["Docker Compose version v2.29.7-desktop.1", "2.29.7"],
    ["github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3", "0.13.1"],
    ["github.com/docker/buildx v0.17.1 257815a", "0.17.1"],
    ["20.10.24+dfsg1", "20.10.24"],
  ];
  for (const [text, v] of seen) assert.equal(parseVersion(text), v, text);
  assert.equal(parseVersion("no version here"), undefined);
});

Deno.test("atLeast compares part by part, numerically", () => {
  assert.ok(atLeast("2.26.1", MINIMUM.compose));
  assert.ok(atLeast("2.20", "2.20"));
  assert.ok(!atLeast("2.9.1", "2.20"));
  assert.ok(!atLeast("0.9.1", MINIMUM.buildx));
  assert.ok(atLeast("28.2.2", MINIMUM.docker));
  assert.ok(!atLeast("19.03.15", MINIMUM.engine));
});
