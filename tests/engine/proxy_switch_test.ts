/**
 * Tier 3: the blue/green switch (lib/engine/proxy_switch.ts) against a fake host — the order of
 * its steps, what a failure before the switch leaves, and Ctrl-C after it.
 */
import assert from "node:assert/strict";
import { InterruptedError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import { loadStage } from "../../lib/config/stage.ts";
import { NothingChangedByEngine } from "../../lib/engine/engine.ts";
import { caddyConfig, parseRoutes, type ProxyRoute } from "../../lib/engine/proxy_caddy.ts";
import { proxied } from "../../lib/engine/proxy.ts";
import { blueGreen } from "../../lib/engine/proxy_switch.ts";
import { interruptible, recordingRunner, tempProject, testDeps } from "../helpers.ts";

const root = tempProject({
  "stages/dev.yaml": `project: shop
proxy: { tls: off }
services:
  web:
    image: shop/web:2
    proxy: { port: 3000, drain: 3s }
`,
});
const ctx = proxied.context(loadStage(root, "dev"), {});
const other: ProxyRoute = { project: "blog-dev", service: "web", host: "b.test", upstream: "b:80" };

/** A host with one container of web (id old) behind the proxy; the next one is healthy or not. */
function fakeHost(health: "healthy" | "unhealthy", others: ProxyRoute[] = [other]) {
  const cs = [{ id: "old", n: 1 }];
  let config = JSON.stringify(caddyConfig({ tls: "off" }, [
    ...others,
    { project: "shop-dev", service: "web", upstream: "shop-dev-web-1:3000" },
  ]));
  const psLine = (c: { id: string; n: number }) =>
    JSON.stringify({
      ID: c.id,
      Names: `shop-dev-web-${c.n}`,
      Image: "shop/web:2",
      State: "running",
      Labels: `com.docker.compose.service=web,com.docker.compose.image=sha256:${c.id}`,
    });
  const reply = (s: Step) => {
    const a = s.argv.join(" ");
    if (a.includes(" up --detach")) cs.push({ id: "new", n: 2 });
    if (a.startsWith("docker ps --all")) return { stdout: cs.map(psLine).join("\n") };
    if (a.startsWith("docker inspect --type container")) {
      const id = s.argv.at(-1);
      const h = id === "new" ? health : "healthy";
      return {
        stdout: JSON.stringify({
          Id: id,
          State: { Status: "running", Health: { Status: h } },
          Config: { Labels: { "com.docker.compose.service": "web" } },
        }),
      };
    }
    if (a.startsWith("docker container inspect")) {
      const doc = {
        State: { Status: "running" },
        Config: { Image: "caddy:2" },
        HostConfig: { Sysctls: { "net.ipv4.tcp_migrate_req": "1" } },
      };
      return { stdout: JSON.stringify(doc) + "\n" };
    }
    if (a.includes("wget -qO-")) return { stdout: config };
    if (a.includes("caddy reload")) config = s.input ?? "";
    if (a.startsWith("docker rm --force new")) cs.splice(cs.findIndex((c) => c.id === "new"), 1);
    if (a.startsWith("docker rm --force old")) cs.splice(cs.findIndex((c) => c.id === "old"), 1);
    return undefined;
  };
  return { reply, routes: () => parseRoutes(config), containers: () => cs.map((c) => c.id) };
}

/** The steps that did something on the host (not the questions), as short lines. */
const actions = (steps: readonly Step[]) =>
  steps.map((s) => s.argv.join(" ")).filter((a) =>
    / up --detach|caddy reload|^docker stop|^docker rm --force (old|new)/.test(a)
  ).map((a) =>
    a.includes(" up ") ? "up --scale web=2" : a.includes("caddy") ? "reload" : a.split(" ")[1] +
      " " + a.split(" ").at(-1)
  );

Deno.test("blue/green: start beside → healthy → switch → drain → stop and rm the old", async () => {
  const host = fakeHost("healthy");
  const deps = testDeps(root, { runner: recordingRunner(host.reply) });
  const t0 = deps.now().getTime();
  await blueGreen(deps, ctx, ["web"], 60, true, "fleet-proxy");
  assert.deepEqual(actions(deps.runner.steps), [
    "up --scale web=2",
    "reload",
    "stop old",
    "rm old",
  ]);
  assert.deepEqual(host.routes(), [
    other,
    { project: "shop-dev", service: "web", upstream: "shop-dev-web-2:3000" },
  ]);
  assert.deepEqual(host.containers(), ["new"]);
  assert.ok(deps.now().getTime() - t0 >= 3000, "the old one served for the drain");
  // the new container answered on its port before the switch, asked from inside the proxy
  const probe = deps.runner.argvs().findIndex((a) => a.includes("wget -q -O /dev/null"));
  const reload = deps.runner.argvs().findIndex((a) => a.includes("caddy reload"));
  assert.ok(probe >= 0 && probe < reload);
  assert.match(deps.runner.argvs()[probe], /http:\/\/shop-dev-web-2:3000\/$/);
});

Deno.test("blue/green: unhealthy new container — no switch, it is removed, the old serves on", async () => {
  const host = fakeHost("unhealthy");
  const deps = testDeps(root, { runner: recordingRunner(host.reply) });
  const e = await blueGreen(deps, ctx, ["web"], 60, true, "fleet-proxy").catch((e) => e);
  assert.ok(e instanceof NothingChangedByEngine, String(e));
  assert.match(
    e.message,
    /service web did not become ready: healthcheck failed .*nothing was switched/,
  );
  assert.deepEqual(actions(deps.runner.steps), ["up --scale web=2", "stop new", "rm new"]);
  assert.equal(host.routes()[1].upstream, "shop-dev-web-1:3000");
  assert.deepEqual(host.containers(), ["old"]);
  // with other services changed in the same release, it is a plain failure (the flow rolls back)
  const mixed = await blueGreen(
    testDeps(root, { runner: recordingRunner(fakeHost("unhealthy").reply) }),
    ctx,
    ["web"],
    60,
    false,
    "fleet-proxy",
  ).catch((e) => e);
  assert.ok(!(mixed instanceof NothingChangedByEngine));
});

Deno.test("blue/green: Ctrl-C in the drain — the new one serves, the old still goes", async () => {
  const host = fakeHost("healthy");
  const stop = new AbortController();
  const deps = testDeps(root, {
    runner: interruptible(recordingRunner(host.reply), stop.signal),
    signal: stop.signal,
    sleep: (ms: number) => {
      if (ms >= 1000) { // the drain
        stop.abort();
        return Promise.reject(new InterruptedError("interrupted"));
      }
      return Promise.resolve();
    },
  });
  const e = await blueGreen(deps, ctx, ["web"], 60, true, "fleet-proxy").catch((e) => e);
  assert.ok(e instanceof InterruptedError, String(e));
  assert.deepEqual(actions(deps.runner.steps), [
    "up --scale web=2",
    "reload",
    "stop old",
    "rm old",
  ]);
  assert.equal(host.routes()[1].upstream, "shop-dev-web-2:3000");
  assert.deepEqual(host.containers(), ["new"]);
});

Deno.test("blue/green: Ctrl-C in the health wait — the new one goes, the route stays", async () => {
  const host = fakeHost("healthy");
  const stop = new AbortController();
  const deps = testDeps(root, {
    runner: interruptible(
      recordingRunner((s) => {
        // the first health probe: the user presses Ctrl-C
        if (s.argv.includes("-O") && s.argv.join(" ").includes("wget")) stop.abort();
        return host.reply(s);
      }),
      stop.signal,
    ),
    signal: stop.signal,
  });
  const e = await blueGreen(deps, ctx, ["web"], 60, true, "fleet-proxy").catch((e) => e);
  assert.ok(e instanceof InterruptedError, String(e));
  assert.deepEqual(actions(deps.runner.steps), ["up --scale web=2", "stop new", "rm new"]);
  assert.equal(host.routes()[1].upstream, "shop-dev-web-1:3000");
  assert.deepEqual(host.containers(), ["old"]);
});

Deno.test("blue/green: a route another project holds is refused before anything starts", async () => {
  const taken = { ...other, host: undefined }; // blog's route for any host, which shop wants too
  const host = fakeHost("healthy", [taken]);
  const deps = testDeps(root, { runner: recordingRunner(host.reply) });
  const e = await blueGreen(deps, ctx, ["web"], 60, true, "fleet-proxy").catch((e) => e);
  assert.ok(e instanceof NothingChangedByEngine, String(e));
  assert.match(
    e.message,
    /the route \(any host\)\/ is served by blog-dev \(web\) through this proxy/,
  );
  assert.deepEqual(actions(deps.runner.steps), []);
  assert.doesNotMatch(deps.ui.text(), /warning/);
});
