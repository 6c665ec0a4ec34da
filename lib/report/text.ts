/**
 * Results as text for people, on stdout: a release (deploy/rollback), the history, a build.
 * The same results render as JSON and GitHub output elsewhere in lib/report/.
 */
import { shortDigest, shortId as short } from "../docker/image_ref.ts";
import type { Built } from "../images/build_run.ts";
import type { PromoteResult } from "../images/promotion.ts";
import type { PsContainer } from "../docker/compose_ps.ts";
import type { PsService, PsTask } from "../docker/swarm_state.ts";
import type { ProxyRoute } from "../engine/proxy_caddy.ts";
import type { Release, UnreadableRelease } from "../release/history.ts";
import type { ReleaseResult } from "../release/types.ts";
import { table } from "./table.ts";

/** The result of a deploy or rollback (nothing for outcomes that printed their reason). */
export function releaseText(r: ReleaseResult): string {
  if (r.result === "dry-run") {
    return [
      `${r.note ?? r.command} ${r.app} to ${r.stage} on ${r.host} (project ${r.project})`,
      ...r.services.map((s) => `  ${s.name}  ${s.image}${s.strategy ? `  (${s.strategy})` : ""}`),
      `would run (the model on stdin, see \`fleet config ${r.stage} --compose\`):`,
      ...(r.commands ?? []).map((c) => `  ${c}`),
      "  then wait until running and healthy, and record the release on the host",
    ].join("\n");
  }
  if (r.result !== "ok") return "";
  const verb = r.command === "deploy" ? "deployed" : "rolled back";
  return [
    `${verb} ${r.app} to ${r.stage}: release ${r.release}`,
    ...r.services.filter((s) => s.redeployed).map((s) =>
      `  ${s.name}  ${s.image}  ${short(s.id)}  ready`
    ),
    ...(r.hosts ?? []).map((h) =>
      `  host ${h.name} (${h.host}): ${h.services.join(", ")}  ${h.result}`
    ),
  ].join("\n");
}

/** `fleet history`: the releases, newest first. */
export function historyText(
  stage: string,
  host: string,
  releases: readonly Release[],
  keep?: number,
  unreadable: readonly UnreadableRelease[] = [],
): string {
  const bad = unreadable.map((u) => `unreadable record ${u.id}: ${u.problem} (left out)`);
  if (releases.length === 0) {
    return [`no releases of ${stage} recorded on ${host}`, ...bad].join("\n");
  }
  const rows = [["RELEASE", "WHEN", "WHO", "COMMIT", "KIND", "RESULT", "SERVICES", "NOTE"]];
  for (const r of releases) {
    const svcs = Object.entries(r.services).map(([s, i]) =>
      i.digest ? `${s}@${shortDigest(i.digest)}` : `${s}=${short(i.id)}`
    );
    rows.push([
      r.id,
      r.time.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      r.who,
      r.commit,
      r.kind,
      r.result,
      svcs.join(" "),
      (r.note ?? "").slice(0, 60),
    ]);
  }
  const kept = keep === undefined ? "" : ` (the newest ${keep} are kept: history.keep)`;
  const count = `${releases.length} release${releases.length === 1 ? "" : "s"} on ${host}${kept}`;
  return [table(rows), ...bad, count].join("\n");
}

/**
 * `fleet build`: one line per service (image and its other tags, digest when pushed or FAILED,
 * time); a multi-platform list, one more line per platform with its digest.
 * @example buildText([{ service: "web", ref: "r/w:latest", refs: ["r/w:latest", "r/w:v1"], platforms: [], seconds: 2 }]) // "web  r/w:latest +v1  -  2.0s"
 */
export function buildText(built: readonly Built[]): string {
  return table(built.flatMap((b) => [
    [
      b.service,
      [b.ref, ...b.refs.filter((r) => r !== b.ref).map((r) => `+${tagOf(r)}`)].join(" "),
      b.error ? "FAILED" : b.digest ?? "-",
      `${b.seconds.toFixed(1)}s`,
    ],
    ...(b.platforms.length > 1
      ? b.platforms.map((p) => ["", `  ${p.platform}`, p.digest ?? "-"])
      : []),
  ]));
}

