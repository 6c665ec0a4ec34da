/** Tier 2: the formats docker and Compose accept, checked before anything runs. */
import assert from "node:assert/strict";
import {
  argNameProblem,
  imageProblem,
  longPortProblem,
  portProblem,
  registryProblem,
} from "../../lib/config/formats.ts";

Deno.test("image references: what docker accepts, never a flag", () => {
  for (
    const ok of [
      "busybox",
      "postgres:16",
      "ghcr.io/org/app:v1.2",
      "127.0.0.1:5400/a-web-dev:latest",
      "localhost:5000/x/y__z",
      "[::1]:5000/app",
      `app@sha256:${"a".repeat(64)}`,
      `reg.example/team/app:1@sha256:${"0".repeat(64)}`,
    ]
  ) assert.equal(imageProblem(ok), undefined, ok);
  for (const bad of ["--help", "-x", "App", "app:", "app:-1", "a//b", "", "a b", "ghcr.io/"]) {
    assert.match(imageProblem(bad)!, /not an image reference/, bad);
  }
  assert.match(imageProblem("${IMG}")!, /variables are not supported/);
});

Deno.test("registries and build-arg names", () => {
  for (const ok of ["ghcr.io/myorg", "127.0.0.1:5400", "localhost:5000/ns/sub", "myorg", "r.io/"]) {
    assert.equal(registryProblem(ok), undefined, ok);
  }
  for (const bad of ["--registry", "-x", "ghcr.io/My", "a b", "http://x"]) {
    assert.ok(registryProblem(bad), bad);
  }
  for (const ok of ["NODE_ENV", "_x", "a1"]) assert.equal(argNameProblem(ok), undefined, ok);
  for (const bad of ["A=B", "1A", "", "a-b", "a b"]) assert.ok(argNameProblem(bad), bad);
});

Deno.test("ports: Compose's short syntax, ranges, protocols, 1–65535", () => {
  for (
    const ok of [
      "3000",
      "3000-3005",
      "8000:8000",
      "9090-9091:8080-8081",
      "8000-8010:80",
      "127.0.0.1:8001:8001",
      "127.0.0.1:5000-5010:5000-5010",
      "127.0.0.1::5000",
      ":80",
      "6060:6060/udp",
      "80/TCP",
      "[::1]:6001:6001",
      "${PORT}:80",
      8080,
    ]
  ) assert.equal(portProblem(ok), undefined, String(ok));
  const bad: [string | number, RegExp][] = [
    ["abc", /container port/],
    ["8080:abc", /container port/],
    ["70000:80", /host port/],
    ["0:80", /host port/],
    ["80:0", /container port/],
    ["3005-3000", /container port/],
    ["9090-9092:8080-8081", /ranges differ/],
    ["6060:6060/xyz", /protocol/],
    ["localhost:80:80", /not an IP address/],
    ["1.2.3.4:80", /host port/],
    ["::1:6001:6001", /not a port mapping/],
    ["8080:80:90", /not an IP address/],
    [70000, /not a port/],
    [0, /not a port/],
    [80.5, /not a port/],
  ];
  for (const [spec, want] of bad) assert.match(portProblem(spec) ?? "", want, String(spec));
});

Deno.test("ports: long syntax", () => {
  assert.equal(longPortProblem({ target: 80, published: "8000-8010", host_ip: "::1" }), undefined);
  assert.equal(longPortProblem({ target: "80", published: 8080 }), undefined);
  assert.match(longPortProblem({ target: 0 })!, /target/);
  assert.match(longPortProblem({ target: 80, published: 70000 })!, /published/);
  assert.match(longPortProblem({ target: 80, host_ip: "abc" })!, /host_ip/);
});

Deno.test("ipVersion agrees with node:net's isIP (which fleet no longer loads at start-up)", async () => {
  const { isIP } = await import("node:net");
  const { ipVersion } = await import("../../lib/config/formats.ts");
  for (
    const ip of [
      "127.0.0.1",
      "0.0.0.0",
      "255.255.255.255",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3",
      "::1",
      "fe80::1",
      "::ffff:1.2.3.4",
      "1:2:3:4:5:6:7:8",
      "1::2::3",
      "[::1]",
      "2001:db8::/32",
      "abc",
      "",
    ]
  ) assert.equal(ipVersion(ip), isIP(ip), ip);
});
