/** Tier 1: the proxy's plan (SPEC §14): Caddy's configuration, the model, the release steps. */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadStage } from "../../lib/config/stage.ts";
import { engineFor } from "../../lib/engine/engines.ts";
import { caddyConfig, parseRoutes, type ProxyRoute } from "../../lib/engine/proxy_caddy.ts";
import { proxied, proxyOf, withProxyNetwork } from "../../lib/engine/proxy.ts";
import { ensureProxy, probe, startProxySteps } from "../../lib/engine/proxy_host.ts";
import { switched } from "../../lib/engine/proxy_switch.ts";
import { compose } from "../../lib/engine/compose.ts";
import { errorOf, recordingRunner, tempProject, testDeps } from "../helpers.ts";

const root = tempProject({
  "stages/dev.yaml": `project: shop
proxy: { tls: off, http: "127.0.0.1:8080" }
services:
  web:
    image: shop/web:1
    proxy: { port: 3000, host: shop.example.com, drain: 2s }
  api:
    image: shop/api:1
    proxy: { port: 4000, path: /api }
  worker:
    image: shop/worker:1
    depends_on: [api]
`,
});
const stage = loadStage(root, "dev");
const P = ["docker", "compose", "-p", "shop-dev", "--project-directory", root, "-f", "-"];
const r = (service: string, upstream: string, more: Partial<ProxyRoute> = {}): ProxyRoute => ({
  project: "shop-dev",
  service,
  upstream,
  ...more,
});

Deno.test("a stage with routes gets the proxied engine; one without, plain Compose", () => {
  assert.equal(engineFor(stage), proxied);
  const plain = loadStage(tempProject({ "stages/dev.yaml": "project: a\nservices: {}\n" }), "dev");
  assert.equal(engineFor(plain), compose);
});

Deno.test("caddyConfig: most specific route first; reading it back gives the routes", () => {
  const routes = [
    r("any", "shop-dev-any-1:80"),
    r("api", "shop-dev-api-2:4000", { path: "/api" }),
    r("web", "shop-dev-web-3:3000", { host: "shop.example.com" }),
  ];
  const cfg = caddyConfig({ tls: "off" }, routes);
  const server = (cfg as { apps: { http: { servers: { fleet: Record<string, unknown> } } } })
    .apps.http.servers.fleet;
  assert.deepEqual(server.listen, [":80"]);
  assert.deepEqual(server.automatic_https, { disable: true });
  assert.deepEqual((server.routes as Record<string, unknown>[])[1], {
    "@id": "fleet/shop-dev/api",
    match: [{ path: ["/api", "/api/*"] }],
    handle: [{
      handler: "reverse_proxy",
      upstreams: [{ dial: "shop-dev-api-2:4000" }],
      load_balancing: { try_duration: "2s", try_interval: "100ms" },
    }],
    terminal: true,
  });
  assert.deepEqual(parseRoutes(JSON.stringify(cfg)).map((x) => x.service), ["web", "api", "any"]);
  assert.deepEqual(parseRoutes(JSON.stringify(cfg))[1], routes[1]);
  assert.deepEqual(parseRoutes("null\n"), []);
  // tls auto: routes with a host on :443 (ACME), routes for any host on :80
  const auto = caddyConfig({ tls: "auto" }, routes) as {
    apps: { http: { servers: Record<string, { listen: string[]; routes: unknown[] }> } };
  };
  assert.deepEqual(auto.apps.http.servers.fleet_tls.listen, [":443"]);
  assert.equal(auto.apps.http.servers.fleet_tls.routes.length, 1);
  assert.equal(auto.apps.http.servers.fleet.routes.length, 2);
});

Deno.test("switched: replaces this project's route, keeps every other, refuses a taken one", () => {
  const other = { ...r("web", "blog-dev-web-1:80"), project: "blog-dev", host: "blog.test" };
  const all = [other, r("web", "shop-dev-web-1:3000", { host: "shop.test" })];
  assert.deepEqual(switched(all, [r("web", "shop-dev-web-2:3000", { host: "shop.test" })]), [
    other,
    r("web", "shop-dev-web-2:3000", { host: "shop.test" }),
  ]);
  const e = errorOf(() => switched(all, [r("api", "shop-dev-api-1:80", { host: "blog.test" })]));
  assert.match(
    e.message,
    /the route blog\.test\/ is served by blog-dev \(web\) through this proxy/,
  );
});

