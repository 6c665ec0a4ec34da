/** How doctor's checks are printed: aligned lines with fixes, or one JSON document. */
import assert from "node:assert/strict";
import { doctorJson, doctorText } from "../../lib/doctor/doctor_text.ts";
import type { Check } from "../../lib/doctor/probes.ts";

const checks: Check[] = [
  { name: "docker", ok: true, detail: "28.2.2 (≥ 20.10)" },
  {
    name: "dev: host",
    ok: false,
    detail: "no Docker engine answers at unix:///x",
    fix: "start it",
  },
  { name: "dev: lock", ok: false, skipped: true, detail: "not checked (dev: host failed)" },
];

Deno.test("doctorText: ✔/✘/- marks, aligned names, the fix under a failed check", () => {
  assert.equal(
    doctorText(checks, false),
    [
      "✔ docker     28.2.2 (≥ 20.10)",
      "✘ dev: host  no Docker engine answers at unix:///x",
      "             fix: start it",
      "- dev: lock  not checked (dev: host failed)",
    ].join("\n"),
  );
  assert.ok(doctorText(checks, true).startsWith("\x1b[32m✔\x1b[0m docker"));
});

Deno.test("doctorJson: { checks: [{ name, ok, detail, fix }], ok }", () => {
  assert.deepEqual(JSON.parse(doctorJson(checks)), {
    checks: [
      { name: "docker", ok: true, detail: "28.2.2 (≥ 20.10)", fix: null },
      {
        name: "dev: host",
        ok: false,
        detail: "no Docker engine answers at unix:///x",
        fix: "start it",
      },
      {
        name: "dev: lock",
        ok: false,
        detail: "not checked (dev: host failed)",
        fix: null,
        skipped: true,
      },
    ],
    ok: false,
  });
});
