/** Compose's progress lines as service states: Compose 2.x (2.26 in the test bed) and v5 formats. */
import assert from "node:assert/strict";
import { loadStage } from "../../lib/config/stage.ts";
import { composeContext, releaseSteps } from "../../lib/engine/compose.ts";
import {
  composeState,
  containerService,
  readComposeLine,
} from "../../lib/engine/compose_progress.ts";
import { tempProject } from "../helpers.ts";

const S = ["web", "api", "web-admin"];
const read = (l: string, images: Record<string, string> = {}) =>
  readComposeLine(l, "app-dev", S, images).map((o) => `${o.service}: ${o.text} (${o.phase})`);

Deno.test("composeState: -ing under way, errors and exits failed, the rest reached", () => {
  assert.deepEqual(composeState("Pulling"), { text: "pulling…", phase: "working" });
  assert.deepEqual(composeState("Pulled"), { text: "pulled", phase: "done" });
  assert.deepEqual(composeState("Waiting"), { text: "waiting for healthy…", phase: "working" });
  assert.deepEqual(composeState("Healthy"), { text: "healthy", phase: "done" });
  assert.deepEqual(composeState("Exited"), { text: "exited", phase: "failed" });
  assert.deepEqual(composeState("Error"), { text: "error", phase: "failed" });
  assert.deepEqual(composeState("Recreate"), { text: "recreating…", phase: "working" });
  assert.deepEqual(
    composeState("Skipped - Image is already being pulled by web"),
    { text: "same image as web", phase: "done" },
  );
});

Deno.test("containerService: <project>-<service>-<n> (or _), hyphens in names, others' containers", () => {
  assert.equal(containerService("app-dev-web-1", "app-dev"), "web");
  assert.equal(containerService("app-dev-web-admin-12", "app-dev"), "web-admin");
  assert.equal(containerService("app-dev_web_1", "app-dev"), "web");
  assert.equal(containerService("other-web-1", "app-dev"), undefined);
  assert.equal(containerService("my-own-name", "app-dev"), undefined);
});

Deno.test("Compose 2.26 lines (as captured in the test bed): containers and pulls by service", () => {
  assert.deepEqual(read(" Container app-dev-web-1  Creating"), ["web: creating… (working)"]);
  assert.deepEqual(read(" Container app-dev-web-admin-1  Started"), ["web-admin: started (done)"]);
  assert.deepEqual(read(" Container app-dev-api-1  Waiting"), [
    "api: waiting for healthy… (working)",
  ]);
  assert.deepEqual(read(" Container app-dev-api-1  Healthy"), ["api: healthy (done)"]);
  assert.deepEqual(read(" Container app-dev-api-1  Error"), ["api: error (failed)"]);
  assert.deepEqual(read(" web Pulling "), ["web: pulling… (working)"]);
  assert.deepEqual(read(" web Pulled "), ["web: pulled (done)"]);
  assert.deepEqual(read(" api Skipped - Image is already being pulled by web "), [
    "api: same image as web (done)",
  ]);
});

Deno.test("newer clients (v5): one space, a trailing one, and pulls named by image", () => {
  assert.deepEqual(read(" Container app-dev-web-1 Waiting "), [
    "web: waiting for healthy… (working)",
  ]);
  const images = { web: "reg:5000/app:v1", api: "reg:5000/app:v1", "web-admin": "busybox" };
  assert.deepEqual(read(" Image reg:5000/app:v1 Pulling ", images), [
    "web: pulling… (working)",
    "api: pulling… (working)",
  ]);
  assert.deepEqual(read(" Image busybox Pulled ", images), ["web-admin: pulled (done)"]);
  assert.deepEqual(read(" Image unknown:1 Pulled ", images), []);
});

Deno.test("lines that are no service's state: layers, networks, volumes, errors, other containers", () => {
  for (
    const l of [
      " 8298d7891277 Downloading [>      ]  36.45kB/3.001MB",
      " 8de8e144c39e Already exists ",
      " Network app-dev_default  Created",
      ' Volume "app-dev_data"  Creating',
      "dependency failed to start: container app-dev-api-1 is unhealthy",
      " Container other-web-1  Started",
      "",
      "web",
    ]
  ) assert.deepEqual(read(l), [], l);
});

Deno.test("the release's pull and up read their services' lines; stop and rm print as lines", () => {
  const root = tempProject({
    "stages/dev.yaml":
      "project: app\nregistry: reg:5000\nservices:\n  web: { build: {} }\n  db: { image: busybox }\n",
  });
  const ctx = composeContext(loadStage(root, "dev"), {});
  const steps = releaseSteps(ctx, ["web", "db"], ["web", "db"], {
    pull: true,
    only: false,
    wait: 60,
  });
  const [pull, stop, rm, up] = steps;
  assert.deepEqual(pull.progress?.services, ["web", "db"]);
  assert.equal(pull.progress?.start, "pulling…");
  assert.equal(pull.progress?.settled, "pulled");
  assert.deepEqual(pull.progress?.read(" Image busybox Pulled "), [
    { service: "db", text: "pulled", phase: "done" },
  ]);
  assert.equal(stop.progress, undefined);
  assert.equal(rm.progress, undefined);
  assert.equal(up.progress?.settled, "ready");
  assert.deepEqual(up.progress?.read(` Container ${ctx.project}-web-1  Healthy`), [
    { service: "web", text: "healthy", phase: "done" },
  ]);
  const noWait = releaseSteps(ctx, ["web"], [], { pull: false, only: true });
  assert.equal(noWait.at(-1)?.progress?.settled, "started");
});
