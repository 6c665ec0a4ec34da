/**
 * A proxied app for the proxy's e2e tests and the bench (SPEC §14): busybox httpd behind the test bed's Caddy
 * (fleet-testbed/caddy:2, built from Debian's package) on engine 1, the images built there (no
 * registry: --no-pull). Each test run has its own proxy (FLEET_PROXY_NAME) on its own loopback
 * port, so runs never share one; cleanup takes the apps, the proxy, its network and volumes away.
 */
import { join } from "node:path";
import { docker, fleet, type FleetRun, freePort, type Testbed, uniqueName } from "./bed.ts";

/** busybox httpd serving CONTENT; it ends on SIGTERM (PID 1 ignores it unless it handles it). */
const DOCKERFILE = `FROM busybox
ARG CONTENT=v1
RUN mkdir -p /www && echo "$CONTENT" > /www/index.html
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;

export const HEALTHY =
  `    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"], interval: 1s, retries: 3 }\n`;
export const FAILING =
  `    healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: 1s, retries: 2 }\n`;
// healthy only after ~3s: keeps a deploy in its health wait long enough to interrupt it
export const SLOW =
  `    healthcheck: { test: ["CMD", "sh", "-c", "[ $(( $(date +%s) - $(stat -c %Y /proc/1) )) -ge 3 ]"], interval: 1s, retries: 30 }\n`;

/** The image tests/e2e/testbed.sh builds on engine 1. */
const BED_CADDY = "fleet-testbed/caddy:2";

/**
 * The test bed's Caddy image, or why there is none: the env file names it; a bed started by an
 * older testbed.sh (no such line) may still have it on engine 1.
 */
export async function caddyImage(tb: Testbed): Promise<string | { missing: string }> {
  const env = Deno.readTextFileSync(join(tb.dir, "env"));
  const img = /^FLEET_TESTBED_CADDY_IMAGE=(.+)$/m.exec(env)?.[1];
  if (img) return img;
  const why = /^FLEET_TESTBED_CADDY_UNAVAILABLE=(.+)$/m.exec(env)?.[1];
  if (why) return { missing: why };
  const there = await docker(tb.engine1, ["image", "inspect", BED_CADDY]).then(
    () => true,
    () => false,
  );
  return there
    ? BED_CADDY
    : { missing: `no ${BED_CADDY} on engine 1: run tests/e2e/testbed.sh up` };
}

/** One proxy per test: its name, published port, and how to take it away. */
export interface TestProxy {
  readonly name: string;
  readonly port: number;
  readonly image: string;
  readonly host: string;
  url(path?: string): string;
  cleanup(): Promise<void>;
}

export function testProxy(tb: Testbed, image: string): TestProxy {
  const name = uniqueName("e2epx");
  const port = freePort();
  const host = tb.engine1;
  const quiet = (args: string[]) => docker(host, args).catch(() => "");
  return {
    name,
    port,
    image,
    host,
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    async cleanup() {
      await quiet(["rm", "--force", name, `${name}-lock`]);
      await quiet(["network", "rm", name]);
      await quiet(["volume", "rm", `${name}-data`, `${name}-config`]);
    },
  };
}

export interface ProxiedApp {
  readonly dir: string;
  readonly project: string;
  readonly image: string;
  /** The environment fleet runs with (its own proxy's name). */
  readonly env: Record<string, string>;
  /** Write stages/dev.yaml: web behind the proxy, with `webExtra` lines under services.web. */
  stage(webExtra?: string, route?: string, more?: string): void;
  /** Build the web image with this content (engine 1). */
  build(content: string): Promise<void>;
  run(args: string[], extra?: Record<string, string>): Promise<FleetRun>;
  /** The names of the project's containers (all states). */
  containers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export function proxiedApp(_tb: Testbed, proxy: TestProxy): ProxiedApp {
  const project = uniqueName("e2epa");
  const dir = Deno.makeTempDirSync({ prefix: "fleet-test-" });
  Deno.writeTextFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  const image = `fleet-e2e/${project}-web:latest`;
  const env = {
    PATH: Deno.env.get("PATH") ?? "",
    DOCKER_HOST: "",
    FLEET_PROXY_NAME: proxy.name,
  };
  const app: ProxiedApp = {
    dir,
    project,
    image,
    env,
    stage(webExtra = HEALTHY, route = "port: 8080, drain: 1s", more = "") {
      Deno.writeTextFileSync(
        join(dir, "stages/dev.yaml"),
        `project: ${project}\nhost: ${proxy.host}\n` +
          `proxy: { image: "${proxy.image}", http: "127.0.0.1:${proxy.port}", tls: off }\n` +
          `services:\n  web:\n    image: ${image}\n    proxy: { ${route} }\n${webExtra}${more}`,
      );
    },
    async build(content) {
      // a label of this project's: an image ID of its own (the build cache would otherwise hand
      // out the ID of another test's identical image, which its cleanup removes by ID)
      await docker(proxy.host, [
        "build",
        "-q",
        "--label",
        `dev.fleet.e2e=${project}`,
        "--build-arg",
        `CONTENT=${content}`,
        "-t",
        image,
        dir,
      ]);
    },
    run: (args, extra = {}) => fleet(args, { cwd: dir, env: { ...env, ...extra } }),
    async containers() {
      const out = await docker(proxy.host, [
        "ps",
        "--all",
        "--filter",
        `label=com.docker.compose.project=${project}-dev`,
        "--format",
        "{{.Names}}",
      ]);
      return out.split("\n").filter(Boolean).sort();
    },
    async cleanup() {
      const h = (args: string[]) => docker(proxy.host, args).catch(() => "");
      const list = async (args: string[]) => (await h(args)).trim().split("\n").filter(Boolean);
      const stages = [...Deno.readDirSync(join(dir, "stages"))].map((e) => e.name.split(".")[0]);
      for (const p of stages.map((s) => `${project}-${s}`)) {
        const cs = await list(["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`]);
        if (cs.length) await h(["rm", "-f", ...cs]);
        await h(["rm", "-f", `fleet-lock-${p}`]);
        const models = await list([
          "ps",
          "-aq",
          "--filter",
          `label=dev.fleet.release.model-of=${p}`,
        ]);
        if (models.length) await h(["rm", "-f", ...models]);
        const vols = await list(["volume", "ls", "-q", "--filter", `name=${p}`]);
        if (vols.length) await h(["volume", "rm", "-f", ...vols]);
        await h(["network", "rm", `${p}_default`]);
      }
      // the image and the tags fleet kept of it (fleet-<release>, fleet-prev-…)
      const tags = (await list(["images", "--format", "{{.Repository}}:{{.Tag}}"])).filter((t) =>
        t.startsWith(`fleet-e2e/${project}-web:`) || t.includes(`:fleet-prev-${project}-`)
      );
      if (tags.length) await h(["rmi", "-f", ...tags]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  Deno.mkdirSync(join(dir, "stages"), { recursive: true });
  app.stage();
  return app;
}
