/**
 * Results as JSON for machines (`--json`): one document per command, with stable keys
 * (documented in docs/json.md). Every document has `command`, `result` and `error` (null when
 * it went well); keys are always present, `null` where there is no value.
 */
import { parse } from "yaml";
import {
  CommandError,
  ConfigError,
  exitCodeOf,
  FleetError,
  InterruptedError,
} from "../core/errors.ts";
import type { Stage } from "../config/stage.ts";
import type { PromoteResult } from "../images/promotion.ts";
import type { PsContainer } from "../docker/compose_ps.ts";
import type { PsService, PsTask } from "../docker/swarm_state.ts";
import type { ProxyRoute } from "../engine/proxy_caddy.ts";
import type { Release, UnreadableRelease } from "../release/history.ts";
import { HookError } from "../release/hooks.ts";
import type { ReleaseResult } from "../release/types.ts";
import { resolvedConfig, type StageSummary } from "./stage_text.ts";
import type { Built } from "../images/build_run.ts";

/** A JSON document. */
export type Json = Record<string, unknown>;

/** `fleet stages --json`. */
export function stagesJson(list: readonly StageSummary[]): Json {
  return {
    command: "stages",
    result: list.some((s) => s.error) ? "failed" : "ok",
    stages: list.map(({ name, stage: s, error }) => ({
      name,
      file: s?.file ?? null,
      project: s?.project ?? null,
      host: s ? s.host ?? null : null,
      context: s?.context ?? null,
      registry: s?.registry ?? null,
      platform: s ? s.platform ?? "native" : null,
      buildx: s?.buildx ?? null,
      tag: s?.tag ?? null,
      services: s ? s.services.map((x) => x.name) : [],
      error: error ?? null,
    })),
    error: null,
  };
}

/** `fleet config --json`: the resolved stage; with --compose also the Compose model. */
export function configJson(r: { stage: Stage; model: string }, compose = false): Json {
  return {
    command: "config",
    result: "ok",
    ...resolvedConfig(r.stage),
    compose: compose ? parse(r.model) : null,
    error: null,
  };
}

/** `fleet build --json`: each service's image, tags, digest (pushed) and time. */
export function buildJson(stage: string, built: readonly Built[]): Json {
  return {
    command: "build",
    stage,
    result: built.some((b) => b.error !== undefined) ? "failed" : "ok",
    services: built.map((b) => ({
      name: b.service,
      image: b.ref,
      tags: b.refs,
      digest: b.digest ?? null,
      seconds: Math.round(b.seconds * 10) / 10,
      error: b.error === undefined ? null : messageOf(b.error),
    })),
    error: null,
  };
}

/** `fleet deploy --json` and `fleet rollback --json`. */
export function releaseJson(r: ReleaseResult): Json {
  return {
    command: r.command,
    stage: r.stage,
    project: r.project,
    host: r.host,
    release: r.release ?? null,
    result: r.result,
    services: r.services.map((s) => ({
      name: s.name,
      image: s.image,
      digest: s.digest ?? null,
      id: s.id || null,
      before: s.before ? { id: s.before, digest: s.beforeDigest ?? null } : null,
      redeployed: s.redeployed,
    })),
    rollback: r.rollback ?? null,
    hook: r.hook ?? null,
    ...(r.hosts ? { hosts: r.hosts.map((h) => ({ ...h, error: h.error ?? null })) } : {}),
    note: r.note ?? null,
    commands: r.commands ?? null,
    error: null,
  };
}

/** `fleet history --json`: the releases, newest first (without their recorded models). */
export function historyJson(
  h: {
    stage: string;
    host: string;
    releases: readonly Release[];
    unreadable?: readonly UnreadableRelease[];
    hosts?: readonly { name: string; host: string; releases: readonly Release[] }[];
  },
): Json {
  return {
    command: "history",
    stage: h.stage,
    host: h.host,
    result: "ok",
    releases: releasesJson(h.releases),
    unreadable: (h.unreadable ?? []).map((u) => ({ id: u.id, problem: u.problem })),
    ...(h.hosts
      ? {
        hosts: h.hosts.map((x) => ({
          name: x.name,
          host: x.host,
          releases: releasesJson(x.releases),
        })),
      }
      : {}),
    error: null,
  };
}

