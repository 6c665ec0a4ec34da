/** Tier 1: `fleet ps` of a stage with the proxy shows its routes (text and --json). */
import assert from "node:assert/strict";
import { psText } from "../../lib/report/text.ts";
import { psJson } from "../../lib/report/json.ts";

const routes = [
  { project: "shop-dev", service: "web", host: "shop.test", upstream: "shop-dev-web-2:3000" },
  { project: "shop-dev", service: "api", path: "/api", upstream: "shop-dev-api-1:4000" },
];
const r = { stage: "dev", project: "shop-dev", host: "local engine", containers: [], routes };

Deno.test("ps: the routes through the proxy, and the container that serves each", () => {
  const text = psText(r);
  assert.match(text, /^no containers of shop-dev\n\nROUTE\s+SERVICE\s+SERVED BY\n/);
  assert.match(text, /\nshop\.test\/\s+web\s+shop-dev-web-2:3000\n/);
  assert.match(text, /\n\*\/api\s+api\s+shop-dev-api-1:4000$/);
  assert.match(psText({ ...r, routes: [] }), /no routes through the proxy$/);
  assert.doesNotMatch(psText({ ...r, routes: undefined }), /route/);
  assert.deepEqual(psJson(r).routes, routes);
});
