/** Config tests for `fleet build`: what is built, ${VAR} resolution, and the errors (exit 2). */
import assert from "node:assert/strict";
import { errorOf, stageFixture } from "../helpers.ts";
import { type BuildOptions, interpolatePath, resolveBuilds } from "../../lib/images/inputs.ts";
import { ConfigError, UsageError } from "../../lib/core/errors.ts";
import type { Service, Stage } from "../../lib/config/stage.ts";

const web: Service = { name: "web", build: { context: "/p", args: {} } };
const db: Service = { name: "db", image: "postgres:16" };

function stage(over: Partial<Stage> = {}, services: Service[] = [web, db]): Stage {
  return stageFixture(services, over);
}

function resolve(
  s: Stage,
  opts: BuildOptions = {},
  env: Record<string, string> = {},
  files = ["/p", "/p/Dockerfile"],
) {
  return resolveBuilds(s, opts, env, (p) => files.includes(p));
}

Deno.test("${VAR} in context, dockerfile and target is resolved into the path or name", () => {
  const svc: Service = {
    name: "web",
    build: {
      context: "/p/${APP_DIR}",
      dockerfile: "/p/${APP_DIR}/${DF:-docker/Dockerfile}",
      target: "${TARGET}",
      args: {},
    },
  };
  const [b] = resolve(stage({}, [svc]), {}, { APP_DIR: "app", TARGET: "prod" }, [
    "/p/app",
    "/p/app/docker/Dockerfile",
  ]);
  assert.deepEqual([b.context, b.dockerfile, b.target], [
    "/p/app",
    "/p/app/docker/Dockerfile",
    "prod",
  ]);
});

Deno.test("an absolute ${VAR} value starts the path over", () => {
  assert.equal(interpolatePath("/p/${D}/x", { D: "/srv/app" }), "/srv/app/x");
  assert.equal(interpolatePath("/p/${D:-a/b}/x", {}), "/p/a/b/x");
  assert.equal(interpolatePath("/p/x", {}), "/p/x");
});

Deno.test("an unset ${VAR} without default in build settings: ConfigError naming each", () => {
  const svc: Service = {
    name: "web",
    build: { context: "/p/${CTX}", args: { TOKEN: "${NPM_TOKEN}", OK: "${SET}", D: "${X:-1}" } },
  };
  const e = errorOf(() => resolve(stage({}, [svc]), {}, { SET: "y" }));
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    "stages/dev.yaml: services.web.build.context: ${CTX} is not set (and has no default)\n" +
      "stages/dev.yaml: services.web.build.args.TOKEN: ${NPM_TOKEN} is not set (and has no default)",
  );
  assert.equal(e.hint, "set CTX, NPM_TOKEN in the environment, or give a default: ${CTX:-value}");
});

Deno.test("build args in every variable form: checked, passed through the env, $$ literal", () => {
  const svc: Service = {
    name: "web",
    build: { context: "/p", args: { A: "$TOK", B: "${M:?need M}", C: "a$$b", D: "${N:+on}" } },
  };
  const e = errorOf(() => resolve(stage({}, [svc]), {}, {}));
  assert.equal(
    e.message,
    "stages/dev.yaml: services.web.build.args.A: ${TOK} is not set (and has no default)\n" +
      "stages/dev.yaml: services.web.build.args.B: ${M} is not set: need M",
  );
  const [b] = resolve(stage({}, [svc]), {}, { TOK: "t0k", M: "m" });
  assert.deepEqual(b.args, { C: "a$b" });
  assert.deepEqual(b.secretArgs, { A: "t0k", B: "m", D: "" });
});

Deno.test("a variable set to the empty string counts as set", () => {
  const svc: Service = { name: "web", build: { context: "/p", args: { A: "${E}" } } };
  assert.deepEqual(resolve(stage({}, [svc]), {}, { E: "" })[0].secretArgs, { A: "" });
});

Deno.test("services that are not selected are not checked", () => {
  const bad: Service = { name: "bad", build: { context: "/p", args: { T: "${UNSET}" } } };
  const b = resolve(stage({}, [web, bad]), { service: ["web"] });
  assert.deepEqual(b.map((x) => x.service), ["web"]);
});

