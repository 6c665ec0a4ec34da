/**
 * A tiny app on the test bed's three plain Docker hosts (SPEC §15), for the e2e tests and the
 * bench: busybox httpd built on engine 1 and pushed to the bed's registry, stage files naming the
 * three hosts (web1, web2 and jobs, the third over ssh://), and the checks and clean-up on each
 * host's own socket.
 */
import { join } from "node:path";
import { docker, fleet, type FleetRun, freePort, type Testbed, uniqueName } from "./bed.ts";

export interface HostsApp {
  readonly dir: string;
  readonly project: string;
  readonly port: number;
  /** The image (no tag) web and worker are tagged from. */
  readonly image: string;
  /** DOCKER_HOST of web1, web2, jobs (jobs over ssh://). */
  readonly hosts: string[];
  readonly sockets: string[]; // web1, web2, jobs
  readonly urls: string[]; // web1, web2
  /** stages/live.yaml: web on web1 and web2 (with `web` lines: healthcheck), worker on jobs. */
  stage(web?: string, top?: string): void;
  /** Write stages/<name>.yaml (its project cleaned up with the app's). */
  writeStage(name: string, text: string): void;
  push(content: string): Promise<void>;
  /** Run `cmd` on a host in a throwaway container of the web image with the stage's data volume. */
  inData(socket: string, cmd: string[]): Promise<string>;
  run(args: string[]): Promise<FleetRun>;
  services(socket: string, stage?: string): Promise<string[]>;
  releases(socket: string): Promise<{ id: string; kind: string; result: string }[]>;
  cleanup(): Promise<void>;
}

export const HEALTHY = `["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"]`;
const WEB = `    healthcheck: { test: ${HEALTHY}, interval: 1s, retries: 3 }\n`;

export const DOCKERFILE = `FROM busybox
ARG CONTENT=v1
RUN mkdir -p /www /data && echo "$CONTENT" > /www/index.html
# PID 1 ignores SIGTERM unless it handles it: without this, every stop waits 10s for a SIGKILL
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;

/** A fresh project on the bed's three hosts (their names and addresses in `hosts`). */
export function makeHostsApp(tb: Testbed): HostsApp {
  const project = uniqueName("hosts");
  const dir = Deno.makeTempDirSync({ prefix: "fleet-test-" });
  Deno.mkdirSync(join(dir, "stages"));
  Deno.writeTextFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  Deno.writeTextFileSync(join(dir, "stages/_base.yaml"), "{}\n");
  const port = freePort();
  const image = `${tb.hostsRegistry!}/${project}/web`;
  const [h1, h2, h3] = tb.hosts!;
  const sockets = tb.hostsSockets!;
  const env = { PATH: `${tb.hostsSshBin}:${Deno.env.get("PATH")}`, DOCKER_HOST: "" };
  const stages = new Set<string>();
  const writeStage = (name: string, text: string) => {
    stages.add(name);
    Deno.writeTextFileSync(join(dir, `stages/${name}.yaml`), text);
  };
  return {
    dir,
    project,
    port,
    image,
    hosts: [h1, h2, h3],
    sockets,
    urls: tb.hostsIps!.slice(0, 2).map((ip) => `http://${ip}:${port}/`),
    writeStage,
    stage(web = WEB, top = "") {
      writeStage(
        "live",
        `project: ${project}\nconfirm: false\n${top}` +
          `hosts:\n  web1: ${h1}\n  web2: ${h2}\n  jobs: ${h3}\nrollout: { parallel: 1 }\n` +
          `services:\n  web:\n    image: ${image}:live\n    on: [web1, web2]\n` +
          `    ports: ["${port}:8080"]\n    volumes: ["data:/data"]\n${web}` +
          `  worker:\n    image: ${image}:worker\n    on: [jobs]\n` +
          `    command: ["sh", "-c", "echo worker up; trap 'exit 0' TERM; sleep 100000 & wait"]\n`,
      );
    },
    async push(content) {
      const e1 = tb.engine1;
      const tag = `${image}:live`;
      await docker(e1, ["build", "-q", "--build-arg", `CONTENT=${content}`, "-t", tag, dir]);
      await docker(e1, ["push", "-q", tag]);
      await docker(e1, ["tag", tag, `${image}:worker`]);
      await docker(e1, ["push", "-q", `${image}:worker`]);
    },
    inData: (socket, cmd) =>
      docker(socket, ["run", "--rm", "-v", `${project}-live_data:/data`, `${image}:live`, ...cmd]),
    run: (args) => fleet(args, { cwd: dir, env }),
    async services(socket, stage = "live") {
      const out = await docker(socket, [
        "ps",
        "--filter",
        `label=com.docker.compose.project=${project}-${stage}`,
        "--format",
        '{{.Label "com.docker.compose.service"}}',
      ]);
      return out.split("\n").filter(Boolean).sort();
    },
    releases: (socket) => releasesOn(socket, `${project}-live`),
    async cleanup() {
      for (const s of sockets) {
        for (const stage of stages) await removeStack(s, `${project}-${stage}`);
        await removeImages(s, image);
      }
      await removeImages(tb.engine1, image); // the images built on engine 1
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The releases recorded on a host for a Compose project, by id. */
async function releasesOn(socket: string, stack: string) {
  const label = `label=dev.fleet.release.project=${stack}`;
  const names = (await docker(socket, ["volume", "ls", "-q", "--filter", label]))
    .split("\n").filter(Boolean);
  if (names.length === 0) return [];
  const out = await docker(socket, ["volume", "inspect", "--format", "{{json .Labels}}", ...names]);
  return out.split("\n").filter(Boolean).map((l) => JSON.parse(l)).map((x) => ({
    id: x["dev.fleet.release.id"] as string,
    kind: x["dev.fleet.release.kind"] as string,
    result: x["dev.fleet.release.result"] as string,
  })).sort((a, b) => a.id.localeCompare(b.id));
}

const lines = (p: Promise<string>) => p.catch(() => "").then((o) => o.split("\n").filter(Boolean));

/** A stack's containers, locks, volumes (its records too) and network on one host. */
async function removeStack(socket: string, stack: string) {
  const ids = await lines(
    docker(socket, ["ps", "-aq", "--filter", `label=com.docker.compose.project=${stack}`]),
  );
  if (ids.length) await docker(socket, ["rm", "-f", ...ids]).catch(() => {});
  await docker(socket, ["rm", "-f", `fleet-lock-${stack}`, `fleet-lock-${stack}.rollout`])
    .catch(() => {});
  for (const key of ["com.docker.compose.project", "dev.fleet.release.project"]) {
    const vols = await lines(
      docker(socket, ["volume", "ls", "-q", "--filter", `label=${key}=${stack}`]),
    );
    if (vols.length) await docker(socket, ["volume", "rm", "-f", ...vols]).catch(() => {});
  }
  await docker(socket, ["network", "rm", `${stack}_default`]).catch(() => {});
}

async function removeImages(socket: string, image: string) {
  const imgs = await lines(docker(socket, ["images", "-q", "--filter", `reference=${image}`]));
  if (imgs.length) await docker(socket, ["rmi", "-f", ...new Set(imgs)]).catch(() => {});
}
