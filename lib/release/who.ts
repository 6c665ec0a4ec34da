/** Who deploys and from which commit: for the lock and the history record. */
import type { Deps } from "../core/deps.ts";

/** Who deploys: the CI actor, else git's user name, else the OS user. */
export async function whoAmI(deps: Deps, root: string): Promise<string> {
  if (deps.env.GITHUB_ACTOR) return `${deps.env.GITHUB_ACTOR} (ci)`;
  const g = await deps.runner.run(
    { kind: "git", title: "git user", argv: ["git", "-C", root, "config", "user.name"] },
    { check: false },
  ).catch(() => ({ code: 1, stdout: "" }));
  const host = deps.env.HOSTNAME ?? "";
  return (g.code === 0 && g.stdout.trim()) ||
    `${deps.env.USER ?? "unknown"}${host ? `@${host}` : ""}`;
}

/** The git commit of the project (CI's, else HEAD), or "-". */
export async function gitCommit(deps: Deps, root: string): Promise<string> {
  if (deps.env.GITHUB_SHA) return deps.env.GITHUB_SHA.slice(0, 12);
  const g = await deps.runner.run(
    {
      kind: "git",
      title: "git commit",
      argv: ["git", "-C", root, "rev-parse", "--short=12", "HEAD"],
    },
    { check: false },
  ).catch(() => ({ code: 1, stdout: "" }));
  return (g.code === 0 && g.stdout.trim()) || "-";
}
