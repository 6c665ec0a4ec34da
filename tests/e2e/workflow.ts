/**
 * The fleet commands of the user workflow in docs/github-actions.md, job by job, exactly as
 * written there. tests/docs/workflows_test.ts checks the page holds these and no others;
 * tests/e2e/github_test.ts runs them on the test bed.
 */

/** The `deno task fleet …` lines of each job of the documented workflow. */
export const WORKFLOW = {
  dev: [
    `deno task fleet build dev --push --tag latest --tag "sha-$GITHUB_SHA"`,
    `deno task fleet deploy dev --yes --tag "sha-$GITHUB_SHA"`,
  ],
  live: [
    `deno task fleet promote dev live --tag "sha-$GITHUB_SHA"`,
    `deno task fleet deploy live --yes --tag "sha-$GITHUB_SHA"`,
  ],
} as const;

/**
 * A workflow line as fleet's arguments: `deno task fleet` dropped, `$NAME` replaced from `env`,
 * double quotes removed (the lines use no other shell syntax).
 * @example fleetArgs(`deno task fleet deploy dev --tag "sha-$GITHUB_SHA"`, { GITHUB_SHA: "ab" })
 * // ["deploy", "dev", "--tag", "sha-ab"]
 */
export function fleetArgs(line: string, env: Readonly<Record<string, string>>): string[] {
  const words = line.trim().split(/\s+/);
  if (words.slice(0, 3).join(" ") !== "deno task fleet") {
    throw new Error(`not a fleet command: ${line}`);
  }
  return words.slice(3).map((w) =>
    w.replaceAll('"', "").replace(/\$([A-Z_][A-Z0-9_]*)/g, (_m, name: string) => {
      if (env[name] === undefined) throw new Error(`${line}: $${name} is not set`);
      return env[name];
    })
  );
}
