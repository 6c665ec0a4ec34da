/**
 * The engine client over the local engine's API (issue 16, issue 27): each `docker …` process
 * costs 20–90 ms to start, an HTTP request on the engine's unix socket 1–3 ms. Used where the
 * stage's engine is the local one (engine_socket.ts's localSocket); a socket that cannot be reached, a name that
 * cannot stand in a URL, or a `create` whose image must be pulled first is the CLI client's
 * (engine_cli.ts) to answer. FLEET_ENGINE_API_LOG=<file> appends a line for each question
 * answered here (`api <method> <names>`: the tests' docker shim logs processes to the same file).
 */
import { CommandError, InterruptedError } from "../core/errors.ts";
import {
  type Container,
  containerInfo,
  type Created,
  type EngineClient,
  type ImageInfo,
  type Labels,
} from "./engine_client.ts";
import {
  type ApiAnswer,
  type ApiRequest,
  ask,
  clientOf,
  logDirect,
  markSocketDown,
  socketDown,
} from "./engine_socket.ts";
import type { Target } from "./target.ts";

type Env = Readonly<Record<string, string | undefined>>;
type Body = Record<string, unknown>;

/** A name that can stand in a URL path as it is (image refs, container and volume names). */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
const good = (a: ApiAnswer) => a.status >= 200 && a.status < 300;
const message = (a: ApiAnswer) =>
  (a.body as { message?: string } | undefined)?.message ?? `HTTP ${a.status}`;

/** What `via` returns to hand a call to the CLI client. */
const CLI = Symbol("cli");

/** What the API client needs besides its socket. */
export interface ApiClientOptions {
  readonly target: Target;
  /** The client that answers what the API does not (engine_cli.ts's). */
  readonly cli: EngineClient;
  readonly env: Env;
  readonly signal?: AbortSignal;
}

/** A CommandError for an answer the CLI would have failed on. */
function refused(o: ApiClientOptions, what: string, a: ApiAnswer): CommandError {
  return new CommandError(
    `${what} on ${o.target.label} failed`,
    ["docker", ...what.split(" ")],
    message(a),
    {
      hint: a.status >= 500 ? "is the stage's Docker host healthy? try: fleet doctor" : undefined,
    },
  );
}

