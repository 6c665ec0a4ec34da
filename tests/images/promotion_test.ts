/** What `fleet promote` points where (lib/images/promotion.ts), and its exit-2 refusals. */
import assert from "node:assert/strict";
import { planPromotion, promotionHosts } from "../../lib/images/promotion.ts";
import { UsageError } from "../../lib/core/errors.ts";
import type { Service } from "../../lib/config/stage.ts";
import { errorOf, stageFixture } from "../helpers.ts";

const web: Service = { name: "web", build: { context: "/p", args: {} } };
const app: Service = { name: "app", build: { context: "/p", args: {} } };
const db: Service = { name: "db", image: "postgres:16" };
const dev = stageFixture([app, web, db]);
const live = stageFixture([app, web, db], { name: "live", registry: "ghcr.io/o" });

Deno.test("every built service, from <from>'s reference to <to>'s; --tag on both sides", () => {
  assert.deepEqual(planPromotion(dev, live, {}), [
    { service: "app", from: "reg.example/team/app-dev:latest", to: "ghcr.io/o/app-live:latest" },
    {
      service: "web",
      from: "reg.example/team/app-web-dev:latest",
      to: "ghcr.io/o/app-web-live:latest",
    },
  ]);
  assert.deepEqual(planPromotion(dev, live, { service: ["web"], tag: "sha-1" }), [
    {
      service: "web",
      from: "reg.example/team/app-web-dev:sha-1",
      to: "ghcr.io/o/app-web-live:sha-1",
    },
  ]);
  assert.deepEqual(promotionHosts(planPromotion(dev, live, {})), ["reg.example", "ghcr.io"]);
});

Deno.test("refused (exit 2): no registry, a service <to> does not build, a bad tag, -n db", () => {
  const bare = stageFixture([app, web], { name: "pre", registry: undefined });
  const cases: [() => unknown, RegExp][] = [
    [() => planPromotion(dev, bare, {}), /promote needs a registry, and pre has none for app/],
    [
      () => planPromotion(dev, stageFixture([app], { name: "live" }), { service: ["web"] }),
      /stage "live" has no built service "web"/,
    ],
    [() => planPromotion(dev, live, { tag: "-x" }), /--tag "-x" is not a valid image tag/],
    [() => planPromotion(dev, live, { service: ["db"] }), /unknown service "db"/],
    [() => planPromotion(dev, dev, {}), /dev and dev name the same image/],
  ];
  for (const [fn, msg] of cases) {
    const e = errorOf(fn);
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, msg);
  }
});
