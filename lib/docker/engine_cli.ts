/**
 * The engine client over the docker CLI (engine_client.ts): each question one `docker …` step
 * through the runner, so it reaches any engine (ssh://, tcp://, a context) and a recording
 * runner sees its argv. The Go templates fleet asks with, and their parsing, are here alone.
 */
import { CommandError } from "../core/errors.ts";
import { type Runner, type RunOptions, type RunResult, type StepKind, tail } from "../core/run.ts";
import {
  type Container,
  containerInfo,
  type Created,
  type EngineClient,
  type ImageInfo,
  type Labels,
} from "./engine_client.ts";
import { dockerStep, type Target } from "./target.ts";

const ID_DIGESTS = "{{.Id}} {{json .RepoDigests}}";
const PLATFORM = "{{.Os}}/{{.Architecture}}/{{.Variant}}";
const HOST_PLATFORM = "{{.Server.Os}}/{{.Server.Arch}}";
const LABELS = "{{json .Config.Labels}}";

/** Parse `docker ps --format '{{json .}}'` lines (Compose labels carry service and image ID). */
export function parseContainers(stdout: string): Container[] {
  return stdout.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => {
    const j = JSON.parse(l) as Record<string, string>;
    const labels = Object.fromEntries(
      String(j.Labels ?? "").split(",").map((
        kv,
      ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    return {
      id: j.ID,
      name: j.Names,
      service: labels["com.docker.compose.service"] ?? "",
      imageRef: j.Image,
      imageId: labels["com.docker.compose.image"] ?? "",
      state: j.State,
    };
  });
}

/** Parse `docker image inspect --format '{{.Id}} {{json .RepoDigests}}'` lines. */
export function parseImageInfos(stdout: string): ImageInfo[] {
  return stdout.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const sp = l.indexOf(" ");
    if (sp < 0) return { id: l, repoDigests: [] };
    let digests: unknown = [];
    try {
      digests = JSON.parse(l.slice(sp + 1));
    } catch { /* no digests */ }
    return { id: l.slice(0, sp), repoDigests: Array.isArray(digests) ? digests.map(String) : [] };
  });
}

/** Labels from a `{{json .Labels}}` (`null` when there are none). */
function labelsOf(json: string): Labels {
  const v = JSON.parse(json);
  return typeof v === "object" && v !== null ? v : {};
}

/**
 * A failed query whose stderr says something other than "no such …" (the engine cannot be
 * reached, permission denied): a CommandError with that cause, not a "missing" answer.
 */
function unreachable(r: RunResult, target: Target, what: string): void {
  if (r.code === 0) return;
  const other = r.stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l && !/no such (image|object|container)/i.test(l)
  );
  if (other.length === 0) return;
  throw new CommandError(
    `${what} on ${target.label} failed`,
    [...target.dockerArgv, ...what.split(" ")],
    tail(other.join("\n")),
    { hint: "is the stage's Docker host reachable? try: fleet doctor" },
  );
}

/** A label longer than this goes to `docker create` on stdin rather than argv. */
const LONG_LABEL = 4096;

const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);
const labelArgs = (labels: Labels) =>
  Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);

