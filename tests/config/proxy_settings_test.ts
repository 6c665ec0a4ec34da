/** Tier 2: the proxy's keys (SPEC §14) in stage files: defaults, and each refusal with its reason. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { ConfigError } from "../../lib/core/errors.ts";
import { proxyProblems } from "../../lib/config/proxy_settings.ts";
import { errorOf, tempProject } from "../helpers.ts";

const load = (service: string, top = "") =>
  loadStage(
    tempProject({ "stages/dev.yaml": `project: a\n${top}services:\n  web:\n${service}` }),
    "dev",
  );
const problem = (service: string, top = "") => {
  const e = errorOf(() => load(service, top));
  assert.ok(e instanceof ConfigError, String(e));
  return e.message;
};

Deno.test("proxy: defaults are caddy:2 on 80 and 443 with automatic HTTPS", () => {
  const s = load("    image: x\n    proxy: { port: 8080 }\n");
  assert.deepEqual(s.proxy, { image: "caddy:2", http: "80", https: "443", tls: "auto" });
  assert.deepEqual(s.services[0].proxy, { port: 8080 });
  const off = load(
    "    image: x\n    proxy: { port: 8080, host: app.example.com, path: /api, health: /up, drain: 2s }\n",
    "proxy: { image: my/caddy:2.8, http: '127.0.0.1:8080', tls: off }\n",
  );
  assert.deepEqual(off.proxy, { image: "my/caddy:2.8", http: "127.0.0.1:8080", tls: "off" });
  assert.equal(off.services[0].proxy?.health, "/up");
});

Deno.test("proxy: a stage without routes and without proxy: has no proxy", () => {
  assert.equal(load("    image: x\n").proxy, undefined);
});

Deno.test("proxy: ports on a proxied service, and a missing port, are refused with the reason", () => {
  assert.equal(
    problem("    image: x\n    ports: ['8080:8080']\n    proxy: { host: a.example.com }\n"),
    [
      "stages/dev.yaml:6:12: services.web.proxy.port: required: the container port the proxy " +
      "sends requests to (e.g. port: 8080)",
      "stages/dev.yaml:5:12: services.web.ports: the proxy publishes a proxied service " +
      "(proxy.port names the container's port): remove ports:, or the service's proxy:",
    ].join("\n"),
  );
});

Deno.test("proxy: refused on a Swarm stage, with the reason", () => {
  assert.match(
    problem("    image: x\n    proxy: { port: 80 }\n", "orchestrator: swarm\n"),
    /services\.web\.proxy: a Swarm stage replaces tasks start-first by itself/,
  );
});

Deno.test("proxy: a fixed container name cannot go blue/green", () => {
  // refused under compose: by schema.ts already; the proxy's own reason holds where Compose keys
  // go straight under the service (SPEC §13)
  const web = { proxy: { port: 80 }, container_name: "web", compose: { container_name: "w" } };
  assert.deepEqual(proxyProblems({ services: { web } }).map((p) => p.path.join(".")), [
    "services.web.container_name",
    "services.web.compose.container_name",
  ]);
  assert.match(proxyProblems({ services: { web } })[0].message, /blue\/green runs the new/);
  assert.match(
    problem("    image: x\n    proxy: { port: 80 }\n    compose: { container_name: web }\n"),
    /services\.web\.compose\.container_name: /,
  );
});

Deno.test("proxy: two services on one route are refused; bad values say why", () => {
  const e = errorOf(() =>
    loadStage(
      tempProject({
        "stages/dev.yaml":
          "project: a\nservices:\n  web:\n    image: x\n    proxy: { port: 80 }\n" +
          "  api:\n    image: y\n    proxy: { port: 80, path: / }\n",
      }),
      "dev",
    )
  );
  assert.match(e.message, /services\.api\.proxy: the same route as services\.web\.proxy \(\*\/\)/);
  assert.match(
    problem("    image: x\n    proxy: { port: 0 }\n"),
    /proxy\.port: expected >=1, got 0/,
  );
  assert.match(problem("    image: x\n    proxy: { port: 80, path: api }\n"), /must start with \//);
  assert.match(problem("    image: x\n    proxy: { port: 80, drain: soon }\n"), /drain/);
  assert.match(
    problem("    image: x\n    proxy: { port: 80, hots: a }\n"),
    /services\.web\.proxy\.hots: unknown key \(did you mean "host"\?\)/,
  );
  assert.match(
    problem("    image: x\n", "proxy: { tls: on }\n"),
    /proxy\.tls: expected one of \("auto" \| "off"\), got "on"/,
  );
});
