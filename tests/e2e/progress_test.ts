/** Issue 15's progress end to end: a real deploy on a terminal (a pty through `script`) and off one. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { e2e, part, type Testbed } from "./harness.ts";
import { makeSwarmApp } from "../../testbed/swarm_app.ts";
import { type App, makeApp } from "./app.ts";
import { screen } from "../terminal.ts";

const ESC = "\x1b";
const MOD = join(new URL("../../", import.meta.url).pathname, "mod.ts");

/**
 * Run fleet with stdout and stderr on a pty; everything the terminal got, and the exit code.
 * With `interruptAt`, Ctrl-C is typed once the output matches it.
 */
async function onTerminal(
  app: Pick<App, "dir"> & { tb?: Testbed },
  args: string[],
  interruptAt?: RegExp,
) {
  const cmd = `${Deno.execPath()} run -A --quiet ${MOD} ${args.join(" ")} -C ${app.dir}`;
  const child = new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    env: {
      NO_COLOR: "1",
      TERM: "xterm",
      PATH: `${app.tb ? `${app.tb.sshBin}:` : ""}${Deno.env.get("PATH")}`,
      DOCKER_HOST: "",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  let out = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const before = out;
    out += chunk;
    if (interruptAt && !interruptAt.test(before) && interruptAt.test(out)) {
      await writer.write(new TextEncoder().encode("\x03")); // the terminal turns it into SIGINT
    }
  }
  await writer.close().catch(() => {});
  return { code: (await child.status).code, out };
}

e2e(
  "deploy on a terminal draws a live row per service; without one, lines and no escape codes",
  async (tb) => {
    const app = makeApp(tb);
    // web gets healthy on its second probe (a wait to watch); api shares web's image
    app.stage(
      `    healthcheck: { test: ["CMD", "sh", "-c", "test -e /tmp/ok || (touch /tmp/ok; exit 1)"], interval: 1s, retries: 5 }\n`,
      "",
      `  api:\n    image: ${app.repo}:latest\n    command: ["sleep", "3600"]\n`,
    );
    try {
      await app.push("v1");
      const t = await onTerminal(app, ["deploy", "dev", "--yes"]);
      const shown = screen(t.out.replaceAll("\r\n", "\n"));
      const seen = shown.join("\n");
      assert.equal(t.code, 0, seen);
      // rows were drawn in place while it ran …
      assert.match(t.out, new RegExp(`${ESC}\\[2K {2}web {2}pulling… {2}\\d+s`), t.out);
      assert.match(t.out, new RegExp(`${ESC}\\[\\d+A`), "redrawn with the cursor moved up");
      assert.match(t.out, new RegExp(`${ESC}\\[2K {2}web {2}waiting for healthy… {2}\\d+s`));
      // … and what is left on the screen is each row's final state, once
      assert.equal(shown.filter((l) => /^ {2}web {2}pulled$/.test(l)).length, 1, seen);
      assert.equal(shown.filter((l) => /^ {2}web {2}healthy$/.test(l)).length, 1, seen);
      assert.equal(shown.filter((l) => /^ {2}api {2}healthy$/.test(l)).length, 1, seen);
      assert.ok(!shown.some((l) => /…/.test(l)), `no row is left under way:\n${seen}`);
      assert.ok(!/\| +(Container|web|api) /.test(seen), `no service's state as a line:\n${seen}`);
      assert.match(seen, new RegExp(`deployed ${app.project} to dev`));

      await app.push("v2");
      const r = await app.run(["deploy", "dev", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(ESC), "no escape code off a terminal");
      assert.match(r.stderr, /^up \| +Container \S+-web-1 +Healthy/m, r.stderr);
      assert.doesNotMatch(r.stderr, /pulling…|waiting for healthy…/);
      assert.equal(await app.get(), "v2");
    } finally {
      await app.cleanup();
    }
  },
);

e2e("Ctrl-C during the live health wait leaves the terminal clean and exits 130", async (tb) => {
  const app = makeApp(tb);
  app.stage(
    `    healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: 60s, start_period: 60s }\n`,
  );
  try {
    await app.push("v1");
    const t = await onTerminal(app, ["deploy", "dev", "--yes"], /waiting for healthy… +\d+s/);
    const shown = screen(t.out.replaceAll("\r\n", "\n"));
    const seen = shown.join("\n");
    assert.equal(t.code, 130, seen);
    assert.match(seen, /^ {2}web {2}waiting for healthy… {2}\d+s$/m, "the row as it stood");
    assert.match(seen, /interrupted/);
    assert.equal(shown.at(-1), "", `the output ends with a whole line:\n${seen}`);
    assert.ok(!shown.some((l) => /^ +\S+ \|/.test(l)), `no line starts mid-line:\n${seen}`);
    assert.ok(!t.out.includes(`${ESC}[?25l`), "the cursor was never hidden");
  } finally {
    await app.cleanup();
  }
});

e2e(
  "swarm: the convergence wait on a terminal is a live row per service, ended converged",
  async (tb) => {
    if (!part(tb, "swarm")) return;
    const app = makeSwarmApp(tb);
    try {
      await app.push("v1");
      const t = await onTerminal(app, ["deploy", "sw", "--yes"]);
      const shown = screen(t.out.replaceAll("\r\n", "\n"));
      const seen = shown.join("\n");
      assert.equal(t.code, 0, seen);
      assert.match(t.out, new RegExp(`${ESC}\\[2K {2}web {2}[^\\n]*… {2}\\d+s`), t.out);
      assert.equal(shown.filter((l) => /^ {2}web {2}converged$/.test(l)).length, 1, seen);
      assert.ok(!/wait \| /.test(seen), `no wait lines besides the rows:\n${seen}`);
    } finally {
      await app.cleanup();
    }
  },
);
