/**
 * The JSON Schema of one stage file (what `fleet schema` prints and editors read through a
 * `# yaml-language-server: $schema=…` line), generated from the valibot schema fleet validates
 * with, plus a description for every key. Every key is optional: `_base.yaml` may supply it.
 */
import { PROXY_DESCRIPTIONS } from "./proxy_settings.ts";
import { type JsonSchema, toJsonSchema } from "@valibot/to-json-schema";
import { COMPOSE_OWNED, StageFileSchema } from "./schema.ts";
import { COMPOSE_SERVICE_KEYS, COMPOSE_TOP_KEYS } from "./compose_spec.ts";

/** The file name `fleet init` writes the schema to, next to the stage files. */
export const SCHEMA_FILE = "fleet.schema.json";

/**
 * One line per key path (`*` stands for any service name): the README's stage reference in
 * short. A key without a line here fails tests/config/json_schema_test.ts.
 */
export const DESCRIPTIONS: Readonly<Record<string, string>> = withGeneric({
  ...PROXY_DESCRIPTIONS,
  "": "A fleet stage file: stages/<stage>.yaml (stages/_base.yaml is merged under every stage).",
  tasks: "Release tasks: one-off commands run with the new image before anything stops.",
  "tasks.pre_deploy":
    "Runs once per deploy after the pull, with the service's new image, environment and networks; a non-zero exit stops the deploy with nothing stopped.",
  "tasks.pre_deploy.service": "The service whose image and configuration the task runs with.",
  "tasks.pre_deploy.command": "The command: an argv list, or a string run with sh -c.",
  hooks:
    "Commands run on the machine that runs fleet, as argv (no shell), with FLEET_STAGE, FLEET_RELEASE, FLEET_RESULT and FLEET_SERVICES set.",
  "hooks.pre_deploy":
    "One argv or a list of argvs run before the lock; one that fails stops the deploy.",
  "hooks.post_deploy":
    "One argv or a list of argvs run after the release with its result; one that fails is reported (exit 1), the release stands.",
  history: "The release history kept on the stage's host.",
  "history.keep": "How many release records (and their kept images) stay on the host. Default 50.",
  project:
    "Project name, required here or in _base.yaml; [a-z0-9][a-z0-9_-]*. Images are named {project}-{stage} and {project}-{service}-{stage}; the Compose project is {project}-{stage}.",
  registry:
    "Image prefix, e.g. ghcr.io/myorg. Precedence: --registry > the service's registry > the stage's > _base.",
  platform:
    "Build platform, e.g. linux/amd64. Default: native for local, linux/amd64 for every other stage.",
  buildx: "Build with docker buildx. Default: false for local, true for every other stage.",
  tag: "Image tag. Default: latest.",
  host:
    "Docker host of this stage: ssh://user@host, tcp://host:2376 or unix:///path. Default: the local engine. Not together with context.",
  context: "A Docker context name to deploy to, instead of host (never both).",
  confirm: "Ask (y/N) before deploying. Default: true, except for local.",
  services: "The stage's services by name ([a-z0-9][a-z0-9_-]*).",
  "services.*": "A service: with build: fleet builds its image; without, image: is used as it is.",
  "services.*.build":
    "Present = fleet build builds this service (build: {} takes every default). Its image is {registry}/{project}-{service}-{stage}:{tag}.",
  "services.*.build.context": "Build context, relative to the project root. Default: the root.",
  "services.*.build.dockerfile":
    "Dockerfile, relative to the context. Default: the first of services/<name>/Dockerfile, <name>/Dockerfile, Dockerfile.<name>, Dockerfile.",
  "services.*.build.target": "Build stage of a multi-stage Dockerfile (--target).",
  "services.*.build.args":
    "Build arguments (--build-arg). A ${VAR} value goes to Docker through the environment, never argv.",
  "services.*.build.secrets":
    "BuildKit secrets (--secret id=…,env=…), read by RUN --mount=type=secret,id=…: the way to pass secrets (build args stay in the image history).",
  "services.*.build.secrets.id":
    "The secret's id in the Dockerfile (RUN --mount=type=secret,id=…).",
  "services.*.build.secrets.env": "The environment variable that holds the secret's value.",
  "services.*.image":
    "Without build: the image to run as it is (e.g. postgres:16). With build: replaces the repository part of the built image's name.",
  "services.*.registry": "This service's image prefix, over the stage's registry.",
  "services.*.ports":
    'Published ports, as in Compose: "8080:8080", "127.0.0.1:8080:80", "9000-9001:9000-9001/udp", or long syntax maps.',
  "services.*.ports.target": "Long syntax: the container port.",
  "services.*.ports.published": "Long syntax: the host port or range.",
  "services.*.ports.host_ip": "Long syntax: the host address to bind.",
  "services.*.ports.protocol": "Long syntax: tcp, udp or sctp.",
  "services.*.ports.mode":
    "Long syntax: ingress (Swarm's routing mesh) or host (published on the node that runs the task).",
  "services.*.ports.name": "Long syntax: a name for the port.",
  "services.*.ports.app_protocol": "Long syntax: the application protocol (e.g. http).",
  "services.*.labels":
    "Container labels (a map, or a list of key=value); fleet adds its own dev.fleet.* labels.",
  "services.*.environment":
    'Environment variables (a map, or a list of "NAME=value"). ${VAR} is resolved at deploy time and never stored.',
  "services.*.env_file":
    "Env file(s) relative to the project root, read by Compose at deploy time.",
  "services.*.volumes":
    '"name:/path" is a named volume (never removed by fleet), "./dir:/path" a bind mount relative to the root, "~/dir:/path" one in the home of the user running fleet.',
  "services.*.depends_on": "Services started before this one (names of services in this stage).",
  "services.*.command": "Overrides the image's command: a list (argv) or a string.",
  "services.*.restart": "Restart policy: no, always, on-failure or unless-stopped.",
  "services.*.healthcheck":
    "Container healthcheck; fleet deploy waits until the container is healthy.",
  "services.*.healthcheck.test":
    'The check, e.g. ["CMD", "wget", "-qO-", "http://localhost:8080/"] or a shell string.',
  "services.*.healthcheck.interval": "Time between checks, e.g. 5s.",
  "services.*.healthcheck.timeout": "How long one check may take, e.g. 3s.",
  "services.*.healthcheck.retries": "Failed checks in a row before the container is unhealthy.",
  "services.*.healthcheck.start_period": "Start-up time during which failures do not count.",
  "services.*.healthcheck.disable": "true turns off a healthcheck set in the image.",
  orchestrator:
    "compose (default): one Docker host, stop → rm → up. swarm: the host is a Swarm manager; services roll without an outage across the nodes.",
  "services.*.replicas": "Swarm: tasks of this service (default 1).",
  hosts:
    "Several Docker hosts for this stage, instead of host/context: names → ssh://user@host, tcp://host:2376, unix:///path or a Docker context name. One release covers them all, host by host.",
  rollout: "With hosts: how the release goes from host to host.",
  "rollout.parallel":
    "Hosts updated at a time (default 1): the others keep serving the previous release meanwhile.",
  "services.*.on": "With hosts: the names of the hosts this service runs on (default: every host).",
  "services.*.update":
    "Swarm: the rolling update policy; a failed update is rolled back by Swarm (paused with --no-rollback).",
  "services.*.update.order":
    "start-first (default): a new task is healthy before an old one stops, no outage; stop-first: each task restarts.",
  "services.*.update.parallelism": "Tasks updated at once (default 1).",
  "services.*.update.delay": "Time between updating one batch of tasks and the next (default 0s).",
  "services.*.update.monitor":
    "How long a new task is watched for failure (default: long enough for the healthcheck to decide, at least 5s).",
  "services.*.placement": 'Swarm: placement constraints, e.g. ["node.role == worker"].',
  "services.*.endpoint":
    "Swarm: vip (default; the routing mesh balances published ports) or dnsrr (DNS round robin, with host-mode ports).",
  "services.*.compose":
    "Escape hatch: any other Compose service keys, passed through as they are (not keys fleet sets itself).",
  "services.*.compose.deploy": "Compose's deploy: (resources and the like; not replicas or mode).",
  compose_file:
    "The project's own Compose file(s), relative to the project root (a list is merged as docker compose -f a -f b): their services are the stage's, and services: here overlay them by name.",
  profiles:
    "Compose profiles active on this stage (deploy, config, ps, down; --profile adds more): a service with profiles: runs only when one of them is active.",
  "services.*.networks":
    "Networks the service joins: a list of names, or names → { aliases, ipv4_address, priority, … } (Compose's own).",
  "services.*.networks.*.aliases": "Other names the service has on that network.",
  "services.*.profiles":
    "Profiles the service belongs to: it runs only when one of them is active (stage profiles: or --profile).",
  "services.*.container_name":
    "A fixed container name (a warning: one container at a time, so a replacement cannot start beside it).",
  "services.*.depends_on.*.condition":
    "service_started, service_healthy, or service_completed_successfully (a one-shot job: done at exit 0, fails the release otherwise).",
  "services.*.depends_on.*.required": "false: start even when that service is not in the model.",
  "services.*.depends_on.*.restart": "true: restart this service when that one is updated.",
  "services.*.volumes.target": "Long syntax: the path in the container.",
  "services.*.healthcheck.start_interval": "Time between checks during the start period.",
  ...Object.fromEntries(
    COMPOSE_TOP_KEYS.map((k) => [k, `Compose's top-level ${k}, passed through as written.`]),
  ),
  ...Object.fromEntries(
    COMPOSE_SERVICE_KEYS.map((k) => [
      `services.*.${k}`,
      `Compose's ${k}, passed through as written (compose-spec); Compose checks it.`,
    ]),
  ),
  ...Object.fromEntries(
    Object.entries(COMPOSE_OWNED).map((
      [k, why],
    ) => [`services.*.compose.${k}`, `Not here: ${why}.`]),
  ),
});

