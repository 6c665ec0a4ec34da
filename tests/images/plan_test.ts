/** Plan tests for `fleet build`: exact argv for each option (lib/images/plan.ts). */
import assert from "node:assert/strict";
import { stageFixture } from "../helpers.ts";
import { type BuildOptions, resolveBuilds } from "../../lib/images/inputs.ts";
import { planBuild } from "../../lib/images/plan.ts";
import { showStep } from "../../lib/core/run.ts";
import type { Service, Stage } from "../../lib/config/stage.ts";

const web: Service = { name: "web", build: { context: "/p", args: {} } };
const files = new Set(["/p", "/p/services/web/Dockerfile", "/p/Dockerfile.api", "/p/Dockerfile"]);

function stage(over: Partial<Stage> = {}, services: Service[] = [web]): Stage {
  return stageFixture(services, over);
}

const local = (over: Partial<Stage> = {}, services?: Service[]) =>
  stage({ name: "local", local: true, platform: undefined, buildx: false, ...over }, services);

/** The argv of every step, joined; env is the environment the plan is made with. */
function plan(s: Stage, opts: BuildOptions = {}, env: Record<string, string> = {}) {
  const builds = resolveBuilds(s, opts, env, (p) => files.has(p));
  return planBuild(s, builds, opts, { tmp: "/t", env });
}
const argvs = (s: Stage, opts: BuildOptions = {}, env: Record<string, string> = {}) =>
  plan(s, opts, env).services.flatMap((p) => p.steps.map((st) => st.argv.join(" ")));

Deno.test("local: docker build, native platform, -f the Dockerfile found, context last", () => {
  assert.deepEqual(argvs(local()), [
    "docker build -t reg.example/team/app-web-local:latest -f /p/services/web/Dockerfile /p",
  ]);
});

Deno.test("local: --platform is passed only when set", () => {
  assert.deepEqual(argvs(local(), { platform: "linux/arm64" }), [
    "docker build --platform linux/arm64 -t reg.example/team/app-web-local:latest" +
    " -f /p/services/web/Dockerfile /p",
  ]);
  assert.deepEqual(argvs(local({ platform: "linux/riscv64" })), [
    "docker build --platform linux/riscv64 -t reg.example/team/app-web-local:latest" +
    " -f /p/services/web/Dockerfile /p",
  ]);
});

Deno.test("local: --target, --build-arg, --no-cache", () => {
  const svc: Service = { name: "web", build: { context: "/p", target: "prod", args: { A: "1" } } };
  assert.deepEqual(argvs(local({}, [svc]), { cache: false }), [
    "docker build -t reg.example/team/app-web-local:latest -f /p/services/web/Dockerfile" +
    " --target prod --build-arg A=1 --no-cache /p",
  ]);
});

Deno.test("local: --tag overrides the stage's tag; no registry gives a bare name", () => {
  assert.deepEqual(argvs(local({ registry: undefined }), { tag: "v2" }), [
    "docker build -t app-web-local:v2 -f /p/services/web/Dockerfile /p",
  ]);
});

Deno.test("cloud: buildx with platform, plain progress, registry cache, load without --push", () => {
  const p = plan(stage());
  assert.deepEqual(p.services[0].steps.map((s) => s.argv), [[
    ...["docker", "buildx", "build", "--platform", "linux/amd64", "--progress", "plain"],
    ...["-t", "reg.example/team/app-web-dev:latest", "-f", "/p/services/web/Dockerfile"],
    ...["--cache-from", "type=registry,ref=reg.example/team/app-web-dev:latest"],
    ...["--cache-to", "type=inline", "--load", "--metadata-file", "/t/web.metadata.json", "/p"],
  ]]);
  assert.equal(p.services[0].metadataFile, "/t/web.metadata.json");
  assert.equal(p.services[0].push, false);
  assert.deepEqual(p.logins, []);
  assert.equal(p.services[0].steps[0].env, undefined, "no DOCKER_CONFIG without credentials");
});

