/**
 * Issue 26 end to end: Ctrl-C on a terminal (a pty through `script`, so the whole foreground
 * process group gets SIGINT, as from a keyboard) during the release task and during stop.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { docker, e2e, part } from "./harness.ts";
import { type App, makeApp } from "./app.ts";
import { makeSwarmApp } from "../../testbed/swarm_app.ts";

const MOD = join(new URL("../../", import.meta.url).pathname, "mod.ts");

/**
 * Run `fleet <args>` in `dir` on a terminal; once its output matches `at` (and `delayMs` later),
 * press Ctrl-C `times` times (`gapMs` apart, 200 ms by default). Returns the exit code, the output, and the seconds
 * from the first Ctrl-C to the end.
 */
export async function interruptAt(
  dir: string,
  args: string[],
  at: RegExp,
  o: { times?: number; gapMs?: number; delayMs?: number; path?: string } = {},
): Promise<{ code: number; out: string; seconds: number }> {
  const times = o.times ?? 1;
  const cmd = `${Deno.execPath()} run -A --quiet ${MOD} ${args.join(" ")} -C ${dir}`;
  const child = new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    env: {
      NO_COLOR: "1",
      PATH: `${o.path ? `${o.path}:` : ""}${Deno.env.get("PATH")}`,
      TERM: "dumb",
      DOCKER_HOST: "",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!at.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  assert.match(out, at, out);
  if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
  const pressed = Date.now();
  for (let i = 0; i < times; i++) {
    if (i) await new Promise((r) => setTimeout(r, o.gapMs ?? 200));
    // the terminal turns it into SIGINT; a fleet already gone (a broken pipe) heard no more
    const sent = await writer.write(new TextEncoder().encode("\x03")).then(() => true, () => false);
    if (!sent) break;
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await writer.close().catch(() => {});
  await child.stderr.cancel();
  const code = (await child.status).code;
  return { code, out, seconds: (Date.now() - pressed) / 1000 };
}

/** The stage's history as `fleet history --json` gives it. */
async function history(app: App): Promise<{ result: string; note: string | null }[]> {
  const h = await app.run(["history", "dev", "--json"]);
  assert.equal(h.code, 0, h.stderr);
  return JSON.parse(h.stdout).releases;
}

/** Containers of the project that are one-off runs (a release task). */
async function oneOffs(app: App): Promise<string[]> {
  const out = await docker(app.host, [
    "ps",
    "-a",
    "-q",
    "--filter",
    `label=com.docker.compose.project=${app.project}-dev`,
    "--filter",
    "label=com.docker.compose.oneoff=True",
  ]);
  return out.trim().split("\n").filter(Boolean);
}

async function lockGone(app: App): Promise<void> {
  await assert.rejects(
    docker(app.host, ["inspect", `fleet-lock-${app.project}-dev`]),
    /No such/,
    "the lock is gone",
  );
}

const TASK = `tasks:\n  pre_deploy: { service: web, command: ["sleep", "30"] }\nconfirm: false\n`;

for (const times of [1, 2]) {
  e2e(
    `Ctrl-C ×${times} during the release task ends it, releases the lock, records interrupted`,
    async (tb) => {
      const app = makeApp(tb);
      try {
        app.stage("", TASK);
        await app.push("v1");
        const r = await interruptAt(
          app.dir,
          ["deploy", "dev", "--yes"],
          /==> release task: web sleep 30\r?\n/,
          {
            times,
            // the second press while the first one's cleanup runs (it takes a fraction of a second)
            gapMs: 20,
            delayMs: 2000, // the task's container runs
            path: tb.sshBin,
          },
        );
        assert.equal(r.code, 130, r.out);
        assert.ok(r.seconds < 20, `ended ${r.seconds}s after Ctrl-C, not after the task's 30 s`);
        assert.match(r.out, /interrupted/);
        if (times === 2) assert.match(r.out, /still cleaning up/, "the second Ctrl-C was heard");
        await lockGone(app);
        assert.deepEqual(await oneOffs(app), [], "no task container is left");
        const h = await history(app);
        assert.equal(h[0]?.result, "interrupted", JSON.stringify(h));
        assert.match(h[0]?.note ?? "", /release task/);
        assert.deepEqual(await app.containers(), {}, "nothing was started, nothing stopped");
      } finally {
        await app.cleanup();
      }
    },
  );
}

// an app that takes 8 s to stop (its TERM handler sleeps), as a slow-draining server does
const SLOW_STOP = `FROM busybox
ARG CONTENT=v1
RUN mkdir -p /www && echo "$CONTENT" > /www/index.html
CMD ["sh", "-c", "trap 'sleep 8; exit 0' TERM; httpd -f -p 8080 -h /www & while :; do sleep 1; done"]
`;

e2e(
  "Ctrl-C during stop: the stop is finished, and the report and history say stopped",
  async (tb) => {
    const app = makeApp(tb);
    try {
      Deno.writeTextFileSync(join(app.dir, "Dockerfile"), SLOW_STOP);
      app.stage("", "confirm: false\n");
      await app.push("v1");
      const first = await app.run(["deploy", "dev", "--yes"]);
      assert.equal(first.code, 0, first.stderr);
      await app.push("v2");
      const r = await interruptAt(app.dir, ["deploy", "dev", "--yes"], /==> stop\r?\n/, {
        delayMs: 1500,
        path: tb.sshBin,
      });
      assert.equal(r.code, 130, r.out);
      assert.match(r.out, /web: stopped, not serving/, r.out);
      assert.doesNotMatch(r.out, /web: previous release/, r.out);
      // what was reported is what is true when fleet has left, not a few seconds later
      const c = (await app.containers()).web;
      const running = await docker(app.host, ["inspect", "-f", "{{.State.Running}}", c]);
      assert.equal(running.trim(), "false", "the container is stopped");
      const h = await history(app);
      assert.equal(h[0].result, "interrupted");
      assert.match(h[0].note ?? "", /interrupted \(Ctrl-C\) during stop; stopped: web/);
      await lockGone(app);
    } finally {
      await app.cleanup();
    }
  },
);

e2e("swarm: Ctrl-C during convergence is an interrupt, recorded as such (3 tries)", async (tb) => {
  if (!part(tb, "swarm")) return;
  const app = makeSwarmApp(tb);
  try {
    await app.push("v1");
    const first = await app.run(["deploy", "sw", "--yes"]);
    assert.equal(first.code, 0, first.stderr);
    // at different moments of the wait: a query in flight, between polls
    for (const [i, delayMs] of [300, 900, 1700].entries()) {
      await app.push(`v${i + 2}`);
      const r = await interruptAt(app.dir, ["deploy", "sw", "--yes"], /converged \(up to/, {
        delayMs,
      });
      assert.equal(r.code, 130, r.out);
      assert.doesNotMatch(r.out, /no Docker engine answers|failed/i, r.out);
      assert.match(r.out, /interrupted/);
      const h = await app.run(["history", "sw", "--json"]);
      assert.equal(h.code, 0, h.stderr);
      const top = JSON.parse(h.stdout).releases[0];
      assert.equal(top.result, "interrupted", JSON.stringify(top));
      assert.match(top.note ?? "", /^interrupted \(Ctrl-C\)/);
      // the lock is free: the next round (and the cleanup) can deploy
      await assert.rejects(
        docker(tb.swarmManager!, ["inspect", `fleet-lock-${app.stack}`]),
        /No such/,
      );
    }
  } finally {
    await app.cleanup();
  }
});