/** The generic line of a Compose key gives way to a line of fleet's own for the same key. */
function withGeneric(d: Record<string, string>): Record<string, string> {
  const generic = (_k: string, v: string) =>
    v.startsWith("Compose's ") && v.includes("passed through");
  const own = Object.entries(d).filter(([k, v]) => !generic(k, v));
  const rest = Object.entries(d).filter(([k, v]) => generic(k, v));
  return { ...Object.fromEntries(rest), ...Object.fromEntries(own) };
}

type Node = JsonSchema & Record<string, unknown>;

/** Every key path of a generated schema (`*` for a map's values) with its schema node. */
export function schemaKeys(schema: JsonSchema): Array<[string, Node]> {
  const out: Array<[string, Node]> = [];
  const walk = (node: unknown, path: string[]): void => {
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    for (const [key, child] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) {
      out.push([[...path, key].join("."), child as Node]);
      walk(child, [...path, key]);
    }
    const extra = n.additionalProperties;
    // maps of services get a description of their own; maps of scalars (args, env) need none
    if (extra && typeof extra === "object" && path.join(".") === "services") {
      out.push([[...path, "*"].join("."), extra as Node]);
    }
    if (extra && typeof extra === "object") walk(extra, [...path, "*"]);
    for (const list of ["anyOf", "oneOf", "allOf"]) {
      for (const alt of (n[list] ?? []) as unknown[]) walk(alt, path);
    }
    if (n.items && typeof n.items === "object") walk(n.items, path);
  };
  walk(schema, []);
  return out;
}

/** The JSON Schema (draft-07) of a stage file, with a description on every key. */
export function stageJsonSchema(): JsonSchema {
  // checks JSON Schema cannot express are left to fleet itself (`fleet config` reports them)
  const schema = toJsonSchema(StageFileSchema, { errorMode: "ignore" }) as Node;
  // a stage file and its services take fleet's keys, Compose's keys and extensions (x-…) only
  const close = (n: Node | undefined) => {
    if (!n) return;
    n.additionalProperties = false;
    n.patternProperties = { "^x-": {} };
  };
  close(schema);
  const services = (schema.properties as Record<string, Node> | undefined)?.services;
  close(services?.additionalProperties as Node | undefined);
  for (const [path, node] of schemaKeys(schema)) {
    if (DESCRIPTIONS[path]) node.description = DESCRIPTIONS[path];
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "fleet stage file",
    description: DESCRIPTIONS[""],
    ...schema,
  };
}
