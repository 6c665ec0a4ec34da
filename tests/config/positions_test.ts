/** Positions of config errors: every message starts with file:line:col, from the YAML nodes. */
import assert from "node:assert/strict";
import { LineCounter, parseDocument } from "yaml";
import {
  filePositions,
  keyAt,
  locate,
  positionOf,
  positionsOf,
} from "../../lib/config/positions.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { ConfigError, configProblems } from "../../lib/core/errors.ts";
import { composeContext } from "../../lib/engine/compose.ts";
import { errorOf, tempProject } from "../helpers.ts";

function source(file: string, text: string) {
  const lines = new LineCounter();
  const src = { file, doc: parseDocument(text, { lineCounter: lines }), lines };
  return { ...src, positions: filePositions(src) };
}

const own = source(
  "stages/live.yaml",
  "project: a\nservices:\n  api:\n    image: x\n    prots: ['1:1']\n    environment: { PW: '${PW}' }\n",
);

Deno.test("the position of a value, of a key, and of a key the file does not set", () => {
  assert.deepEqual(positionOf(own, ["services", "api", "prots"]), {
    file: "stages/live.yaml",
    line: 5,
    col: 12,
  });
  assert.deepEqual(positionOf(own, ["services", "api", "prots"], true), {
    file: "stages/live.yaml",
    line: 5,
    col: 5,
  });
  assert.equal(positionOf(own, ["services", "web"]), undefined);
  assert.equal(locate(["services", "web", "image"], false, own), "stages/live.yaml:3:3");
});

Deno.test("a setting of _base is located in _base; the stage's own file wins", () => {
  const base = source("stages/_base.yaml", "project: a\nregistry: r\n");
  const mine = source("stages/dev.yaml", "registry: s\ntag: v1\n");
  const ps = positionsOf(base, mine);
  assert.deepEqual(ps.project, { file: "stages/_base.yaml", line: 1, col: 10 });
  assert.deepEqual(ps.registry, { file: "stages/dev.yaml", line: 1, col: 11 });
  assert.equal(locate(["project"], false, mine, base), "stages/_base.yaml:1:10");
});

Deno.test("keyAt: the nearest setting's position, or the file alone without positions", () => {
  const stage = { file: "stages/live.yaml", positions: positionsOf(own) };
  assert.equal(
    keyAt(stage, ["services", "api", "environment", "PW"]),
    "stages/live.yaml:6:24: services.api.environment.PW",
  );
  assert.equal(
    keyAt(stage, ["services", "api", "build"]),
    "stages/live.yaml:4:5: services.api.build",
  );
  assert.equal(keyAt({ file: "stages/x.yaml" }, ["tag"]), "stages/x.yaml: tag");
});

Deno.test("ConfigError carries file, line and col of each problem", () => {
  const e = new ConfigError(
    "stages/live.yaml:7:5: services.api.prots: unknown key\nstages/_base.yaml: tag: bad",
  );
  assert.deepEqual([e.file, e.line, e.col], ["stages/live.yaml", 7, 5]);
  assert.deepEqual(e.problems[1], { file: "stages/_base.yaml", message: "tag: bad" });
  assert.deepEqual(configProblems("~/.docker/config.json: cannot read"), []);
});

Deno.test("an unset ${VAR} set in _base is reported at its line in _base", () => {
  const root = tempProject({
    "stages/_base.yaml": "project: a\nservices:\n  web:\n    image: x\n    command: ['${NOPE}']\n",
    "stages/dev.yaml": "tag: v1\n",
  });
  const e = errorOf(() => composeContext(loadStage(root, "dev"), {}));
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    "stages/_base.yaml:5:14: services.web.command: ${NOPE} is not set (and has no default)",
  );
  assert.deepEqual([e.file, e.line, e.col], ["stages/_base.yaml", 5, 14]);
});