Deno.test("cloud: --push replaces --load", () => {
  assert.deepEqual(argvs(stage(), { push: true }), [
    "docker buildx build --platform linux/amd64 --progress plain" +
    " -t reg.example/team/app-web-dev:latest -f /p/services/web/Dockerfile" +
    " --cache-from type=registry,ref=reg.example/team/app-web-dev:latest --cache-to type=inline" +
    " --push --metadata-file /t/web.metadata.json /p",
  ]);
});

Deno.test("cloud: --platform overrides the stage's platform", () => {
  assert.match(
    argvs(stage(), { platform: "linux/arm64" })[0],
    /^docker buildx build --platform linux\/arm64 --progress/,
  );
});

Deno.test("cloud: no registry, no --cache-from", () => {
  assert.deepEqual(argvs(stage({ registry: undefined })), [
    "docker buildx build --platform linux/amd64 --progress plain -t app-web-dev:latest" +
    " -f /p/services/web/Dockerfile --cache-to type=inline --load" +
    " --metadata-file /t/web.metadata.json /p",
  ]);
});

Deno.test("cloud: --no-cache drops --cache-from and adds --no-cache before the context", () => {
  assert.deepEqual(argvs(stage(), { push: true, cache: false }), [
    "docker buildx build --platform linux/amd64 --progress plain" +
    " -t reg.example/team/app-web-dev:latest -f /p/services/web/Dockerfile" +
    " --cache-to type=inline --push --metadata-file /t/web.metadata.json --no-cache /p",
  ]);
});

Deno.test("cloud: --registry and --tag name the image, cache ref follows", () => {
  assert.deepEqual(argvs(stage(), { registry: "127.0.0.1:5400/x/", tag: "t1" }), [
    "docker buildx build --platform linux/amd64 --progress plain" +
    " -t 127.0.0.1:5400/x/app-web-dev:t1 -f /p/services/web/Dockerfile" +
    " --cache-from type=registry,ref=127.0.0.1:5400/x/app-web-dev:t1 --cache-to type=inline" +
    " --load --metadata-file /t/web.metadata.json /p",
  ]);
});

Deno.test("--tag repeated: one build with -t per tag, cache from the first, every tag pushed", () => {
  assert.deepEqual(argvs(stage(), { tag: ["latest", "sha-1", "latest"], push: true }), [
    "docker buildx build --platform linux/amd64 --progress plain" +
    " -t reg.example/team/app-web-dev:latest -t reg.example/team/app-web-dev:sha-1" +
    " -f /p/services/web/Dockerfile" +
    " --cache-from type=registry,ref=reg.example/team/app-web-dev:latest --cache-to type=inline" +
    " --push --metadata-file /t/web.metadata.json /p",
  ]);
  assert.deepEqual(argvs(stage({ buildx: false }), { tag: ["v1", "sha-1"], push: true }), [
    "docker build --platform linux/amd64 -t reg.example/team/app-web-dev:v1" +
    " -t reg.example/team/app-web-dev:sha-1 -f /p/services/web/Dockerfile /p",
    "docker push reg.example/team/app-web-dev:v1",
    "docker push reg.example/team/app-web-dev:sha-1",
  ]);
  assert.deepEqual(plan(stage(), { tag: ["a", "b"] }).services[0].refs, [
    "reg.example/team/app-web-dev:a",
    "reg.example/team/app-web-dev:b",
  ]);
});

Deno.test("cloud: --target and literal --build-arg K=V", () => {
  const svc: Service = {
    name: "web",
    build: { context: "/p", target: "prod", args: { NODE_ENV: "production", N: "1" } },
  };
  assert.match(
    argvs(stage({}, [svc]))[0],
    / -f \/p\/services\/web\/Dockerfile --target prod --build-arg NODE_ENV=production --build-arg N=1 --cache-from /,
  );
});

