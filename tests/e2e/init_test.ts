/**
 * From a Compose file to a running app: `fleet init --from compose.yaml`, then
 * `fleet build local && fleet deploy local --yes` on the local engine, serving a page.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, fleet, freePort, uniqueName } from "./harness.ts";
import { tempProject } from "../helpers.ts";

const DOCKERFILE = `FROM busybox
RUN mkdir -p /www && echo "hello from init" > /www/index.html
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;

// three services: one built, one from an image, one with a healthcheck and a volume
const compose = (project: string, port: number, image: string) =>
  `name: ${project}
services:
  web:
    build: ./web
    container_name: ${project}-web
    ports:
      - "127.0.0.1:${port}:8080"
    environment:
      - APP_PASSWORD=literal-in-compose
      - GREETING=hi
    depends_on:
      store:
        condition: service_healthy
    restart: unless-stopped
  sidecar:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    init: true
  store:
    image: ${image}
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /data/ready; sleep 3600 & wait"]
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready"]
      interval: 1s
      retries: 30
volumes:
  data: {}
`;

for (const copy of [false, true]) {
  e2e(
    `init --from compose.yaml${
      copy ? " --copy" : ""
    }, then build local && deploy local --yes serves the app`,
    async (tb) => {
      const project = uniqueName("init");
      const port = freePort();
      // the engine cannot reach Docker Hub: the image services' busybox comes from the test registry
      const image = `${tb.registry}/${project}-busybox:latest`;
      const dir = tempProject({ "web/Dockerfile": DOCKERFILE });
      Deno.writeTextFileSync(join(dir, "compose.yaml"), compose(project, port, image));
      const env = { DOCKER_HOST: tb.engine1 };
      const h = (args: string[]) => docker(tb.engine1, args).catch(() => "");
      try {
        await docker(tb.engine1, ["tag", "busybox:latest", image]);
        await docker(tb.engine1, ["push", "-q", image]);
        await docker(tb.engine1, ["rmi", image]); // so that the deploy's pull really pulls it

        const args = ["init", "--from", "compose.yaml", ...(copy ? ["--copy"] : [])];
        const init = await fleet(args, { cwd: dir, env });
        assert.equal(init.code, 0, init.stderr);
        assert.match(init.stdout, /services web, sidecar, store/);
        const base = Deno.readTextFileSync(join(dir, "stages/_base.yaml"));
        assert.ok(!base.includes("literal-in-compose"), "the secret is not in the stage file");
        // by default compose.yaml stays the source; --copy takes its services into _base.yaml
        assert.equal(base.includes("compose_file: compose.yaml"), !copy, base);

        const b = await fleet(["build", "local"], { cwd: dir, env });
        assert.equal(b.code, 0, b.stderr);
        assert.match(b.stdout, new RegExp(`web\\s+${project}-web-local:latest`));
        const run = { cwd: dir, env: { ...env, APP_PASSWORD: "from-the-environment" } };
        const d = await fleet(["deploy", "local", "--yes"], run);
        assert.equal(d.code, 0, d.stderr);

        assert.equal(
          (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim(),
          "hello from init",
        );
        const ids = (await docker(tb.engine1, [
          "ps",
          "-q",
          "--filter",
          `label=com.docker.compose.project=${project}-local`,
        ])).trim().split("\n");
        assert.equal(ids.length, 3, "three services run");
        const info = JSON.parse(await docker(tb.engine1, ["inspect", ...ids])) as Array<{
          Name: string;
          Config: { Env: string[]; Labels: Record<string, string> };
          State: { Health?: { Status: string } };
        }>;
        const of = (s: string) =>
          info.find((c) => c.Config.Labels["com.docker.compose.service"] === s)!;
        // the file's literal where it is the source; the environment's where --copy made it ${VAR}
        const password = copy ? "from-the-environment" : "literal-in-compose";
        assert.ok(of("web").Config.Env.includes(`APP_PASSWORD=${password}`));
        assert.equal(of("web").Name, `/${project}-web`, "container_name is the file's");
        assert.equal(of("store").State.Health?.Status, "healthy");
        const vols = await docker(tb.engine1, [
          "volume",
          "ls",
          "-q",
          "--filter",
          `name=${project}-local_data`,
        ]);
        assert.ok(vols.trim(), "the named volume exists");

        const down = await fleet(["down", "local", "--yes"], run);
        assert.equal(down.code, 0, down.stderr);
      } finally {
        const list = async (args: string[]) => (await h(args)).trim().split("\n").filter(Boolean);
        const cs = await list([
          "ps",
          "-aq",
          "--filter",
          `label=com.docker.compose.project=${project}-local`,
        ]);
        if (cs.length) await h(["rm", "-f", ...cs]);
        await h(["rm", "-f", `fleet-lock-${project}-local`]);
        const vols = await list(["volume", "ls", "-q", "--filter", `name=${project}-local`]);
        if (vols.length) await h(["volume", "rm", "-f", ...vols]);
        await h(["network", "rm", `${project}-local_default`]);
        const tags = (await list(["images", "--format", "{{.Repository}}:{{.Tag}}"]))
          .filter((t) => t.includes(project));
        if (tags.length) await h(["rmi", "-f", ...tags]);
      }
    },
  );
}
