/**
 * One SSH connection per command for `ssh://` hosts. Docker (and Compose) open a new SSH
 * connection for every call, and a deploy makes a dozen calls: over a real network each costs a
 * handshake. fleet puts an `ssh` first on the children's PATH that adds OpenSSH connection
 * sharing (ControlMaster), and closes the shared connection when the command ends.
 */
import { join } from "../core/paths.ts";
import type { Deps } from "../core/deps.ts";
import { shQuote } from "../core/run.ts";
import type { Target } from "./target.ts";

/** A target whose docker calls share one SSH connection, and how to close it. */
export interface Mux {
  readonly target: Target;
  /** True when the calls go through fleet's sharing wrapper (an ssh:// host, sharing on). */
  readonly shared: boolean;
  /** True when the shared connection is up (`ssh -O check`); false when not shared. */
  check(): Promise<boolean>;
  close(): Promise<void>;
}

const unshared = (target: Target): Mux => ({
  target,
  shared: false,
  check: () => Promise.resolve(false),
  close: () => Promise.resolve(),
});

/** What the wrapper's watch needs: fleet's process, and the argv that closes the connection. */
export interface Watch {
  readonly pid: number;
  readonly exit: readonly string[];
}

/**
 * The wrapper script: the real ssh, plus connection sharing through a socket in `dir`. With
 * `watch`, its first call also starts a watch (a shell loop, once a second) that, when fleet's
 * process is gone however it ended (SIGKILL too), closes the shared connection and removes `dir`;
 * it ends by itself once `dir` is gone (fleet closed the connection as usual).
 */
export function wrapperScript(realSsh: string, dir: string, watch?: Watch): string {
  const d = shQuote(dir);
  const w = shQuote(`${dir}/watch`);
  return [
    "#!/bin/sh",
    "# written by fleet for one command: share one SSH connection between docker's calls",
    ...(watch
      ? [
        `if mkdir ${w} 2>/dev/null; then`,
        "  (",
        "    trap '' INT TERM HUP",
        `    while kill -0 ${watch.pid} 2>/dev/null && [ -d ${w} ]; do sleep 1; done`,
        `    if [ -d ${w} ]; then ${watch.exit.map(shQuote).join(" ")}; rm -rf ${d}; fi`,
        "  ) </dev/null >/dev/null 2>&1 &",
        "fi",
      ]
      : []),
    `exec "${realSsh}" -o ControlMaster=auto -o "ControlPath=${dir}/%C" -o ControlPersist=30 "$@"`,
    "",
  ].join("\n");
}

/**
 * For an `ssh://` target, start sharing (lazily: the first docker call opens the connection);
 * any other target is returned as it is. FLEET_SSH_MUX=0 turns it off.
 */
export async function shareSsh(deps: Deps, target: Target): Promise<Mux> {
  const host = target.env.DOCKER_HOST ?? "";
  if (!host.startsWith("ssh://") || deps.env.FLEET_SSH_MUX === "0") return unshared(target);
  const path = deps.env.PATH ?? "/usr/bin:/bin";
  const real = await findSsh(path);
  if (!real) return unshared(target);
  // a short path: unix socket paths are limited to ~100 bytes (macOS's TMPDIR is long)
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "fleet-ssh-" });
  const dest = host.replace(/^ssh:\/\//, "").replace(/:\d+$/, "").replace(/\/.*$/, "");
  const port = host.match(/:(\d+)(\/|$)/)?.[1];
  const argv = (op: string) => [join(dir, "ssh"), ...(port ? ["-p", port] : []), "-O", op, dest];
  const watch = { pid: Deno.pid, exit: argv("exit") };
  await Deno.writeTextFile(join(dir, "ssh"), wrapperScript(real, dir, watch), { mode: 0o700 });
  const control = (op: string, title: string) =>
    deps.runner.run({ kind: "query", title, argv: argv(op) }, {
      check: false,
      uninterruptible: true,
    });
  return {
    target: { ...target, env: { ...target.env, PATH: `${dir}:${path}` } },
    shared: true,
    check: () => control("check", "check ssh connection").then((r) => r.code === 0, () => false),
    async close() {
      await control("exit", "close ssh connection").catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function findSsh(path: string): Promise<string | undefined> {
  for (const d of path.split(":").filter(Boolean)) {
    try {
      const p = join(d, "ssh");
      if ((await Deno.stat(p)).isFile) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Run `fn` with the context's docker calls sharing one SSH connection (not on a dry run). */
export async function withSharedSsh<C extends { readonly target: Target }, T>(
  deps: Deps,
  ctx: C,
  fn: (ctx: C) => Promise<T>,
  enabled = true,
): Promise<T> {
  if (!enabled) return fn(ctx);
  const mux = await shareSsh(deps, ctx.target);
  try {
    return await fn({ ...ctx, target: mux.target });
  } finally {
    await mux.close();
  }
}
