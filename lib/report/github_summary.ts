/**
 * GitHub Actions mode, what a step leaves behind: the Markdown appended to
 * `$GITHUB_STEP_SUMMARY` (build: service, image, digest, time; deploy/rollback: stage, host,
 * release, each service before → after, result, duration, the automatic rollback) and the
 * step outputs appended to `$GITHUB_OUTPUT` (`release`, `result`, `images`) in the multiline
 * syntax. Pure: the edge (lib/cli/output.ts) writes the files. Each summary ends with a blank
 * line, so the next step's starts a block of its own.
 */
import { shortDigest, shortId } from "../docker/image_ref.ts";
import type { PromoteResult } from "../images/promotion.ts";
import type { ReleaseResult } from "../release/types.ts";
import type { Built } from "../images/build_run.ts";

/** What a summary says of how the command ended. */
export interface Ending {
  /** "ok", "failed", "rolled-back", …: the result. */
  readonly result: string;
  /** The error, when it failed. */
  readonly error?: string;
  readonly seconds: number;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (s: string) => (s ? `\`${cell(s)}\`` : "–");
const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
const head = (cells: readonly string[]) => [row(cells), row(cells.map(() => "---"))];
const secs = (s: number) => `${s.toFixed(1)} s`;

function footer(e: Ending): string[] {
  return e.error ? ["", `> **error:** ${cell(e.error)}`] : [];
}

/** The summary of `fleet build`. */
export function buildSummary(stage: string, built: readonly Built[], e: Ending): string {
  return [
    `### fleet build ${stage}: ${e.result}`,
    "",
    ...head(["service", "image", "digest", "time"]),
    ...built.map((b) =>
      row([
        b.service,
        b.refs.map(code).join("<br>"),
        b.error !== undefined ? "**failed**" : code(b.digest ?? ""),
        secs(b.seconds),
      ])
    ),
    "",
    `${built.length} service(s) in ${secs(e.seconds)}`,
    ...footer(e),
    "",
    "",
  ].join("\n");
}

/** An image for people: its digest when it has one, else its image ID. */
function which(digest: string | undefined, id: string | undefined): string {
  if (digest) return code(shortDigest(digest));
  return id ? code(`id ${shortId(id)}`) : "–";
}

/** The summary of `fleet deploy` or `fleet rollback`. */
export function releaseSummary(r: ReleaseResult, e: Ending): string {
  const rb = r.rollback
    ? [
      "",
      `Automatic rollback: **${r.rollback.result}** (release \`${r.rollback.release}\`)` +
      (r.rollback.result === "ok" ? ": the previous release serves again." : "."),
    ]
    : [];
  return [
    `### fleet ${r.command} ${r.stage}: ${e.result}`,
    "",
    ...head(["stage", "host", "release", "result", "duration"]),
    row([r.stage, code(r.host), code(r.release ?? ""), `**${e.result}**`, secs(e.seconds)]),
    "",
    ...head(["service", "image", "before", "after", ""]),
    ...r.services.map((s) =>
      row([
        s.name,
        code(s.image),
        s.before ? which(s.beforeDigest, s.before) : "(new)",
        which(s.digest, s.id),
        s.redeployed ? "redeployed" : "unchanged",
      ])
    ),
    ...rb,
    ...hostsTable(r),
    ...footer(e),
    "",
    "",
  ].join("\n");
}

/** A release across several hosts: each host, its services and what happened there. */
function hostsTable(r: ReleaseResult): string[] {
  if (!r.hosts) return [];
  return [
    "",
    ...head(["host", "docker host", "services", "result", ""]),
    ...r.hosts.map((h) =>
      row([h.name, code(h.host), h.services.join(", "), `**${h.result}**`, cell(h.error ?? "")])
    ),
  ];
}

/** The summary of `fleet promote`. */
export function promoteSummary(r: PromoteResult, e: Ending): string {
  return [
    `### fleet promote ${r.from} → ${r.to}: ${e.result}`,
    "",
    ...head(["service", "image", "digest", "from"]),
    ...r.services.map((p) =>
      row([
        p.service,
        code(p.to),
        code(p.digest) + (p.identical ? "" : ` (list of ${code(p.sourceDigest)})`),
        code(p.from),
      ])
    ),
    "",
    `in ${secs(e.seconds)}`,
    ...footer(e),
    "",
    "",
  ].join("\n");
}

/** The summary of a command that failed before it had a result. */
export function failureSummary(title: string, e: Ending): string {
  return [`### ${title}: ${e.result}`, ...footer(e), "", ""].join("\n");
}

/** `ref@digest`, or the reference alone when there is no digest. */
const pinned = (ref: string, digest?: string) => (digest ? `${ref}@${digest}` : ref);

/** The step outputs of a deploy or rollback: release, result, images (service → ref@digest). */
export function releaseOutputs(r: ReleaseResult, result: string): Record<string, string> {
  return {
    release: r.release ?? "",
    result,
    images: JSON.stringify(
      Object.fromEntries(r.services.map((s) => [s.name, pinned(s.image, s.digest)])),
    ),
  };
}

/** The step outputs of a build: result, images (service → ref@digest when pushed). */
export function buildOutputs(built: readonly Built[], result: string): Record<string, string> {
  return {
    result,
    images: JSON.stringify(
      Object.fromEntries(built.map((b) => [b.service, pinned(b.ref, b.digest)])),
    ),
  };
}

/** The step outputs of a promote: result, images (service → new ref@digest). */
export function promoteOutputs(r: PromoteResult, result: string): Record<string, string> {
  return {
    result,
    images: JSON.stringify(
      Object.fromEntries(r.services.map((p) => [p.service, pinned(p.to, p.digest)])),
    ),
  };
}

/**
 * Step outputs in `$GITHUB_OUTPUT`'s multiline syntax (`name<<DELIMITER`), each with its own
 * random delimiter, so no value can end its entry early.
 * @example outputsText({ result: "ok" }, () => "EOF") // "result<<EOF\nok\nEOF\n"
 */
export function outputsText(
  outputs: Readonly<Record<string, string>>,
  delimiter: () => string = () => `ghadelimiter_${crypto.randomUUID()}`,
): string {
  return Object.entries(outputs).map(([name, value]) => {
    let d = delimiter();
    while (value.includes(d)) d = `${d}_${crypto.randomUUID()}`;
    return `${name}<<${d}\n${value}\n${d}\n`;
  }).join("");
}