/** `fleet down`. */
export function downText(r: { project: string; hosts?: readonly string[] }): string {
  const on = r.hosts ? ` on ${r.hosts.join(", ")}` : "";
  return `${r.project}: containers removed${on} (volumes kept)`;
}

/** `fleet unlock`: whose lock was removed, or that there was none. */
export function unlockText(r: { stage: string; held?: { holder: string } }): string {
  return r.held ? `${r.stage}: lock of ${r.held.holder} removed` : `${r.stage} is not locked`;
}

function tagOf(ref: string): string {
  return ref.slice(ref.lastIndexOf(":") + 1);
}

/** `fleet ps`: one line per container (service, state, status, ports); Swarm: see swarmPsText. */
export function psText(r: {
  stage: string;
  project: string;
  containers: readonly PsContainer[];
  services?: readonly PsService[];
  tasks?: readonly PsTask[];
  routes?: readonly ProxyRoute[];
}) {
  if (r.services) return swarmPsText(r.project, r.services, r.tasks ?? []);
  const routes = r.routes ? `\n\n${routesText(r.routes)}` : "";
  if (r.containers.length === 0) return `no containers of ${r.project}${routes}`;
  const port = (p: PsContainer["ports"][number]) =>
    p.published ? `${p.url ? `${p.url}:` : ""}${p.published}->${p.target}/${p.protocol}` : "";
  // a stage with several hosts: which host each container runs on
  const host = r.containers.some((c) => c.host) ? (c: PsContainer) => [c.host ?? ""] : () => [];
  return table([
    [
      ...(r.containers.some((c) => c.host) ? ["HOST"] : []),
      "NAME",
      "SERVICE",
      "IMAGE",
      "STATE",
      "STATUS",
      "PORTS",
    ],
    ...r.containers.map((c) => [
      ...host(c),
      c.name,
      c.service,
      c.image,
      c.state,
      c.status,
      c.ports.map(port).filter(Boolean).join(", "),
    ]),
  ]) + routes;
}

/** The routes through the host's proxy, and the container that serves each. */
function routesText(routes: readonly ProxyRoute[]): string {
  if (routes.length === 0) return "no routes through the proxy";
  // several hosts: a proxy on each, so which host's proxy has the route
  const several = routes.some((r) => r.on);
  return table([
    [...(several ? ["HOST"] : []), "ROUTE", "SERVICE", "SERVED BY"],
    ...routes.map((r) => [
      ...(several ? [r.on ?? ""] : []),
      `${r.host ?? "*"}${r.path ?? "/"}`,
      r.service,
      r.upstream,
    ]),
  ]);
}

/**
 * `fleet ps` of a Swarm stage: each service (running/desired replicas, image with its digest
 * short, update state), then the tasks that run or should, by node.
 */
export function swarmPsText(
  stack: string,
  services: readonly PsService[],
  tasks: readonly PsTask[],
): string {
  if (services.length === 0) return `no services of stack ${stack}`;
  const image = (i: string) => i.includes("@") ? `${i.split("@")[0]}@${short(i)}` : i;
  return [
    table([
      ["SERVICE", "REPLICAS", "IMAGE", "UPDATE"],
      ...services.map((
        s,
      ) => [s.name, `${s.running}/${s.replicas}`, image(s.image), s.update || "-"]),
    ]),
    "",
    table([
      ["TASK", "NODE", "STATE", "ERROR"],
      ...tasks.map((t) => [t.name, t.node || "-", t.state, t.error]),
    ]),
  ].join("\n");
}

/** `fleet promote`: each new reference and its digest (and the commands of a dry run). */
export function promoteText(r: PromoteResult): string {
  if (r.commands) {
    return [
      `promote ${r.from} to ${r.to} would run:`,
      ...r.commands.map((c) => `  ${c}`),
    ].join("\n");
  }
  return table(r.services.map((p) => [
    p.service,
    `${p.to}@${p.digest}`,
    p.identical ? `= ${p.from}` : `list of ${p.from}@${p.sourceDigest}`,
  ]));
}