/** The container as `docker ps` reports it (Compose labels carry service and image ID). */
function containerOf(c: Body): Container {
  const labels = (c.Labels ?? {}) as Labels;
  return {
    id: String(c.Id),
    name: ((c.Names ?? []) as string[]).map((n) => n.replace(/^\//, "")).join(","),
    service: labels["com.docker.compose.service"] ?? "",
    imageRef: String(c.Image),
    imageId: labels["com.docker.compose.image"] ?? "",
    state: String(c.State),
  };
}

/**
 * The engine client over `socket`. Each method logs and answers over the API, or hands the call
 * to the CLI client (see the header).
 */
export function apiClient(socket: string, o: ApiClientOptions): EngineClient {
  const client = clientOf(socket);
  const get = (path: string) => ask(client, { method: "GET", path });
  const each = (rs: readonly ApiRequest[]) => Promise.all(rs.map((r) => ask(client, r)));
  /** Answer over the API, or (CLI, an unreachable socket) the CLI's way. */
  const via = async <T>(
    line: string,
    interruptible: boolean,
    api: () => Promise<T | typeof CLI>,
    cli: () => Promise<T>,
  ): Promise<T> => {
    if (socketDown(socket)) return cli();
    if (interruptible && o.signal?.aborted) throw new InterruptedError("interrupted");
    let out: T | typeof CLI;
    try {
      out = await api();
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      // no socket, no permission, no engine: the process says so (and diagnose names it)
      markSocketDown(socket);
      return cli();
    }
    if (out === CLI) return cli();
    logDirect(o.env, `api ${line}`);
    return out;
  };
  // none: the CLI client runs nothing either
  const safe = (names: readonly string[]) => names.length > 0 && names.every((n) => SAFE.test(n));
  /** DELETE each name (never throws: a name that is gone already is what was asked). */
  const drop = (
    method: "remove" | "removeVolumes" | "untag",
    names: readonly string[],
    path: (name: string) => string,
  ) =>
    via(`${method} ${names.join(" ")}`, false, async () => {
      if (!safe(names)) return CLI;
      await each(names.map((n) => ({ method: "DELETE", path: path(n) })));
    }, () => o.cli[method](names));
  return {
    hostPlatform: () =>
      via("hostPlatform", true, async () => {
        const a = await get("/version");
        const b = a.body as Body | undefined;
        return good(a) && b?.Os && b?.Arch ? `${b.Os}/${b.Arch}` : undefined;
      }, o.cli.hostPlatform),
    images: (refs) => {
      const unique = [...new Set(refs)];
      return via(`images ${unique.join(" ")}`, true, async () => {
        if (!safe(unique)) return CLI;
        const answers = await each(
          unique.map((r) => ({ method: "GET", path: `/images/${r}/json` })),
        );
        const bad = answers.find((a) => !good(a) && a.status !== 404);
        if (bad) throw refused(o, "image inspect", bad);
        return new Map(unique.map((r, i): [string, ImageInfo | undefined] => {
          const b = answers[i].body as Body;
          return [
            r,
            good(answers[i])
              ? { id: String(b.Id), repoDigests: ((b.RepoDigests ?? []) as string[]).map(String) }
              : undefined,
          ];
        }));
      }, () => o.cli.images(unique));
    },
    imagePlatforms: (refs) =>
      via(`imagePlatforms ${refs.join(" ")}`, true, async () => {
        if (!safe(refs)) return CLI;
        const answers = await each(refs.map((r) => ({ method: "GET", path: `/images/${r}/json` })));
        if (!answers.every(good)) return undefined;
        return answers.map((a) => {
          const b = a.body as Body;
          return [b.Os, b.Architecture, b.Variant].filter(Boolean).join("/");
        });
      }, () => o.cli.imagePlatforms(refs)),
    containers: (label) =>
      via(`containers ${label}`, false, async () => {
        const a = await get(`/containers/json?all=1&filters=${filters({ label: [label] })}`);
        if (!good(a)) throw refused(o, "ps", a);
        return (a.body as Body[]).map(containerOf);
      }, () => o.cli.containers(label)),
    container: (name) =>
      via(`container ${name}`, false, async () => {
        if (!safe([name])) return CLI;
        const a = await ask(client, { method: "GET", path: `/containers/${name}/json` });
        return good(a) ? containerInfo(a.body) : undefined;
      }, () => o.cli.container(name)),
    containerLabels: (names) =>
      via(`containerLabels ${names.join(" ")}`, false, async () => {
        if (!safe(names)) return CLI;
        const answers = await each(
          names.map((n) => ({ method: "GET", path: `/containers/${n}/json` })),
        );
        const bad = answers.find((a) => !good(a) && a.status !== 404);
        if (bad) throw refused(o, "container inspect", bad);
        return new Map(names.flatMap((n, i): [string, Labels][] => {
          const b = answers[i].body as Body | undefined;
          const labels = (b?.Config as { Labels?: Labels | null } | undefined)?.Labels;
          return good(answers[i]) ? [[n, labels ?? {}]] : [];
        }));
      }, () => o.cli.containerLabels(names)),
    createHolder: (name, labels, image, entrypoint, opts = {}) =>
      via(`createHolder ${name}`, !opts.afterInterrupt, async (): Promise<Created | typeof CLI> => {
        if (!safe([name, image])) return CLI;
        const a = await ask(client, {
          method: "POST",
          path: `/containers/create?name=${encodeURIComponent(name)}`,
          body: {
            Image: image,
            Entrypoint: [entrypoint],
            Labels: labels,
            HostConfig: { NetworkMode: "none" },
          },
        });
        // no such image: the CLI pulls it and creates (a digest the engine does not have yet)
        if (a.status === 404) return CLI;
        return good(a)
          ? { id: String((a.body as Body).Id) }
          : { refused: `Error response from daemon: ${message(a)}` };
      }, () => o.cli.createHolder(name, labels, image, entrypoint, opts)),
    // a missing container is gone already: what --force asks for
    remove: (names) => drop("remove", names, (n) => `/containers/${n}?force=1`),
    createVolume: (name, labels) =>
      via(`createVolume ${name}`, false, async () => {
        if (!safe([name])) return CLI;
        const a = await ask(client, {
          method: "POST",
          path: "/volumes/create",
          body: { Name: name, Labels: labels },
        });
        if (!good(a)) throw refused(o, "volume create", a);
      }, () => o.cli.createVolume(name, labels)),
    volumes: (label) =>
      via(`volumes ${label}`, false, async () => {
        const a = await get(`/volumes?filters=${filters({ label: [label] })}`);
        if (!good(a)) throw refused(o, "volume ls", a);
        return (((a.body as Body).Volumes ?? []) as Body[]).map((v) => String(v.Name)).sort();
      }, () => o.cli.volumes(label)),
    volumeLabels: (names) =>
      via(`volumeLabels ${names.join(" ")}`, false, async () => {
        if (!safe(names)) return CLI;
        const answers = await each(names.map((n) => ({ method: "GET", path: `/volumes/${n}` })));
        const bad = answers.find((a) => !good(a));
        if (bad) throw refused(o, "volume inspect", bad);
        return answers.map((a) => ((a.body as Body).Labels ?? {}) as Labels);
      }, () => o.cli.volumeLabels(names)),
    removeVolumes: (names) => drop("removeVolumes", names, (n) => `/volumes/${n}?force=1`),
    tag: (src, to) =>
      via(`tag ${src} ${to}`, true, async () => {
        const colon = to.lastIndexOf(":");
        if (!safe([src, to]) || colon <= to.lastIndexOf("/")) return CLI;
        const q = `repo=${encodeURIComponent(to.slice(0, colon))}&tag=${
          encodeURIComponent(to.slice(colon + 1))
        }`;
        const a = await ask(client, { method: "POST", path: `/images/${src}/tag?${q}` });
        if (!good(a)) throw refused(o, "tag", a);
      }, () => o.cli.tag(src, to)),
    tags: (repo) =>
      via(`tags ${repo}`, true, async () => {
        if (!safe([repo])) return CLI;
        const a = await get(`/images/json?filters=${filters({ reference: [repo] })}`);
        if (!good(a)) return [];
        return (a.body as { RepoTags?: string[] }[]).flatMap((i) => i.RepoTags ?? [])
          .filter((t) => t.slice(0, t.lastIndexOf(":")) === repo)
          .map((t) => t.slice(t.lastIndexOf(":") + 1)).sort();
      }, () => o.cli.tags(repo)),
    untag: (refs) => drop("untag", refs, (r) => `/images/${r}`),
  };
}
