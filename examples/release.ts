#!/usr/bin/env -S deno run -A
/**
 * A release, start to finish: build dev (pushed), run the tests inside the image just built,
 * deploy dev, promote dev's images to live (by digest, no rebuild), deploy live.
 *
 *   deno run -A examples/release.ts [-- <test command run in the image>]
 *   deno run -A examples/release.ts -- sh -c 'npm test'
 *
 * fleet's library (mod.ts) does the stages; zx's `$` runs everything else. Copy it next to your
 * stages/ and adapt: other stage names, more checks between the steps, a notification at the end.
 */
import { $ } from "zx";
import { build, deploy, promote } from "../mod.ts";

const dash = Deno.args.indexOf("--");
const testCommand = dash >= 0 ? Deno.args.slice(dash + 1) : ["true"];

// 1. build dev's images and push them to dev's registry
const built = await build("dev", { push: true });
for (const b of built) console.log(`built ${b.service}: ${b.ref} ${b.digest ?? ""}`);

// 2. the tests, inside the image just built (its digest: exactly what was pushed)
const [app] = built;
const image = app.digest ? `${app.ref.replace(/:[^:/]+$/, "")}@${app.digest}` : app.ref;
await $({ stdio: "inherit" })`docker run --rm ${image} ${testCommand}`;
console.log(`tests passed in ${image}`);

// 3. dev first: deployed, healthy, recorded (rolled back by itself if it fails)
const dev = await deploy("dev", { yes: true });
console.log(`dev: release ${dev.release} (${dev.result})`);

// 4. live gets the very manifests dev runs, then deploys them
const promoted = await promote("dev", "live");
for (const p of promoted.services) {
  // an older buildx wraps a single-platform manifest in a list: then the digest differs
  const as = p.identical ? "" : ` (as ${p.digest})`;
  console.log(`promoted ${p.service}: ${p.to} from ${p.sourceDigest}${as}`);
}
const live = await deploy("live", { yes: true });
console.log(`live: release ${live.release} (${live.result})`);
