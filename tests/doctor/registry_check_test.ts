/** Registry checks: which hosts, which URL, where credentials come from, what the answer means. */
import assert from "node:assert/strict";
import {
  type Answer,
  askRegistry,
  findCredentials,
  loginCheck,
  reachCheck,
  registryHosts,
  registryUrl,
} from "../../lib/doctor/registry_check.ts";
import { DOCKER_HUB } from "../../lib/docker/registry_login.ts";
import { stageFixture } from "../helpers.ts";

Deno.test("registryHosts: the hosts of the built services' registries, once each", () => {
  const s = stageFixture([
    { name: "web", build: { context: "/p", args: {} } },
    { name: "api", build: { context: "/p", args: {} }, registry: "127.0.0.1:5000/x" },
    { name: "db", image: "postgres:16" },
  ], { registry: "ghcr.io/org" });
  assert.deepEqual(registryHosts(s), ["ghcr.io", "127.0.0.1:5000"]);
  assert.deepEqual(
    registryHosts(
      stageFixture([{ name: "web", build: { context: "/p", args: {} } }], { registry: "myorg" }),
    ),
    [DOCKER_HUB],
  );
});

Deno.test("registryUrl: http for loopback, https otherwise, Docker Hub's API host", () => {
  assert.equal(registryUrl("127.0.0.1:5400"), "http://127.0.0.1:5400/v2/");
  assert.equal(registryUrl("localhost:5000"), "http://localhost:5000/v2/");
  assert.equal(registryUrl("ghcr.io"), "https://ghcr.io/v2/");
  assert.equal(registryUrl(DOCKER_HUB), "https://registry-1.docker.io/v2/");
});

Deno.test("findCredentials: fleet's env first, then docker login, then a credential helper", () => {
  const env = { FLEET_REGISTRY_USER: "u", FLEET_REGISTRY_PASSWORD: "p" };
  assert.deepEqual(findCredentials("r.test", env, {}), {
    from: "FLEET_REGISTRY_USER/PASSWORD",
    basic: btoa("u:p"),
  });
  assert.equal(
    findCredentials("ghcr.io", { GITHUB_ACTOR: "me", GITHUB_TOKEN: "t" }, {})?.from,
    "GITHUB_ACTOR/TOKEN",
  );
  assert.deepEqual(findCredentials("r.test", {}, { auths: { "r.test": { auth: "eDp5" } } }), {
    from: "docker login (config.json)",
    basic: "eDp5",
  });
  assert.equal(
    findCredentials("r.test", {}, { credsStore: "desktop", auths: { "r.test": {} } })?.from,
    "docker login (config.json)",
  );
  assert.equal(
    findCredentials(DOCKER_HUB, {}, { auths: { [DOCKER_HUB]: {} } })?.from,
    "docker login (config.json)",
  );
  assert.equal(
    findCredentials("r.test", {}, { credHelpers: { "r.test": "ecr-login" } })?.from,
    "credential helper docker-credential-ecr-login",
  );
  assert.equal(findCredentials("r.test", {}, { credsStore: "desktop" }), undefined);
});

/** A fetch that answers each request from `reply` and records the Authorization headers. */
function fakeFetch(reply: (auth: string | null) => Response | Error) {
  const auths: (string | null)[] = [];
  const f = ((_url: string, init?: RequestInit) => {
    const auth = new Headers(init?.headers).get("authorization");
    auths.push(auth);
    const r = reply(auth);
    return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
  }) as typeof fetch;
  return { f, auths };
}

const basic401 = () =>
  new Response("", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="r"' } });

Deno.test("reachCheck: 200 and 401 answer; an error or another status does not", async () => {
  const ok = await askRegistry("127.0.0.1:9", fakeFetch(() => new Response("{}")).f);
  assert.deepEqual(reachCheck("r", "127.0.0.1:9", ok), {
    name: "r",
    ok: true,
    detail: "127.0.0.1:9 answers (HTTP 200)",
  });
  const login = await askRegistry("r.test", fakeFetch(basic401).f);
  assert.match(reachCheck("r", "r.test", login).detail, /HTTP 401, wants a login/);
  const refused = await askRegistry(
    "127.0.0.1:9",
    fakeFetch(() =>
      new TypeError("error sending request", {
        cause: new Error("Connection refused (os error 111)"),
      })
    ).f,
  );
  const c = reachCheck("r", "127.0.0.1:9", refused);
  assert.equal(c.ok, false);
  assert.equal(
    c.detail,
    "127.0.0.1:9 does not answer (http://127.0.0.1:9/v2/: connection refused)",
  );
  assert.match(c.fix ?? "", /start the registry on 127\.0\.0\.1:9/);
  const notRegistry = await askRegistry(
    "r.test",
    fakeFetch(() => new Response("", { status: 404 })).f,
  );
  assert.match(reachCheck("r", "r.test", notRegistry).detail, /is not a registry: .* HTTP 404/);
});

Deno.test("loginCheck: no login needed, missing, accepted or refused by a Basic registry", async () => {
  const open: Answer = { url: "u", status: 200, challenge: "" };
  const wants: Answer = { url: "u", status: 401, challenge: 'Basic realm="r"' };
  const none = fakeFetch(basic401);
  assert.equal(
    (await loginCheck("l", "r", "r.test", open, {}, {}, none.f)).detail,
    "no login needed",
  );
  const missing = await loginCheck("l", "r", "r.test", wants, {}, {}, none.f);
  assert.equal(missing.ok, false);
  assert.equal(missing.detail, "no credentials for r.test on this machine");
  assert.match(
    missing.fix ?? "",
    /^docker login r\.test, or set FLEET_REGISTRY_USER and FLEET_REGISTRY_PASSWORD$/,
  );
  const env = { FLEET_REGISTRY_USER: "u", FLEET_REGISTRY_PASSWORD: "right" };
  const good = fakeFetch((auth) =>
    auth === `Basic ${btoa("u:right")}` ? new Response("{}") : basic401()
  );
  const yes = await loginCheck("l", "r", "r.test", wants, env, {}, good.f);
  assert.deepEqual([yes.ok, yes.detail], [
    true,
    "r.test accepts the credentials from FLEET_REGISTRY_USER/PASSWORD",
  ]);
  const no = await loginCheck(
    "l",
    "r",
    "r.test",
    wants,
    { ...env, FLEET_REGISTRY_PASSWORD: "wrong" },
    {},
    good.f,
  );
  assert.deepEqual([no.ok, no.detail], [
    false,
    "r.test refuses the credentials from FLEET_REGISTRY_USER/PASSWORD",
  ]);
  assert.ok(!JSON.stringify([yes, no]).includes("right"), "no secret in a check");
  const half = await loginCheck(
    "l",
    "r",
    "r.test",
    wants,
    { FLEET_REGISTRY_USER: "u" },
    {},
    none.f,
  );
  assert.match(half.detail, /FLEET_REGISTRY_PASSWORD is not set/);
  const skipped = await loginCheck("l", "r", "r.test", { url: "u", error: "x" }, {}, {}, none.f);
  assert.deepEqual([skipped.ok, skipped.skipped], [false, true]);
});