/** The engine client that runs the docker CLI on `target` through `runner`. */
export function cliClient(runner: Runner, target: Target): EngineClient {
  const run = (title: string, args: readonly string[], ro: RunOptions, kind?: StepKind) =>
    runner.run(dockerStep(target, title, args, kind), ro);
  const keep = { uninterruptible: true };
  const quiet = { check: false, uninterruptible: true };
  const inspect = (refs: readonly string[]) =>
    run(`inspect image ${refs.join(" ")}`, ["image", "inspect", "--format", ID_DIGESTS, ...refs], {
      check: false,
    });
  return {
    async hostPlatform() {
      const r = await run("ask the host for its platform", ["version", "--format", HOST_PLATFORM], {
        check: false,
      });
      const p = r.stdout.trim();
      return r.code === 0 && p.includes("/") ? p : undefined;
    },
    async images(refs) {
      const unique = [...new Set(refs)];
      // one call for all; only when one is missing does it take one call each
      const all = await inspect(unique);
      const infos = parseImageInfos(all.stdout);
      if (all.code === 0 && infos.length === unique.length) {
        return new Map(unique.map((r, i) => [r, infos[i]]));
      }
      unreachable(all, target, "image inspect");
      const out = new Map<string, ImageInfo | undefined>();
      for (const ref of unique) {
        const r = await inspect([ref]);
        out.set(ref, r.code === 0 ? parseImageInfos(r.stdout)[0] : undefined);
      }
      return out;
    },
    async imagePlatforms(refs) {
      const r = await run("inspect image platforms", [
        "image",
        "inspect",
        "--format",
        PLATFORM,
        ...refs,
      ], { check: false });
      const found = lines(r.stdout).map((l) => l.replace(/\/$/, ""));
      return r.code === 0 && found.length === refs.length ? found : undefined;
    },
    async containers(label) {
      const r = await run("list containers", [
        "ps",
        "--all",
        "--no-trunc",
        "--filter",
        `label=${label}`,
        "--format",
        "{{json .}}",
      ], keep);
      return parseContainers(r.stdout);
    },
    async container(name) {
      const r = await run(
        `inspect container ${name}`,
        ["container", "inspect", "--format", "{{json .}}", name],
        quiet,
      );
      if (r.code !== 0) return undefined;
      try {
        return containerInfo(JSON.parse(r.stdout));
      } catch {
        return undefined;
      }
    },
    async containerLabels(names) {
      const unique = [...new Set(names)];
      if (unique.length === 0) return new Map();
      const read = (some: readonly string[]) =>
        run(
          "read container labels",
          [
            "inspect",
            "--type",
            "container",
            "--format",
            LABELS,
            ...some,
          ],
          quiet,
          "lock",
        );
      // one call for all, its lines in their order; only when one is missing, one call each
      const all = await read(unique);
      const found = lines(all.stdout);
      if (all.code === 0 && found.length === unique.length) {
        return new Map(unique.map((n, i) => [n, labelsOf(found[i])]));
      }
      unreachable(all, target, "container inspect");
      const out = new Map<string, Labels>();
      for (const n of unique) {
        const r = unique.length === 1 ? all : await read([n]);
        if (r.code === 0 && lines(r.stdout).length) out.set(n, labelsOf(lines(r.stdout)[0]));
      }
      return out;
    },
    async createHolder(name, labels, image, entrypoint, opts = {}): Promise<Created> {
      // labels too long for argv (a model kept aside) go on stdin, a line each: no argument
      // nears Linux's 128 KiB, no line Docker's 64 KiB
      const long = Object.values(labels).some((v) => v.length > LONG_LABEL);
      const step = dockerStep(target, `create ${name}`, [
        "create",
        "--name",
        name,
        ...(long ? ["--label-file", "/dev/stdin"] : labelArgs(labels)),
        "--network",
        "none",
        "--entrypoint",
        entrypoint,
        image,
      ], "lock");
      const input = Object.entries(labels).map(([k, v]) => `${k}=${v}\n`).join("");
      const r = await runner.run(long ? { ...step, input } : step, {
        check: false,
        uninterruptible: opts.afterInterrupt,
      });
      // `docker create` prints the container's ID
      return r.code === 0 ? { id: r.stdout.trim() || name } : { refused: r.stderr.trim() };
    },
    async remove(names) {
      if (names.length) {
        await run(`remove ${names.join(" ")}`, ["rm", "--force", ...names], quiet, "lock");
      }
    },
    async createVolume(name, labels) {
      await run(
        `create volume ${name}`,
        ["volume", "create", ...labelArgs(labels), name],
        keep,
        "record",
      );
    },
    async volumes(label) {
      const r = await run(
        "list volumes",
        ["volume", "ls", "-q", "--filter", `label=${label}`],
        keep,
      );
      return lines(r.stdout).sort();
    },
    async volumeLabels(names) {
      if (names.length === 0) return [];
      const r = await run("read volume labels", [
        "volume",
        "inspect",
        "--format",
        "{{json .Labels}}",
        ...names,
      ], keep);
      return lines(r.stdout).filter((l) => l.startsWith("{") || l === "null").map(labelsOf);
    },
    async removeVolumes(names) {
      if (names.length) {
        await run("remove volumes", ["volume", "rm", "--force", ...names], quiet, "record");
      }
    },
    async tag(src, to) {
      await run(`tag ${to}`, ["tag", src, to], {}, "tag");
    },
    async tags(repo) {
      const r = await run(`list tags of ${repo}`, ["image", "ls", "--format", "{{.Tag}}", repo], {
        check: false,
      });
      return r.code === 0 ? lines(r.stdout).filter((t) => t !== "<none>").sort() : [];
    },
    async untag(refs) {
      if (refs.length) await run("drop image tags", ["rmi", ...refs], quiet, "tag");
    },
  };
}
