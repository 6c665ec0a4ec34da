#!/usr/bin/env -S deno run -A
/**
 * A preview per branch: a stage of its own (`preview-<branch>`), written next to the others from
 * the branch's name, built, deployed and listed; `down` takes it away with its stage file.
 *
 *   deno run -A examples/preview.ts [up|down] [--branch <name>] [--publish <host:port:port>]
 *
 * The branch defaults to git's current one. The preview stage takes everything from
 * stages/_base.yaml (registry, host, services); `--publish` gives its first service a port.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { $ } from "zx";
import { build, deploy, down, ps, stages } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { branch: { type: "string" }, publish: { type: "string" } },
});
const branch = values.branch ?? (await $`git branch --show-current`).stdout.trim();
const slug = branch.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
const stage = `preview-${slug}`;

// the project as fleet finds it: its root, and the service to publish
const known = await stages();
const root = known[0]?.stage?.root ?? Deno.cwd();
const file = join(root, "stages", `${stage}.yaml`);
const service = known[0]?.stage?.services[0]?.name ?? "web";

if (positionals[0] === "down") {
  if (known.some((s) => s.name === stage)) await down(stage, { yes: true });
  await Deno.remove(file).catch(() => {});
  console.log(`${stage}: removed`);
} else {
  const ports = values.publish ? `    ports: ["${values.publish}"]\n` : "    {}\n";
  const header = `# the preview of branch ${branch} (examples/preview.ts); remove it with \`down\``;
  await Deno.writeTextFile(file, `${header}\nservices:\n  ${service}:\n${ports}`);

  await build(stage, { push: true });
  const release = await deploy(stage, { yes: true });
  const view = await ps(stage);
  console.log(`${stage}: release ${release.release} on ${view.host}`);
  for (const c of view.containers) {
    const urls = c.ports.filter((p) => p.published)
      .map((p) => `http://${p.url ?? "127.0.0.1"}:${p.published}/`);
    console.log(`  ${c.service} ${c.state} ${urls.join(" ")}`);
  }
}