Deno.test("a ${VAR} build arg goes as --build-arg K with its value in secretEnv, never argv", () => {
  const svc: Service = {
    name: "web",
    build: { context: "/p", args: { TOKEN: "${NPM_TOKEN}", V: "v${VER:-1}-x", L: "lit" } },
  };
  for (const s of [stage({}, [svc]), local({}, [svc])]) {
    const step = plan(s, {}, { NPM_TOKEN: "s3cr3t-token" }).services[0].steps[0];
    assert.deepEqual(step.secretEnv, { TOKEN: "s3cr3t-token", V: "v1-x" });
    const argv = step.argv.join(" ");
    assert.match(argv, / --build-arg L=lit --build-arg TOKEN --build-arg V /);
    assert.ok(!argv.includes("s3cr3t-token") && !argv.includes("v1-x"));
  }
});

Deno.test("build.secrets: --secret id=…,env=… (exact argv), the value only in secretEnv", () => {
  const svc: Service = {
    name: "web",
    build: { context: "/p", args: {}, secrets: [{ id: "npm_token", env: "NPM_TOKEN" }] },
  };
  const env = { NPM_TOKEN: "s3cr3t-npm" };
  const x = plan(stage({}, [svc]), {}, env).services[0].steps[0];
  assert.deepEqual(x.argv, [
    ...["docker", "buildx", "build", "--platform", "linux/amd64", "--progress", "plain"],
    ...["-t", "reg.example/team/app-web-dev:latest", "-f", "/p/services/web/Dockerfile"],
    ...["--secret", "id=npm_token,env=NPM_TOKEN"],
    ...["--cache-from", "type=registry,ref=reg.example/team/app-web-dev:latest"],
    ...["--cache-to", "type=inline", "--load", "--metadata-file", "/t/web.metadata.json", "/p"],
  ]);
  assert.deepEqual(x.secretEnv, env);
  assert.equal(x.env, undefined);
  const l = plan(local({}, [svc]), {}, env).services[0].steps[0];
  assert.deepEqual(l.argv, [
    ...["docker", "build", "-t", "reg.example/team/app-web-local:latest"],
    ...["-f", "/p/services/web/Dockerfile", "--secret", "id=npm_token,env=NPM_TOKEN", "/p"],
  ]);
  assert.deepEqual(
    l.env,
    { DOCKER_BUILDKIT: "1" },
    "docker build of Docker 20.10 needs BuildKit on",
  );
  assert.deepEqual(l.secretEnv, env);
  assert.equal(showStep(l), "DOCKER_BUILDKIT=1 NPM_TOKEN=*** " + l.argv.join(" "));
});

Deno.test("build.secrets: an unset env, or one docker reads itself, is a config error", () => {
  const svc = (env: string): Service => ({
    name: "web",
    build: { context: "/p", args: {}, secrets: [{ id: "npm", env }] },
  });
  assert.throws(() => plan(stage({}, [svc("NPM_TOKEN")])), {
    message: "stages/dev.yaml: services.web.build.secrets.0.env: NPM_TOKEN (secret npm) is not set",
  });
  assert.throws(() => plan(stage({}, [svc("DOCKER_HOST")]), {}, { DOCKER_HOST: "x" }), {
    message: "stages/dev.yaml: services.web.build.secrets.0.env: the secret npm cannot be read " +
      "from DOCKER_HOST",
  });
});

Deno.test("--registry and --platform are checked before anything runs (never a flag)", () => {
  assert.throws(() => plan(stage(), { registry: "--help" }), {
    message: /^--registry "--help": not a registry/,
  });
  assert.throws(() => plan(stage(), { platform: "linux" }), {
    message: /^--platform: "linux" is not os\/arch\[\/variant\]/,
  });
});

Deno.test("the Dockerfile: first of the SPEC's candidates that exists, or the one set", () => {
  const api: Service = { name: "api", build: { context: "/p", args: {} } };
  const set: Service = {
    name: "set",
    build: { context: "/p", dockerfile: "/p/Dockerfile", args: {} },
  };
  assert.deepEqual(argvs(local({}, [api, set])), [
    "docker build -t reg.example/team/app-api-local:latest -f /p/Dockerfile.api /p",
    "docker build -t reg.example/team/app-set-local:latest -f /p/Dockerfile /p",
  ]);
});

