/** Registry login planning and the temporary DOCKER_CONFIG (lib/docker/registry_login.ts, lib/docker/docker_config.ts). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/core/errors.ts";
import {
  credentialsFor,
  DOCKER_HUB,
  planLogins,
  registryHost,
} from "../../lib/docker/registry_login.ts";
import {
  makeDockerConfig,
  tempConfigJson,
  userDockerConfigDir,
} from "../../lib/docker/docker_config.ts";

Deno.test("registryHost: the first component when it is a host, else Docker Hub", () => {
  assert.equal(registryHost("ghcr.io/org/app:1"), "ghcr.io");
  assert.equal(registryHost("127.0.0.1:5400/app-dev:latest"), "127.0.0.1:5400");
  assert.equal(registryHost("localhost/app:1"), "localhost");
  assert.equal(registryHost("myorg/app:1"), DOCKER_HUB);
  assert.equal(registryHost("app:1"), DOCKER_HUB);
});

Deno.test("credentials: FLEET_REGISTRY_* first, GITHUB_* only for ghcr.io, else none", () => {
  const gh = { GITHUB_ACTOR: "octo", GITHUB_TOKEN: "ghs_x" };
  const fl = { FLEET_REGISTRY_USER: "bot", FLEET_REGISTRY_PASSWORD: "pw" };
  assert.equal(credentialsFor("ghcr.io", gh)?.user, "octo");
  assert.equal(credentialsFor("ghcr.io", { ...gh, ...fl })?.user, "bot");
  assert.equal(credentialsFor("r.example", gh), undefined);
  assert.equal(credentialsFor("r.example", {}), undefined);
  assert.deepEqual(credentialsFor("r.example", fl), {
    user: "bot",
    password: "pw",
    from: "FLEET_REGISTRY_USER/PASSWORD",
  });
});

Deno.test("credentials: only one of FLEET_REGISTRY_USER/PASSWORD is a usage error", () => {
  assert.throws(
    () => credentialsFor("r.example", { FLEET_REGISTRY_USER: "bot" }),
    (e) =>
      e instanceof UsageError &&
      e.message === "FLEET_REGISTRY_PASSWORD is not set, but FLEET_REGISTRY_USER is",
  );
  assert.throws(() => credentialsFor("r.example", { FLEET_REGISTRY_PASSWORD: "x" }), UsageError);
});

Deno.test("planLogins: one step per host with credentials; Docker Hub has no server argument", () => {
  const env = { GITHUB_ACTOR: "octo", GITHUB_TOKEN: "ghs_x" };
  const steps = planLogins(["ghcr.io", "r.example", "ghcr.io"], env, "/t/c");
  assert.deepEqual(steps.map((s) => [s.argv.join(" "), s.input, s.env]), [
    ["docker login ghcr.io -u octo --password-stdin", "ghs_x", { DOCKER_CONFIG: "/t/c" }],
  ]);
  const hub = planLogins(
    [DOCKER_HUB],
    { FLEET_REGISTRY_USER: "u", FLEET_REGISTRY_PASSWORD: "p" },
    "/c",
  );
  assert.deepEqual(hub[0].argv, ["docker", "login", "-u", "u", "--password-stdin"]);
});

Deno.test("tempConfigJson keeps the user's settings, forces fleet's hosts to the file store", () => {
  const user = {
    auths: { "r.example": { auth: "old" }, "other.example": { auth: "keep" } },
    credsStore: "desktop",
    credHelpers: { "gcr.io": "gcloud" },
    currentContext: "remote",
  };
  assert.deepEqual(tempConfigJson(user, ["r.example"]), {
    auths: { "other.example": { auth: "keep" } },
    credsStore: "desktop",
    credHelpers: { "gcr.io": "gcloud", "r.example": "" },
    currentContext: "remote",
  });
});

Deno.test("userDockerConfigDir: DOCKER_CONFIG, else ~/.docker", () => {
  assert.equal(userDockerConfigDir({ DOCKER_CONFIG: "/c", HOME: "/h" }), "/c");
  assert.equal(userDockerConfigDir({ HOME: "/h" }), "/h/.docker");
});

Deno.test("makeDockerConfig: copies config.json, links plugins/contexts/buildx; removing it leaves the user's", async () => {
  const user = await Deno.makeTempDir();
  const tmp = await Deno.makeTempDir();
  await Deno.writeTextFile(join(user, "config.json"), JSON.stringify({ currentContext: "x" }));
  await Deno.mkdir(join(user, "buildx", "instances"), { recursive: true });
  await Deno.writeTextFile(join(user, "buildx", "current"), "keep me");
  await Deno.mkdir(join(user, "contexts"));
  const dir = join(tmp, "docker-config");
  await makeDockerConfig(dir, user, ["r.example"]);
  assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(join(dir, "config.json"))).mode! & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))), {
    currentContext: "x",
    auths: {},
    credHelpers: { "r.example": "" },
  });
  assert.equal(await Deno.readLink(join(dir, "buildx")), join(user, "buildx"));
  assert.equal(await Deno.readLink(join(dir, "contexts")), join(user, "contexts"));
  assert.equal(await Deno.stat(join(dir, "cli-plugins")).catch(() => "absent"), "absent");
  // the script removes the temp dir recursively: the links go, not what they point to
  await Deno.remove(tmp, { recursive: true });
  assert.equal(await Deno.readTextFile(join(user, "buildx", "current")), "keep me");
  await Deno.remove(user, { recursive: true });
});

Deno.test("makeDockerConfig: no user config is fine", async () => {
  const tmp = await Deno.makeTempDir();
  await makeDockerConfig(join(tmp, "c"), join(tmp, "none"), ["h"]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(tmp, "c", "config.json"))), {
    auths: {},
    credHelpers: { h: "" },
  });
  await Deno.remove(tmp, { recursive: true });
});
