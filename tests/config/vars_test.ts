import assert from "node:assert/strict";
import { findVars, interpolate, missingVars, varEnv } from "../../lib/config/vars.ts";

Deno.test("finds ${VAR} and ${VAR:-default} deeply", () => {
  assert.deepEqual(findVars({ a: ["x${A}y", { b: "${B:-dflt}" }], c: 1 }), [
    { name: "A" },
    { name: "B", fallback: "dflt" },
  ]);
});

Deno.test("missingVars ignores defaults and set values", () => {
  assert.deepEqual(missingVars(["${A}", "${B:-x}", "${C}", "${A}"], { C: "" }), ["A"]);
});

Deno.test("interpolate and varEnv", () => {
  assert.equal(interpolate("v=${A:-1}/${B}", { B: "b" }), "v=1/b");
  assert.deepEqual(varEnv({ e: "${PW}", f: ["${X:-1}", "${PW}"] }, { PW: "hunter22" }), {
    PW: "hunter22",
  });
});
