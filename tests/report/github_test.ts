/** GitHub Actions mode: workflow commands, groups, masks, annotations, summary and outputs. */
import assert from "node:assert/strict";
import { ConfigError } from "../../lib/core/errors.ts";
import type { Step } from "../../lib/core/run.ts";
import {
  errorAnnotations,
  escapeData,
  escapeProperty,
  githubRunner,
  githubUi,
  workflowCommand,
} from "../../lib/report/github.ts";
import {
  buildOutputs,
  buildSummary,
  outputsText,
  releaseOutputs,
  releaseSummary,
} from "../../lib/report/github_summary.ts";
import type { ReleaseResult } from "../../lib/release/types.ts";
import { recordingRunner, recordingUi } from "../helpers.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

Deno.test("workflow commands escape %, CR, LF, and : , in properties", () => {
  assert.equal(escapeData("50% done\r\nnext"), "50%25 done%0D%0Anext");
  assert.equal(escapeProperty("a:b,c%"), "a%3Ab%2Cc%25");
  assert.equal(
    workflowCommand("error", { file: "s/a.yaml", line: 7, col: undefined, title: "x: y" }, "m\n2"),
    "::error file=s/a.yaml,line=7,title=x%3A y::m%0A2",
  );
});

Deno.test("each secret is masked once, before the first step that carries it runs", async () => {
  const out: string[] = [];
  const inner = recordingRunner((s) => (out.push(`run ${s.title}`), { stdout: "line\n" }));
  const r = githubRunner(inner, (l) => out.push(l));
  const step = (kind: Step["kind"], title: string, over: Partial<Step> = {}): Step => ({
    kind,
    title,
    argv: ["docker"],
    ...over,
  });
  await r.run(step("login", "log in", { input: "hunter22\n" }));
  await r.run(step("pull", "pull", { secretEnv: { PW: "s3cret\nline2", X: "ab" } }));
  await r.run(step("up", "up", { secretEnv: { PW: "s3cret\nline2" } }), {
    onLine: (l) => out.push(`up | ${l}`),
  });
  await r.run(step("query", "inspect"));
  assert.deepEqual(out, [
    "::add-mask::hunter22",
    "::group::log in",
    "run log in",
    "::endgroup::",
    "::add-mask::s3cret",
    "::add-mask::line2",
    "::group::pull",
    "run pull",
    "::endgroup::",
    "::group::up",
    "run up",
    "up | line",
    "::endgroup::",
    "run inspect",
  ]);
});

Deno.test("concurrent builds: each service's log is one group, printed when it ends", async () => {
  const out: string[] = [];
  const gates = new Map<string, () => void>();
  const inner = {
    async run(s: Step, o: { onLine?: (l: string, st: "stdout" | "stderr") => void } = {}) {
      o.onLine?.(`${s.title} 1`, "stdout");
      await new Promise<void>((res) => gates.set(s.title, res));
      o.onLine?.(`${s.title} 2`, "stdout");
      return { code: 0, stdout: "", stderr: "" };
    },
  };
  const r = githubRunner(inner, (l) => out.push(l));
  const build = (t: string) =>
    r.run({ kind: "build", title: t, argv: [] }, { onLine: (l) => out.push(`| ${l}`) });
  const a = build("build a");
  const b = build("build b");
  await Promise.resolve();
  gates.get("build b")!();
  await b;
  gates.get("build a")!();
  await a;
  assert.deepEqual(out, [
    "::group::build b",
    "| build b 1",
    "| build b 2",
    "::endgroup::",
    "::group::build a",
    "| build a 1",
    "| build a 2",
    "::endgroup::",
  ]);
});

Deno.test("the UI leaves step headings to the groups and turns warnings into ::warning::", () => {
  const ui = recordingUi();
  const out: string[] = [];
  const g = githubUi(ui, (l) => out.push(l));
  g.step("pull", "pull");
  g.step("deploy app to dev");
  g.warn("rolling back: 50%");
  assert.equal(ui.text(), "==> deploy app to dev");
  assert.deepEqual(out, ["::warning::rolling back: 50%25"]);
});