function releasesJson(releases: readonly Release[]): Json[] {
  return releases.map((r) => ({
    id: r.id,
    time: r.time,
    who: r.who,
    commit: r.commit,
    kind: r.kind,
    result: r.result,
    services: Object.fromEntries(
      Object.entries(r.services).map(([s, i]) => [
        s,
        { image: i.ref, id: i.id, digest: i.digest ?? null },
      ]),
    ),
    note: r.note ?? null,
  }));
}

/** `fleet ps --json`: the stage's containers. */
export function psJson(
  r: {
    stage: string;
    project: string;
    host: string;
    containers: readonly PsContainer[];
    services?: readonly PsService[];
    tasks?: readonly PsTask[];
    routes?: readonly ProxyRoute[];
  },
): Json {
  return {
    command: "ps",
    ...(r.routes ? { routes: r.routes.map((x) => ({ ...x })) } : {}),
    stage: r.stage,
    project: r.project,
    host: r.host,
    result: "ok",
    containers: r.containers.map((c) => ({
      ...(c.host ? { host: c.host } : {}),
      name: c.name,
      service: c.service,
      image: c.image,
      state: c.state,
      status: c.status,
      health: c.health || null,
      exitCode: c.exitCode,
      ports: c.ports.map((p) => ({
        url: p.url ?? null,
        published: p.published ?? null,
        target: p.target,
        protocol: p.protocol,
      })),
    })),
    // a Swarm stage: its services and their tasks (and no containers)
    ...(r.services ? { services: r.services.map((s) => ({ ...s })) } : {}),
    ...(r.tasks ? { tasks: r.tasks.map((t) => ({ ...t, error: t.error || null })) } : {}),
    error: null,
  };
}

/** `fleet promote --json`: each new reference with its digest, and the source's. */
export function promoteJson(r: PromoteResult): Json {
  return {
    command: "promote",
    from: r.from,
    to: r.to,
    result: r.commands ? "dry-run" : "ok",
    services: r.services.map((p) => ({
      name: p.service,
      image: p.to,
      digest: p.digest,
      source: p.from,
      sourceDigest: p.sourceDigest,
      identical: p.identical,
    })),
    commands: r.commands ?? null,
    error: null,
  };
}

/** `fleet down --json` and `fleet unlock --json`. */
export function opJson(
  command: "down" | "unlock",
  r: {
    stage: string;
    project?: string;
    hosts?: readonly string[];
    held?: { holder: string; since: string; command: string };
  },
): Json {
  return command === "down"
    ? {
      command,
      stage: r.stage,
      project: r.project ?? null,
      ...(r.hosts ? { hosts: [...r.hosts] } : {}),
      result: "ok",
      error: null,
    }
    : { command, stage: r.stage, result: "ok", held: r.held ?? null, error: null };
}

/**
 * The error of a failed command, for its document: message, hint, exit code, kind, and where
 * a configuration error is (file, line, col per problem).
 */
export function errorJson(err: unknown): Json {
  const fe = err instanceof FleetError ? err : undefined;
  return {
    message: messageOf(err),
    hint: fe?.hint ?? null,
    exitCode: exitCodeOf(err),
    kind: err instanceof ConfigError
      ? "config"
      : err instanceof InterruptedError
      ? "interrupted"
      : exitCodeOf(err) === 2
      ? "usage"
      : err instanceof CommandError
      ? "command"
      : "failed",
    problems: err instanceof ConfigError
      ? err.problems.map((p) => ({
        file: p.file,
        line: p.line ?? null,
        col: p.col ?? null,
        message: p.message,
      }))
      : [],
  };
}

/**
 * The document of a failed command: the command's own document of the result it carried (if
 * any), with `result` "failed" (or what the result says: rolled-back, interrupted, cancelled)
 * and `error`.
 */
export function failureJson(command: string, err: unknown, partial?: Json): Json {
  const own = partial?.result;
  // a hook that failed after the release leaves the release's own result (ok, unchanged) standing
  const kept = typeof own === "string" &&
    (!["ok", "dry-run", "unchanged"].includes(own) || err instanceof HookError);
  const result = kept ? own : err instanceof InterruptedError ? "interrupted" : "failed";
  return { command, ...partial, result, error: errorJson(err) };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
