/** A tiny app for e2e deploys: busybox httpd serving CONTENT, images pushed to the test registry. */
import { join } from "node:path";
import { docker, fleet, type FleetRun, freePort, type Testbed, uniqueName } from "./harness.ts";
import { tempProject } from "../helpers.ts";
import type { Engine, MatrixTestbed } from "./engines.ts";

import { DOCKERFILE } from "../../testbed/hosts_app.ts";

export { DOCKERFILE };

export interface App {
  readonly tb: Testbed;
  readonly dir: string;
  readonly project: string;
  readonly port: number;
  readonly host: string; // DOCKER_HOST the stage deploys to
  readonly repo: string; // registry/repo of the web service (stage dev)
  /** Write stages/dev.yaml with these extra lines under services.web (and extra top-level lines). */
  stage(webExtra?: string, top?: string, more?: string): void;
  /** Build CONTENT into the web image and push it with this tag. */
  push(content: string, tag?: string): Promise<void>;
  run(args: string[], env?: Record<string, string>, stdin?: string): Promise<FleetRun>;
  get(path?: string): Promise<string>;
  containers(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/**
 * A fresh project deploying to `host` (engine 2 socket by default, or over ssh, or the engine
 * of a matrix test, tests/e2e/engines.ts, with its own name for the registry).
 */
export function makeApp(
  tb: Testbed | MatrixTestbed,
  opts: { ssh?: boolean; dir?: string; project?: string; engine?: Engine } = {},
): App {
  if ("engine" in tb && !opts.engine) opts = { ...opts, engine: tb.engine };
  const project = opts.project ?? uniqueName("e2e");
  const dir = opts.dir ?? tempProject({ "Dockerfile": DOCKERFILE });
  const port = freePort();
  const host = opts.ssh ? tb.sshHost : opts.engine?.host ?? tb.engine2;
  const registry = opts.engine?.registry ?? tb.registry;
  const repo = `${registry}/${project}-web-dev`;
  const path = { PATH: `${tb.sshBin}:${Deno.env.get("PATH")}` };
  const env = { ...path, DOCKER_HOST: "" }; // fleet must take the host from the stage file
  const app: App = {
    tb,
    dir,
    project,
    port,
    host,
    repo,
    stage(webExtra = "", top = "", more = "") {
      Deno.writeTextFileSync(
        join(dir, "stages/dev.yaml"),
        `project: ${project}\nregistry: ${registry}\nhost: ${host}\n${top}services:\n  web:\n    build: {}\n` +
          `    ports: ["127.0.0.1:${port}:8080"]\n    volumes: ["data:/data"]\n${webExtra}${more}`,
      );
    },
    async push(content, tag = "latest") {
      await docker(tb.engine1, [
        "build",
        "-q",
        "--build-arg",
        `CONTENT=${content}`,
        "-t",
        `${repo}:${tag}`,
        dir,
      ]);
      await docker(tb.engine1, ["push", "-q", `${repo}:${tag}`]);
    },
    run: (args, extra = {}, stdin?: string) =>
      fleet(args, { cwd: dir, env: { ...env, ...extra }, stdin }),
    async get(path = "/") {
      // an engine in its own network namespace: ask from inside the web container
      if (opts.engine && !opts.engine.loopback) return await getInside(app, path);
      let last = "";
      for (let i = 0; i < 50; i++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}${path}`);
          return (await r.text()).trim();
        } catch (e) {
          last = String(e);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`nothing serves on ${port}: ${last}`);
    },
    async containers() {
      const out = await docker(host, [
        "ps",
        "-a",
        "--filter",
        `label=com.docker.compose.project=${project}-dev`,
        "--format",
        '{{.Label "com.docker.compose.service"}} {{.ID}}',
      ], path);
      return Object.fromEntries(out.trim().split("\n").filter(Boolean).map((l) => l.split(" ")));
    },
    async cleanup() {
      const p = `${project}-dev`;
      const h = (args: string[]) => docker(host, args, path).catch(() => "");
      const list = async (args: string[]) => (await h(args)).trim().split("\n").filter(Boolean);
      const cs = await list(["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`]);
      if (cs.length) await h(["rm", "-f", ...cs]);
      await h(["rm", "-f", `fleet-lock-${p}`]);
      const models = await list(["ps", "-aq", "--filter", `label=dev.fleet.release.model-of=${p}`]);
      if (models.length) await h(["rm", "-f", ...models]);
      const vols = await list(["volume", "ls", "-q", "--filter", `name=${p}`]);
      // the tags fleet kept: fleet-<release id> (any repository) and fleet-prev-<project>-<service>
      const ids = vols.map((v) => v.replace(`fleet-release-${p}-`, "")).filter((v) =>
        v.startsWith("r")
      );
      const kept = (await list(["images", "--format", "{{.Repository}}:{{.Tag}}"])).filter((t) =>
        t.includes(`:fleet-prev-${p}-`) || ids.some((id) => t.endsWith(`:fleet-${id}`))
      );
      if (kept.length) await h(["rmi", ...kept]);
      if (vols.length) await h(["volume", "rm", "-f", ...vols]);
      await h(["network", "rm", `${p}_default`]);
      const imgs = await list(["images", "-q", repo]);
      if (imgs.length) await h(["rmi", "-f", ...new Set(imgs)]);
      const local = (await docker(tb.engine1, ["images", "-q", repo]).catch(() => "")).trim();
      if (local) {
        await docker(tb.engine1, ["rmi", "-f", ...new Set(local.split("\n"))]).catch(() => "");
      }
    },
  };
  Deno.mkdirSync(join(dir, "stages"), { recursive: true });
  app.stage();
  return app;
}

/** GET a path of the web service from inside its container (busybox wget). */
async function getInside(app: App, path: string): Promise<string> {
  let last = "";
  for (let i = 0; i < 50; i++) {
    const web = (await app.containers()).web;
    const r = web
      ? await docker(app.host, ["exec", web, "wget", "-qO-", `http://127.0.0.1:8080${path}`])
        .catch((e) => (last = String(e), undefined))
      : undefined;
    if (r !== undefined) return r.trim();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing serves in the web container: ${last}`);
}

/** Indexes of the compose subcommands in a docker shim's log. */
export function composeOrder(calls: string[], sub: string): number[] {
  return calls.flatMap((c, i) =>
    (c.includes(" compose ") || c.startsWith("compose ")) && c.includes(` -f - ${sub} `) ? [i] : []
  );
}
