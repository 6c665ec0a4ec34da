/** Tier 2: several hosts per stage in stage files — hosts:, on:, rollout:, and what does not fit. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { composeYaml } from "../../lib/engine/compose_model.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { errorOf, tempProject } from "../helpers.ts";

const base = "project: app\nregistry: reg.test\n";
const hosts = base + "hosts:\n  web2: ssh://deploy@10.0.0.12\n  web1: tcp://10.0.0.11:2376\n" +
  "  jobs: live-jobs\n";

function load(text: string) {
  return loadStage(tempProject({ "stages/live.yaml": text }), "live");
}

function problems(text: string): string[] {
  const e = errorOf(() => load(text));
  assert.ok(e instanceof ConfigError, String(e));
  return e.message.split("\n");
}

Deno.test("hosts: in name order (URLs and contexts), on: per service, rollout.parallel", () => {
  const s = load(
    hosts + "rollout: { parallel: 2 }\nservices:\n  web: { image: x, on: [web1, web2] }\n" +
      "  worker: { image: y, on: [jobs] }\n  agent: { image: z }\n",
  );
  assert.deepEqual(s.hosts, [
    { name: "jobs", context: "live-jobs" },
    { name: "web1", host: "tcp://10.0.0.11:2376" },
    { name: "web2", host: "ssh://deploy@10.0.0.12" },
  ]);
  assert.equal(s.parallel, 2);
  assert.equal(s.host, undefined);
  assert.deepEqual(s.services.map((x) => x.on), [["web1", "web2"], ["jobs"], undefined]);
});

Deno.test("rollout.parallel defaults to 1; on: never reaches the Compose model", () => {
  const s = load(hosts + "services:\n  web: { image: x, on: [web1] }\n");
  assert.equal(s.parallel, 1);
  assert.ok(!/\bon:/.test(composeYaml(s)), composeYaml(s));
});

Deno.test("on: naming a host that is not in hosts: is an error listing the hosts", () => {
  assert.deepEqual(problems(hosts + "services:\n  web: { image: x, on: [web1, web3] }\n"), [
    'stages/live.yaml:8:24: services.web.on: unknown host "web3" (hosts: jobs, web1, web2)',
  ]);
});

Deno.test("on: without hosts:, and rollout: without hosts:, are errors with the reason", () => {
  assert.deepEqual(
    problems(base + "rollout: { parallel: 2 }\nservices:\n  web: { image: x, on: [a] }\n"),
    [
      "stages/live.yaml:3:10: rollout: only for a stage with hosts: (names → Docker hosts)",
      "stages/live.yaml:5:24: services.web.on: names hosts of hosts:, and this stage has none",
    ],
  );
});

Deno.test("hosts: beside host: or context:, or on a Swarm stage: refused; a release task is fine", () => {
  const lines = problems(
    hosts + "host: ssh://x\ncontext: live\norchestrator: swarm\n" +
      "tasks: { pre_deploy: { service: web, command: [migrate] } }\nservices:\n  web: { image: x }\n",
  );
  assert.equal(lines.length, 3, lines.join("\n"));
  assert.match(lines[0], /host: set either hosts or host, not both/);
  assert.match(lines[1], /context: set either hosts or context, not both/);
  assert.match(lines[2], /hosts: a Swarm stage deploys through its manager/);
});

Deno.test("bad host names, addresses and parallel are errors; rollout keys get a did-you-mean", () => {
  const lines = problems(
    base + "hosts:\n  Web1: ssh://x\n  web2: 'http://x'\nrollout: { parallel: 0, paralel: 2 }\n" +
      "services:\n  web: { image: x, on: [] }\n",
  );
  assert.ok(lines.some((l) => /hosts\.Web1: .*must match/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /hosts\.web2: .*must be unix:/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /rollout\.parallel: expected >=1, got 0/.test(l)), lines.join("\n"));
  assert.ok(lines.some((l) => /rollout\.paralel: unknown key \(did you mean "parallel"/.test(l)));
});

Deno.test("on: [] runs the service nowhere: an error", () => {
  assert.deepEqual(problems(hosts + "services:\n  web: { image: x, on: [] }\n"), [
    "stages/live.yaml:8:24: services.web.on: names no host: the service would run nowhere",
  ]);
});

Deno.test("hosts: with the proxy (SPEC §15): a proxy on each host, the routes per service", () => {
  const s = load(
    hosts + "proxy: { http: 8080, tls: off }\nservices:\n" +
      "  web: { image: x, on: [web1, web2], proxy: { port: 3000 } }\n",
  );
  assert.equal(s.hosts?.length, 3);
  assert.equal(s.proxy?.http, "8080");
  assert.equal(s.services[0].proxy?.port, 3000);
});