Deno.test("the model: proxied services join the proxy's network too; the name follows FLEET_PROXY_NAME", () => {
  const ctx = proxied.context(stage, { FLEET_PROXY_NAME: "edge" });
  const m = parse(ctx.model);
  assert.deepEqual(m.services.web.networks, ["default", "fleet_proxy"]);
  assert.equal(m.services.web.proxy, undefined, "fleet's key, not Compose's");
  assert.equal(m.services.worker.networks, undefined);
  assert.deepEqual(m.networks, { fleet_proxy: { external: true, name: "edge" } });
  assert.equal(proxyOf(ctx), "edge");
  assert.equal(proxyOf(proxied.context(stage, {})), "fleet-proxy");
  const listed = withProxyNetwork("services:\n  web: { networks: [back] }\n", ["web"], "p");
  assert.deepEqual(parse(listed).services.web.networks, ["back", "fleet_proxy"]);
  const mapped = withProxyNetwork("services:\n  web: { networks: { back: {} } }\n", ["web"], "p");
  assert.deepEqual(parse(mapped).services.web.networks, { back: {}, fleet_proxy: {} });
});

Deno.test("release steps: plain services stop → rm → up (--no-deps) first, then blue/green", () => {
  const ctx = proxied.context(stage, {});
  const steps = proxied.releaseSteps(ctx, ["web", "api", "worker"], ["worker"], {
    pull: true,
    only: false,
  });
  assert.deepEqual(steps.map((s) => s.kind), ["pull", "stop", "rm", "up", "switch", "switch"]);
  assert.deepEqual(steps[0].argv, [...P, "pull", "--quiet", "worker"]);
  assert.deepEqual(steps[1].argv, [...P, "stop", "worker"]);
  assert.deepEqual(steps[3].argv.slice(P.length), [
    "up",
    "--detach",
    "--no-build",
    "--pull",
    "never",
    "--no-deps",
    "worker",
  ]);
  assert.deepEqual(steps[4].argv.slice(P.length), [
    "up",
    "--detach",
    "--no-build",
    "--pull",
    "never",
    "--no-deps",
    "--no-recreate",
    "--scale",
    "web=2",
    "--scale",
    "api=2",
    "web",
    "api",
  ]);
  assert.deepEqual(steps[5].argv, [
    "docker",
    "exec",
    "-i",
    "fleet-proxy",
    "caddy",
    "reload",
    "--config",
    "/dev/stdin",
  ]);
  assert.match(steps[5].title, /switch the routes of web, api \(graceful\), drain 5s/); // the longest: api's default
  // only proxied services: no stop, rm or up of Compose's at all
  const only = proxied.releaseSteps(ctx, ["web"], [], { pull: false, only: true });
  assert.deepEqual(only.map((s) => s.kind), ["switch", "switch"]);
  assert.equal(proxied.strategy(ctx, "web"), "blue/green behind the proxy: no outage");
  assert.equal(proxied.strategy(ctx, "worker"), "stop → rm → up: a short outage");
});

Deno.test("the proxy starts with its own network, volumes, restart policy and --resume", () => {
  const [net, run] = startProxySteps({ env: {}, dockerArgv: ["docker"], label: "l" }, "fp", {
    image: "caddy:2",
    http: "80",
    https: "443",
    tls: "auto",
  });
  assert.deepEqual(net.argv, [
    "docker",
    "network",
    "create",
    "--label",
    "dev.fleet.proxy=fp",
    "fp",
  ]);
  assert.deepEqual(run.argv, [
    "docker",
    "run",
    "--detach",
    "--name",
    "fp",
    "--network",
    "fp",
    "--restart",
    "unless-stopped",
    "--sysctl",
    "net.ipv4.tcp_migrate_req=1",
    "-p",
    "80:80",
    "-p",
    "443:443",
    "--volume",
    "fp-data:/data",
    "--volume",
    "fp-config:/config",
    "--label",
    "dev.fleet.proxy=fp",
    "caddy:2",
    "caddy",
    "run",
    "--resume",
  ]);
});

Deno.test("a stage with proxy: but no route: Compose's steps as they are, no proxy network", () => {
  const bare = loadStage(
    tempProject({
      "stages/dev.yaml": "project: a\nproxy: { tls: off }\nservices:\n  db: { image: pg }\n",
    }),
    "dev",
  );
  const ctx = proxied.context(bare, {});
  assert.equal(parse(ctx.model).networks, undefined);
  const steps = proxied.releaseSteps(ctx, ["db"], [], { pull: false, only: false });
  assert.deepEqual(steps.map((s) => s.argv.at(-2)), ["stop", "--stop", "never"]);
  assert.ok(!steps.some((s) => s.argv.includes("--no-deps")));
});

Deno.test("probe: bounded by wget -T; where busybox wget crashes on -T (139), asked without", async () => {
  const t = { env: {}, dockerArgv: ["docker"], label: "l" };
  const runner = recordingRunner((s) => (s.argv.includes("-T") ? { code: 139 } : undefined));
  const deps = testDeps("/", { runner });
  assert.deepEqual(await probe(deps, t, "fp", "http://c:80/up", false), { ok: true, why: "" });
  assert.deepEqual(runner.argvs(), [
    "docker exec fp wget -q -O /dev/null -T 5 http://c:80/up",
    "docker exec fp wget -q -O /dev/null http://c:80/up",
  ]);
  const refused = recordingRunner(() => ({
    code: 1,
    stderr: "wget: server returned error: HTTP/1.1 404 Not Found",
  }));
  const r = await probe(testDeps("/", { runner: refused }), t, "fp", "http://c:80/", true);
  assert.equal(r.ok, true, "any HTTP answer counts where no health: is set");
  assert.equal(
    (await probe(testDeps("/", { runner: refused }), t, "fp", "http://c:80/", false)).ok,
    false,
  );
});

