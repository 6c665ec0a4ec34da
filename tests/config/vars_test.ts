import assert from "node:assert/strict";
import {
  findVars,
  interpolate,
  literal,
  missingVars,
  requireVars,
  templateError,
  unsetVars,
  varEnv,
} from "../../lib/config/vars.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { errorOf } from "../helpers.ts";

Deno.test("finds ${VAR} and ${VAR:-default} deeply", () => {
  assert.deepEqual(findVars({ a: ["x${A}y", { b: "${B:-dflt}" }], c: 1 }), [
    { name: "A" },
    { name: "B", op: ":-", arg: "dflt" },
  ]);
});

Deno.test("every form Compose interpolates is found, $$ is a literal $", () => {
  const forms = "$A ${B} ${C:-d} ${D-d} ${E:?m} ${F?m} ${G:+x} ${H+x} $${X} $$Y ${I:-${J}}";
  assert.deepEqual(findVars(forms).map((r) => r.name), [
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
  ]);
  assert.deepEqual(findVars("a$5 b$ c$-x $é"), [], "a $ before no name is literal, as in Compose");
});

Deno.test("missingVars: what is needed and unset, form by form", () => {
  assert.deepEqual(missingVars(["${A}", "${B:-x}", "${C}", "${A}"], { C: "" }), ["A"]);
  assert.deepEqual(missingVars(["$A", "${B-x}", "${C:+x}", "${D+x}", "$${E}"], {}), ["A"]);
  assert.deepEqual(missingVars(["${A:?need A}", "${B?need B}"], { A: "", B: "" }), ["A"]);
  assert.deepEqual(missingVars("${A:-${B}}", {}), ["B"], "a nested default is needed when used");
  assert.deepEqual(missingVars("${A:-${B}}", { A: "1" }), []);
  assert.deepEqual(missingVars("${A:+${B}}", { A: "1" }), ["B"]);
});

Deno.test("unsetVars carries ${VAR:?message}", () => {
  assert.deepEqual(unsetVars(["${A:?set A to the DB url}", "${B:?}"], { B: "" }), [
    { name: "A", message: "set A to the DB url" },
    { name: "B", message: undefined, empty: true },
  ]);
});

Deno.test("requireVars: one error naming each, with the message of ${VAR:?message}", () => {
  const e = errorOf(() =>
    requireVars([
      ["stages/live.yaml: services.web", { a: "$PW ${TOKEN}", b: "${DB:?the database URL}" }],
      ["stages/live.yaml: host", "${H:?}"],
    ], { H: "" })
  );
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    [
      "stages/live.yaml: services.web: ${DB} is not set: the database URL",
      "stages/live.yaml: services.web: ${PW} is not set (and has no default)",
      "stages/live.yaml: services.web: ${TOKEN} is not set (and has no default)",
      "stages/live.yaml: host: ${H} is empty",
    ].join("\n"),
  );
  assert.equal(
    (e as ConfigError).hint,
    "set DB, PW, TOKEN, H in the environment, or give a default: ${PW:-value}",
  );
  requireVars([["x", ["${A:+y}", "${B+y}", "$${C}"]]], {});
});

Deno.test("interpolate: every form, as Compose resolves it", () => {
  const env = { A: "a", E: "" };
  const cases: [string, string][] = [
    ["$A/${A}", "a/a"],
    ["${E:-d}|${E-d}|${U-d}", "d||d"],
    ["${A:+x}|${E:+x}|${E+x}|${U+x}", "x||x|"],
    ["${A:?m}", "a"],
    ["$${X} $$Y a$5 $", "${X} $Y a$5 $"],
    ["${U:-${A}}|${U:-{x}}", "a|{x}"],
  ];
  for (const [text, want] of cases) assert.equal(interpolate(text, env), want, text);
});

Deno.test("varEnv: the values to pass and mask, in every form", () => {
  const env = { PW: "hunter22", Q: "q-secret", R: "r-secret", S: "s-secret", T: "t" };
  assert.deepEqual(varEnv({ e: "${PW:?x}", f: ["$Q", "${R?m}", "${S:+1}"], g: "$${T}" }, env), {
    PW: "hunter22",
    Q: "q-secret",
    R: "r-secret",
    S: "s-secret",
  });
});

Deno.test("templateError: what Compose rejects", () => {
  assert.equal(templateError("${A} $$ $5 ${B:-${C}}"), undefined);
  for (const bad of ["${5}", "${A:x}", "${A", "${A=x}", "${ A}", "${A:-${B}"]) {
    assert.ok(templateError(bad), bad);
  }
});

Deno.test("literal doubles every $", () => {
  assert.equal(literal("/p/$a/${b}"), "/p/$$a/$${b}");
  assert.equal(interpolate(literal("/p/$a/${b}"), {}), "/p/$a/${b}");
});
