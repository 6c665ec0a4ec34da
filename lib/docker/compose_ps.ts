/** What `docker compose ps --format json` says of a project's containers (`fleet ps`), parsed. */

/** A container as `fleet ps` reports it. */
export interface PsContainer {
  readonly name: string;
  readonly service: string;
  readonly image: string;
  /** created, running, restarting, exited, dead … */
  readonly state: string;
  /** Docker's words: "Up 2 minutes (healthy)", "Exited (1) 3 seconds ago". */
  readonly status: string;
  /** "" (no healthcheck), starting, healthy, unhealthy. */
  readonly health: string;
  readonly exitCode: number;
  readonly ports: readonly PsPort[];
  /** On a stage with several hosts: the name of the host it runs on. */
  readonly host?: string;
}

/** A port of a container: published on the host (`url`:`published`) or only exposed. */
export interface PsPort {
  readonly url?: string;
  readonly published?: number;
  readonly target: number;
  readonly protocol: string;
}

/**
 * Parse `docker compose ps --format json`: one JSON object per line (Compose ≥ 2.21) or one
 * JSON array (earlier versions).
 */
export function parseComposePs(stdout: string): PsContainer[] {
  const text = stdout.trim();
  if (!text) return [];
  const rows: Record<string, unknown>[] = text.startsWith("[")
    ? JSON.parse(text)
    : text.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l));
  return rows.map((j) => ({
    name: String(j.Name ?? j.Names ?? ""),
    service: String(j.Service ?? ""),
    image: String(j.Image ?? ""),
    state: String(j.State ?? ""),
    status: String(j.Status ?? ""),
    health: String(j.Health ?? ""),
    exitCode: Number(j.ExitCode ?? 0),
    ports: ((j.Publishers ?? []) as Record<string, unknown>[]).map((p) => ({
      ...(p.URL ? { url: String(p.URL) } : {}),
      ...(Number(p.PublishedPort) ? { published: Number(p.PublishedPort) } : {}),
      target: Number(p.TargetPort ?? 0),
      protocol: String(p.Protocol ?? "tcp"),
    })),
  }));
}