Deno.test("buildx: false on a cloud stage: docker build, then docker push with --push", () => {
  assert.deepEqual(argvs(stage({ buildx: false }), { push: true }), [
    "docker build --platform linux/amd64 -t reg.example/team/app-web-dev:latest" +
    " -f /p/services/web/Dockerfile /p",
    "docker push reg.example/team/app-web-dev:latest",
  ]);
});

Deno.test("-n builds only the services named, in file order", () => {
  const api: Service = { name: "api", build: { context: "/p", args: {} } };
  const p = plan(stage({}, [web, api]), { service: ["api"] });
  assert.deepEqual(p.services.map((s) => s.service), ["api"]);
  const q = plan(stage({}, [web, api]), { service: ["api", "web", "api"] });
  assert.deepEqual(q.services.map((s) => s.service), ["web", "api"]);
});

Deno.test("credentials: login first (password on stdin), DOCKER_CONFIG on every step", () => {
  const env = { FLEET_REGISTRY_USER: "bot", FLEET_REGISTRY_PASSWORD: "pw-123456" };
  const p = plan(stage(), { push: true }, env);
  assert.deepEqual(p.logins, [{
    kind: "login",
    title: "log in to reg.example (FLEET_REGISTRY_USER/PASSWORD)",
    argv: ["docker", "login", "reg.example", "-u", "bot", "--password-stdin"],
    env: { DOCKER_CONFIG: "/t/docker-config" },
    input: "pw-123456",
  }]);
  assert.equal(p.dockerConfig, "/t/docker-config");
  assert.deepEqual(p.loginHosts, ["reg.example"]);
  assert.deepEqual(p.services[0].steps[0].env, { DOCKER_CONFIG: "/t/docker-config" });
  const all = [...p.logins, ...p.services.flatMap((s) => s.steps)];
  assert.ok(all.every((s) => !s.argv.join(" ").includes("pw-123456")));
});

Deno.test("credentials: buildx: false pushes with the same DOCKER_CONFIG", () => {
  const env = { FLEET_REGISTRY_USER: "bot", FLEET_REGISTRY_PASSWORD: "pw-123456" };
  const p = plan(stage({ buildx: false }), { push: true }, env);
  assert.deepEqual(p.services[0].steps.map((s) => s.env), [
    { DOCKER_CONFIG: "/t/docker-config" },
    { DOCKER_CONFIG: "/t/docker-config" },
  ]);
});

Deno.test("credentials: no login where the build does not talk to a registry", () => {
  const env = { FLEET_REGISTRY_USER: "bot", FLEET_REGISTRY_PASSWORD: "pw" };
  assert.deepEqual(plan(local(), {}, env).logins, []);
  assert.deepEqual(plan(stage({ registry: undefined }), {}, env).logins, []);
  assert.deepEqual(plan(stage(), { cache: false }, env).logins, [], "loads, no cache-from");
  assert.equal(plan(stage(), { cache: false }, env).services[0].steps[0].env, undefined);
});

Deno.test("showStep: env first, secret values as ***, stdin noted, odd args quoted", () => {
  assert.equal(
    showStep({
      kind: "build",
      title: "t",
      argv: ["docker", "build", "--build-arg", "A=a b", "/p"],
      env: { DOCKER_CONFIG: "/t/c" },
      secretEnv: { TOKEN: "s3cr3t" },
    }),
    "DOCKER_CONFIG=/t/c TOKEN=*** docker build --build-arg 'A=a b' /p",
  );
  assert.equal(
    showStep({
      kind: "login",
      title: "t",
      argv: ["docker", "login", "-u", "x", "--password-stdin"],
      input: "pw",
    }),
    "docker login -u x --password-stdin < (stdin)",
  );
});
