/**
 * A tiny app on the test bed's 3-node swarm, for the Swarm e2e tests and the bench: busybox httpd
 * (built FROM the bed's busybox, pushed to the bed's registry by `fleet build --push`), 2
 * replicas with host-mode ports and endpoint dnsrr (this kernel has no IPVS: no routing mesh), a
 * healthcheck on /ok that an image built with BROKEN=1 fails.
 */
import { join } from "node:path";
import { docker, fleet, type FleetRun, type Testbed, uniqueName } from "./bed.ts";

export interface SwarmApp {
  readonly dir: string;
  readonly project: string;
  /** The stack: `{project}-sw`. */
  readonly stack: string;
  readonly port: number;
  /** http://<node>:<port>/ for every node (a task answers on the node it runs on). */
  readonly urls: string[];
  /** Write stages/sw.yaml, with extra lines under services.web (and at the top). */
  stage(webExtra?: string, top?: string): void;
  /** `fleet build sw --push` of this content (BROKEN: its healthcheck fails), with a tag. */
  push(content: string, broken?: boolean, tag?: string): Promise<void>;
  run(args: string[], env?: Record<string, string>): Promise<FleetRun>;
  /** The body the first node that answers serves. */
  get(): Promise<string>;
  cleanup(): Promise<void>;
}

const dockerfile = (base: string) =>
  `FROM ${base}
ARG CONTENT=v1
ARG BROKEN=
RUN mkdir -p /www && echo "$CONTENT" > /www/index.html && { [ -n "$BROKEN" ] || echo ok > /www/ok; }
# PID 1 ignores SIGTERM unless it handles it: without this, every stop waits for the SIGKILL
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;

/** A fresh project whose stage `sw` deploys to the bed's swarm. */
export function makeSwarmApp(tb: Testbed): SwarmApp {
  const project = uniqueName("sw");
  const stack = `${project}-sw`;
  const base = `${tb.swarmRegistryLocal}/testbed/busybox:latest`;
  const dir = Deno.makeTempDirSync({ prefix: "fleet-test-" });
  Deno.writeTextFileSync(join(dir, "Dockerfile"), dockerfile(base));
  const port = 20000 + Math.floor(Math.random() * 10000);
  const urls = tb.swarmNodes!.map((ip) => `http://${ip}:${port}/`);
  const env = { PATH: Deno.env.get("PATH") ?? "", DOCKER_HOST: "" };
  const app: SwarmApp = {
    dir,
    project,
    stack,
    port,
    urls,
    stage(webExtra = "", top = "") {
      Deno.writeTextFileSync(
        join(dir, "stages/sw.yaml"),
        `${top}project: ${project}
orchestrator: swarm
host: ${tb.swarmManager}
registry: ${tb.swarmRegistryLocal}
buildx: false
confirm: false
services:
  web:
    build: { args: { CONTENT: "\${CONTENT:-v1}", BROKEN: "\${BROKEN:-}" } }
    replicas: 2
    endpoint: dnsrr
    ports: [{ target: 8080, published: ${port}, mode: host }]
    volumes: ["data:/data"]
    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/ok"], interval: 1s, timeout: 1s, retries: 3 }
    compose: { stop_grace_period: 2s }
${webExtra}`,
      );
    },
    async push(content, broken = false, tag?: string) {
      await docker(tb.engine1, ["pull", "-q", base]); // 20.10's builder does not pull FROM a plain-http registry
      const r = await app.run(["build", "sw", "--push", ...(tag ? ["--tag", tag] : [])], {
        CONTENT: content,
        ...(broken ? { BROKEN: "1" } : {}),
      });
      if (r.code !== 0) throw new Error(`build ${content}: ${r.stderr}`);
    },
    run: (args, extra = {}) => fleet(args, { cwd: dir, env: { ...env, ...extra } }),
    async get() {
      let last = "";
      for (let i = 0; i < 100; i++) {
        for (const url of urls) {
          try {
            const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
            const body = (await r.text()).trim();
            if (r.ok) return body;
          } catch (e) {
            last = String(e);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no node answers on ${port}: ${last}`);
    },
    async cleanup() {
      const mgr = tb.swarmManager!;
      const on = (host: string, args: string[]) => docker(host, args).catch(() => "");
      const list = async (host: string, args: string[]) =>
        (await on(host, args)).trim().split("\n").filter(Boolean);
      await on(mgr, ["stack", "rm", stack]);
      await on(mgr, ["rm", "-f", `fleet-lock-${stack}`]);
      const models = await list(mgr, [
        "ps",
        "-aq",
        "--filter",
        `label=dev.fleet.release.model-of=${stack}`,
      ]);
      if (models.length) await on(mgr, ["rm", "-f", ...models]);
      // the stack's volumes stay on the nodes that ran its tasks, once their containers are gone
      for (let i = 0; i < 30; i++) {
        let left = 0;
        for (const host of tb.swarmHosts!) {
          const vols = await list(host, ["volume", "ls", "-q", "--filter", `name=${stack}`]);
          const rels = await list(host, [
            "volume",
            "ls",
            "-q",
            "--filter",
            `name=fleet-release-${stack}`,
          ]);
          const all = [...new Set([...vols, ...rels])];
          if (all.length && !(await on(host, ["volume", "rm", "-f", ...all]))) left += all.length;
        }
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await on(mgr, ["network", "rm", `${stack}_default`]);
      for (const host of [tb.engine1, ...tb.swarmHosts!]) {
        const imgs = await list(host, [
          "images",
          "-q",
          `${tb.swarmRegistryLocal}/${project}-web-sw`,
        ]);
        if (imgs.length) await on(host, ["rmi", "-f", ...new Set(imgs)]);
      }
      Deno.removeSync(dir, { recursive: true });
    },
  };
  Deno.mkdirSync(join(dir, "stages"), { recursive: true });
  app.stage();
  return app;
}
