/**
 * The GitHub Actions workflows: the one documented for users (docs/github-actions.md) and the
 * repository's own (.github/workflows/ci.yml) are valid workflows (@action-validator/core, the
 * schema GitHub publishes), do what the SPEC asks, and the user workflow's fleet commands are
 * the ones tests/e2e/github_test.ts runs.
 */
import assert from "node:assert/strict";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { WORKFLOW } from "../e2e/workflow.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The first ```yaml block of a Markdown page. */
function yamlBlock(md: string): string {
  const m = md.match(/```yaml\n([\s\S]*?)\n```/);
  assert.ok(m, "a ```yaml block");
  return m[1] + "\n";
}

const userWorkflow = yamlBlock(Deno.readTextFileSync(`${ROOT}docs/github-actions.md`));
const ciWorkflow = Deno.readTextFileSync(`${ROOT}.github/workflows/ci.yml`);

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  environment?: string;
  concurrency?: { group: string };
  steps: Step[];
}
const jobs = (src: string) => (parse(src) as { jobs: Record<string, Job> }).jobs;

Deno.test("both workflows are valid GitHub Actions workflows", () => {
  for (const [what, src] of [["docs/github-actions.md", userWorkflow], ["ci.yml", ciWorkflow]]) {
    assert.deepEqual(validateWorkflow(src).errors, [], what);
  }
});

Deno.test("the validator does find a broken workflow", () => {
  const broken = userWorkflow.replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest");
  assert.notDeepEqual(validateWorkflow(broken).errors, []);
});

Deno.test("the repository's CI runs .ci/run", () => {
  const runs = Object.values(jobs(ciWorkflow)).flatMap((j) => j.steps.map((s) => s.run ?? ""));
  assert.ok(runs.some((r) => /\bbash \.ci\/run$/.test(r)), runs.join("\n"));
});

Deno.test("the user workflow: dev on push, live on a manual run, one deploy per stage", () => {
  const w = parse(userWorkflow) as {
    on: { push: { branches: string[] }; workflow_dispatch: unknown };
    permissions: Record<string, string>;
  };
  assert.deepEqual(w.on.push.branches, ["main"]);
  assert.ok("workflow_dispatch" in w.on);
  assert.equal(w.permissions.packages, "write");
  const { dev, live } = jobs(userWorkflow);
  assert.match(dev.if!, /github\.event_name == 'push'/);
  assert.match(live.if!, /github\.event_name == 'workflow_dispatch'/);
  assert.equal(live.environment, "live");
  assert.equal(dev.concurrency?.group, "deploy-dev");
  assert.equal(live.concurrency?.group, "deploy-live");
  for (const job of [dev, live]) {
    const uses = job.steps.flatMap((s) => (s.uses ? [s.uses.split("@")[0]] : []));
    assert.deepEqual(uses, ["actions/checkout", "denoland/setup-deno"], "no third-party action");
    const ssh = job.steps.find((s) => s.run?.includes("~/.ssh/known_hosts"));
    assert.ok(ssh, "the SSH key and known_hosts are written from secrets");
    assert.match(ssh.env!.SSH_KEY, /\$\{\{ secrets\.\w+ \}\}/);
    assert.match(ssh.env!.KNOWN_HOSTS, /\$\{\{ secrets\.\w+ \}\}/);
    assert.ok(!ssh.run!.includes("${{"), "secrets reach the script through env, not its text");
    const login = job.steps.find((s) => s.run?.includes("docker login ghcr.io"));
    assert.equal(login?.env?.GITHUB_TOKEN, "${{ secrets.GITHUB_TOKEN }}");
    assert.match(login!.run!, /--password-stdin/);
  }
});

Deno.test("the user workflow's fleet commands are the ones the e2e test runs", () => {
  const commands = (job: Job) =>
    job.steps.flatMap((s) =>
      (s.run ?? "").split("\n").map((l) => l.trim()).filter((l) => /^(deno task |fleet )/.test(l))
    );
  const { dev, live } = jobs(userWorkflow);
  assert.deepEqual({ dev: commands(dev), live: commands(live) }, WORKFLOW);
});
