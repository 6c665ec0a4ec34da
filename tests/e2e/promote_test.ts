/**
 * Issue 26: `fleet promote` of a single-platform image keeps its digest on any buildx (the test
 * bed's is 0.13, which would wrap it in a new list): the manifest is copied through the
 * registry's own API, blobs mounted; with a password-protected registry too.
 */
import assert from "node:assert/strict";
import { docker, e2e, fleet, type Testbed, uniqueName } from "./harness.ts";
import { tempProject } from "../helpers.ts";

/** A project whose dev and live stages use `registry`, and its web image pushed for dev. */
async function pushed(tb: Testbed, registry: string, config?: string) {
  const name = uniqueName("pr");
  const dir = tempProject({
    "Dockerfile": `FROM busybox\nRUN echo ${name} > /name\n`,
    "stages/_base.yaml":
      `project: ${name}\nregistry: ${registry}\nservices:\n  web: { build: {} }\n`,
    "stages/dev.yaml": "{}\n",
    "stages/live.yaml": "{}\n",
  });
  const ref = `${registry}/${name}-web-dev:latest`;
  const env: Record<string, string> = config ? { DOCKER_CONFIG: config } : {};
  await docker(tb.engine1, ["build", "-q", "-t", ref, dir], env);
  await docker(tb.engine1, ["push", "-q", ref], env);
  await docker(tb.engine1, ["rmi", ref], env);
  return { name, dir, ref, live: `${registry}/${name}-web-live:latest` };
}

/** The digest a registry gives a reference (HEAD of its manifest). */
async function digestOf(registry: string, repo: string, tag: string, auth?: string) {
  const r = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept: "application/vnd.docker.distribution.manifest.v2+json, " +
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
        "application/vnd.docker.distribution.manifest.list.v2+json",
      ...(auth ? { Authorization: `Basic ${btoa(auth)}` } : {}),
    },
  });
  assert.equal(r.status, 200, `${repo}:${tag}`);
  return r.headers.get("docker-content-digest");
}

e2e(
  "promote of a single-platform image keeps its digest (any buildx), by the registry's API",
  async (tb) => {
    const p = await pushed(tb, tb.registry);
    const r = await fleet(["promote", "dev", "live", "--json"], { cwd: p.dir });
    assert.equal(r.code, 0, r.stderr);
    const [svc] = JSON.parse(r.stdout).services;
    assert.equal(svc.identical, true, r.stderr);
    assert.equal(svc.digest, svc.sourceDigest);
    assert.doesNotMatch(r.stderr, /wraps a single-platform manifest/);
    const dev = await digestOf(tb.registry, `${p.name}-web-dev`, "latest");
    assert.equal(await digestOf(tb.registry, `${p.name}-web-live`, "latest"), dev);
  },
);

e2e(
  "promote through a registry with a password: the API logs in as fleet build does",
  async (tb) => {
    const pw = tb.authPassword;
    const config = Deno.makeTempDirSync({ prefix: "fleet-e2e-docker-config-" });
    try {
      const login = new Deno.Command("docker", {
        args: ["--config", config, "login", tb.authRegistry, "-u", tb.authUser, "--password-stdin"],
        env: { DOCKER_HOST: tb.engine1 },
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const w = login.stdin.getWriter();
      await w.write(new TextEncoder().encode(pw));
      await w.close();
      assert.ok((await login.status).success, "docker login");
      const p = await pushed(tb, tb.authRegistry, config);
      const r = await fleet(["promote", "dev", "live", "--json"], {
        cwd: p.dir,
        env: { FLEET_REGISTRY_USER: tb.authUser, FLEET_REGISTRY_PASSWORD: pw },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), "the password is not shown");
      const [svc] = JSON.parse(r.stdout).services;
      assert.equal(svc.identical, true, r.stderr);
      const auth = `${tb.authUser}:${pw}`;
      const dev = await digestOf(tb.authRegistry, `${p.name}-web-dev`, "latest", auth);
      assert.equal(await digestOf(tb.authRegistry, `${p.name}-web-live`, "latest", auth), dev);
    } finally {
      Deno.removeSync(config, { recursive: true });
    }
  },
);