Deno.test("compose_file: a proxied service with ports in the user's file is refused", async () => {
  const files = (ports: string) => ({
    "compose.yaml": `services:\n  web:\n    image: shop/web:1\n${ports}`,
    "stages/dev.yaml": "project: shop\ncompose_file: compose.yaml\nproxy: { tls: off }\n" +
      "services:\n  web:\n    proxy: { port: 3000 }\n",
  });
  // where the file says it: when the stage loads, at its place in the file
  const e = errorOf(() => loadStage(tempProject(files("    ports: ['8080:3000']\n")), "dev"));
  assert.match(e.message, /^compose\.yaml:4:\d+: services\.web\.ports: the proxy publishes/);
  // where only Compose's merge brings them (extends, another file): at the check
  const dir = tempProject(files(""));
  const ctx = proxied.context(loadStage(dir, "dev"), {});
  const merged = { services: { web: { image: "shop/web:1", ports: [{ target: 3000 }] } } };
  const runner = recordingRunner((s) =>
    s.argv.includes("--no-interpolate") ? { stdout: JSON.stringify(merged) } : undefined
  );
  const c = await proxied.check(testDeps(dir, { runner }), ctx).catch((e) => e);
  assert.match(String(c?.message), /services\.web: publishes ports \(in the Compose model\)/);
  // without them: the merged model gets the proxy's network
  merged.services.web.ports = [];
  const ok = await proxied.check(testDeps(dir, { runner }), ctx);
  assert.deepEqual(parse(ok.model).networks, {
    fleet_proxy: { external: true, name: "fleet-proxy" },
  });
  assert.deepEqual(parse(ok.model).services.web.networks, ["default", "fleet_proxy"]);
});

/** A container's inspect document, as much of it as fleet reads. */
const inspected = (status: string, image: string, sysctls: Record<string, string> | null) => ({
  State: { Status: status },
  Config: { Image: image },
  HostConfig: { Sysctls: sysctls },
});

Deno.test("a kernel without tcp_migrate_req: the proxy is made again without it, with a warning", async () => {
  const t = { env: {}, dockerArgv: ["docker"], label: "l" };
  const runner = recordingRunner((s) => {
    if (s.argv.includes("inspect")) return { code: 1, stderr: "Error: No such container: fp" };
    if (s.argv.includes("--sysctl")) {
      return {
        code: 125,
        stderr:
          "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: open /proc/sys/net/ipv4/tcp_migrate_req: no such file or directory: unknown.",
      };
    }
    return undefined;
  });
  const deps = testDeps("/", { runner });
  await ensureProxy(deps, t, "fp", { image: "caddy:2", http: "80", tls: "off" });
  const argvs = runner.argvs();
  assert.match(argvs[2], /^docker run .*--sysctl net\.ipv4\.tcp_migrate_req=1 /);
  assert.equal(argvs[3], "docker rm --force fp");
  assert.match(argvs[4], /^docker run --detach --name fp /);
  assert.ok(!argvs[4].includes("--sysctl"), argvs[4]);
  assert.match(argvs[5], /^docker exec fp wget -qO- http:\/\/127\.0\.0\.1:2019\/config\/$/);
  assert.match(deps.ui.text(), /no net\.ipv4\.tcp_migrate_req \(Linux < 5\.14\)/);
});

Deno.test("a running proxy made without tcp_migrate_req: one warning with the fix, nothing changed", async () => {
  const t = { env: {}, dockerArgv: ["docker"], label: "old-host" };
  const runner = recordingRunner((s) =>
    s.argv.includes("inspect")
      ? { stdout: JSON.stringify(inspected("running", "caddy:2", null)) + "\n" }
      : undefined
  );
  const deps = testDeps("/", { runner });
  const settings = { image: "caddy:2", http: "80", tls: "off" } as const;
  await ensureProxy(deps, t, "fp", settings);
  await ensureProxy(deps, t, "fp", settings);
  const warnings = deps.ui.text().match(/runs without net\.ipv4\.tcp_migrate_req/g) ?? [];
  assert.equal(warnings.length, 1, deps.ui.text());
  assert.match(deps.ui.text(), /docker rm -f fp on the host and deploy/);
  assert.ok(!runner.argvs().some((a) => / run | rm /.test(` ${a} `)), runner.argvs().join("\n"));
});