Deno.test("a ${VAR} build arg may not be named like docker's own environment", () => {
  const svc: Service = { name: "web", build: { context: "/p", args: { DOCKER_HOST: "${H}" } } };
  const e = errorOf(() => resolve(stage({}, [svc]), {}, { H: "x" }));
  assert.ok(e instanceof ConfigError);
  assert.match(e.message, /services\.web\.build\.args\.DOCKER_HOST: a build arg set from/);
});

Deno.test("no Dockerfile: names the candidates looked for", () => {
  const e = errorOf(() => resolve(stage(), {}, {}, ["/p"]));
  assert.ok(e instanceof ConfigError);
  assert.equal(
    e.message,
    "stages/dev.yaml: services.web.build: no Dockerfile found (looked for " +
      "services/web/Dockerfile, web/Dockerfile, Dockerfile.web, Dockerfile)",
  );
});

Deno.test("a dockerfile that is set but missing; a context that is missing", () => {
  const set: Service = {
    name: "web",
    build: { context: "/p", dockerfile: "/p/app/Dockerfile", args: {} },
  };
  assert.equal(
    errorOf(() => resolve(stage({}, [set]))).message,
    "stages/dev.yaml: services.web.build.dockerfile: app/Dockerfile does not exist",
  );
  const ctx: Service = { name: "web", build: { context: "/p/nope", args: {} } };
  assert.equal(
    errorOf(() => resolve(stage({}, [ctx]))).message,
    "stages/dev.yaml: services.web.build.context: nope does not exist",
  );
});

Deno.test("-n: an unknown service lists the buildable ones (with did you mean)", () => {
  const e = errorOf(() => resolve(stage(), { service: ["wbe"] }));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, `unknown service "wbe" (did you mean "web"?) (buildable services: web)`);
});

Deno.test("-n: a service without build: is refused, listing the buildable ones", () => {
  const e = errorOf(() => resolve(stage(), { service: ["db"] }));
  assert.ok(e instanceof UsageError);
  assert.equal(
    e.message,
    `service "db" has no build: in stages/dev.yaml, nothing to build (buildable services: web)`,
  );
  assert.equal(e.hint, "it uses the image postgres:16 as is");
});

Deno.test("a stage with nothing to build is a usage error", () => {
  const e = errorOf(() => resolve(stage({}, [db])));
  assert.ok(e instanceof UsageError);
  assert.match(e.message, /^stage "dev" has no service with build:/);
});

Deno.test("--push on local is refused", () => {
  const e = errorOf(() => resolve(stage({ name: "local", local: true }), { push: true }));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, `--push is refused on stage "local": local images are never pushed`);
});

Deno.test("--push without a registry says where to set one", () => {
  const e = errorOf(() => resolve(stage({ registry: undefined }), { push: true }));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, "--push needs a registry, and none is set for web");
  assert.match(
    e.hint!,
    /--registry .*registry: in stages\/dev\.yaml or stages\/_base\.yaml.*service/,
  );
});

Deno.test("--push: a registry on the service, --registry, or a namespaced image: is enough", () => {
  const own: Service = { name: "web", registry: "r.example/x", build: web.build };
  assert.equal(resolve(stage({ registry: undefined }, [own]), { push: true })[0].registry, true);
  assert.equal(
    resolve(stage({ registry: undefined }), { push: true, registry: "r.example" })[0].ref,
    "r.example/app-web-dev:latest",
  );
  const img: Service = { name: "web", image: "myorg/web", build: web.build };
  assert.equal(
    resolve(stage({ registry: undefined }, [img]), { push: true })[0].ref,
    "myorg/web:latest",
  );
});

Deno.test("--tag must be a valid tag", () => {
  const e = errorOf(() => resolve(stage(), { tag: "a:b" }));
  assert.ok(e instanceof UsageError);
  assert.equal(e.message, `--tag "a:b" is not a valid image tag`);
});