Deno.test("errors: config problems on their file, line and col; others with a title", () => {
  const e = new ConfigError(
    "stages/live.yaml:7:5: services.api.prots: unknown key\nstages/_base.yaml:2:1: tag: bad",
  );
  assert.deepEqual(errorAnnotations(e, "fleet deploy live", (f) => `app/${f}`), [
    "::error file=app/stages/live.yaml,line=7,col=5,title=fleet deploy live%3A configuration error::services.api.prots: unknown key",
    "::error file=app/stages/_base.yaml,line=2,col=1,title=fleet deploy live%3A configuration error::tag: bad",
  ]);
  const f = Object.assign(new Error("pull failed"), { hint: "push it" });
  assert.deepEqual(errorAnnotations(f, "fleet deploy dev", (x) => x), [
    "::error title=fleet deploy dev failed::pull failed%0Ahint: push it",
  ]);
});

const rolledBack: ReleaseResult = {
  command: "deploy",
  stage: "dev",
  app: "app",
  project: "app-dev",
  host: "ssh://deploy@h",
  release: "r1",
  result: "rolled-back",
  services: [{
    name: "web",
    image: "reg/app-web-dev:sha-1",
    id: "sha256:new",
    digest: D2,
    before: "sha256:old",
    beforeDigest: D1,
    redeployed: true,
  }],
  rollback: { result: "ok", release: "r1-rb" },
};

Deno.test("deploy summary: stage, host, release, before → after, result, duration, rollback", () => {
  const md = releaseSummary(rolledBack, {
    result: "rolled-back",
    error: "unhealthy",
    seconds: 12.34,
  });
  assert.match(md, /^### fleet deploy dev: rolled-back\n/);
  assert.match(md, /\| dev \| `ssh:\/\/deploy@h` \| `r1` \| \*\*rolled-back\*\* \| 12\.3 s \|/);
  assert.match(
    md,
    /\| web \| `reg\/app-web-dev:sha-1` \| `sha256:111111111111` \| `sha256:222222222222` \| redeployed \|/,
  );
  assert.match(md, /Automatic rollback: \*\*ok\*\* \(release `r1-rb`\)/);
  assert.match(md, /> \*\*error:\*\* unhealthy/);
});

Deno.test("deploy summary across hosts: a row per host with its services, result and error", () => {
  const md = releaseSummary({
    ...rolledBack,
    host: "web1, web2",
    hosts: [
      {
        name: "web1",
        host: "ssh://a",
        result: "rolled-back",
        services: ["web"],
        error: "host web2 failed",
      },
      {
        name: "web2",
        host: "ssh://b",
        result: "rolled-back",
        services: ["web", "w"],
        error: "x | y",
      },
    ],
  }, { result: "rolled-back", seconds: 1 });
  assert.match(md, /\| host \| docker host \| services \| result \| {2}\|\n\| --- \|/);
  assert.match(md, /\| web1 \| `ssh:\/\/a` \| web \| \*\*rolled-back\*\* \| host web2 failed \|/);
  assert.match(md, /\| web2 \| `ssh:\/\/b` \| web, w \| \*\*rolled-back\*\* \| x \\\| y \|/);
  assert.doesNotMatch(releaseSummary(rolledBack, { result: "ok", seconds: 1 }), /docker host/);
});

Deno.test("outputs: release, result, images as service → ref@digest, multiline-safe", () => {
  const o = releaseOutputs(rolledBack, "rolled-back");
  assert.deepEqual(o, {
    release: "r1",
    result: "rolled-back",
    images: JSON.stringify({ web: `reg/app-web-dev:sha-1@${D2}` }),
  });
  let n = 0;
  assert.match(
    outputsText({ result: "ok", x: "a\nEOF1\nb" }, () => `EOF${n++}`),
    /^result<<EOF0\nok\nEOF0\nx<<(EOF1_[0-9a-f-]+)\na\nEOF1\nb\n\1\n$/,
    "a delimiter that occurs in the value is not used",
  );
});

Deno.test("build summary and outputs: service, image (every tag), digest, time", () => {
  const built = [{
    service: "web",
    ref: "r/w:latest",
    refs: ["r/w:latest", "r/w:sha-1"],
    digest: D1,
    platforms: [],
    seconds: 3,
  }];
  const md = buildSummary("dev", built, { result: "ok", seconds: 4 });
  assert.match(md, /\| web \| `r\/w:latest`<br>`r\/w:sha-1` \| `sha256:1{64}` \| 3\.0 s \|/);
  assert.deepEqual(buildOutputs(built, "ok"), {
    result: "ok",
    images: JSON.stringify({ web: `r/w:latest@${D1}` }),
  });
});
