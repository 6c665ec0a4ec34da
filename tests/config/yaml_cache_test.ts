/**
 * The YAML cache (lib/config/yaml_cache.ts): the second read of the same text comes from the
 * cache and gives the same stage; any other text, or other parsing code, is parsed again; what
 * JSON cannot carry exactly is never kept; an error in a kept file has its position all the same.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { findRoot, loadStage } from "../../lib/config/stage.ts";
import { exact, MAX_ENTRIES, yamlText } from "../../lib/config/yaml_cache.ts";
import { readYamlFile } from "../../lib/config/yaml_file.ts";
import { tempProject } from "../helpers.ts";
import { fleet } from "../../testbed/bed.ts";

/** Run `fn` with the cache in a fresh directory; returns that directory's `yaml/`. */
async function withCache<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = Deno.makeTempDirSync({ prefix: "fleet-cache-" });
  const before = Deno.env.get("FLEET_CACHE_DIR");
  Deno.env.set("FLEET_CACHE_DIR", dir);
  try {
    return await fn(join(dir, "yaml"));
  } finally {
    if (before === undefined) Deno.env.delete("FLEET_CACHE_DIR");
    else Deno.env.set("FLEET_CACHE_DIR", before);
    Deno.removeSync(dir, { recursive: true });
  }
}

const entries = (d: string) => {
  try {
    return [...Deno.readDirSync(d)].filter((e) => e.name.endsWith(".json")).map((e) => e.name);
  } catch {
    return [];
  }
};

const FILES = {
  "stages/_base.yaml": "project: shop\nservices:\n  web:\n    image: busybox\n" +
    "    environment: { A: '1' }\n",
  "stages/dev.yaml":
    "host: ssh://deploy@dev.example.com\nservices:\n  web:\n    ports: ['8080:80']\n",
};

Deno.test("YAML cache: the same text again gives the same stage, from the cache", async () => {
  await withCache((cache) => {
    const root = tempProject(FILES);
    const first = loadStage(findRoot(root), "dev", {});
    assert.equal(entries(cache).length, 2, "one entry per file read");
    const again = loadStage(findRoot(root), "dev", {});
    assert.deepEqual(again, first);
    // it is the cache that answered: an entry changed behind fleet's back shows through…
    for (const name of entries(cache)) {
      const p = join(cache, name);
      Deno.writeTextFileSync(p, Deno.readTextFileSync(p).replace('"A":"1"', '"A":"cached"'));
    }
    const svc = (s: ReturnType<typeof loadStage>) => s.services.find((x) => x.name === "web")!;
    assert.deepEqual(svc(loadStage(findRoot(root), "dev", {})).environment, { A: "cached" });
    // …and only for the same text: an edited file is parsed again
    Deno.writeTextFileSync(
      join(root, "stages/_base.yaml"),
      FILES["stages/_base.yaml"].replace("'1'", "'2'"),
    );
    assert.deepEqual(svc(loadStage(findRoot(root), "dev", {})).environment, { A: "2" });
  });
});

Deno.test("YAML cache: an error in a kept file says where, as the first time did", async () => {
  await withCache((cache) => {
    const root = tempProject({
      "stages/live.yaml": "project: a\nservices:\n  web:\n    image: x\n    prots: [1]\n",
    });
    const message = () => {
      try {
        loadStage(findRoot(root), "live", {});
      } catch (e) {
        return (e as Error).message;
      }
      assert.fail("no error");
    };
    const first = message();
    assert.match(first, /^stages\/live\.yaml:5:5: services\.web\.prots: unknown key/);
    assert.equal(entries(cache).length, 1, "the file parsed: kept");
    assert.equal(message(), first);
  });
});

Deno.test("YAML cache: what JSON cannot carry exactly is parsed every time", async () => {
  await withCache((cache) => {
    const root = tempProject({ "x.yaml": "a: .inf\nb: -0\nc: 1\n", "y.yaml": "a: 1.5\n" });
    const f = readYamlFile(root, "x.yaml");
    assert.equal(f.data.a, Infinity);
    assert.ok(Object.is(f.data.b, -0));
    assert.equal(entries(cache).length, 0);
    assert.equal(readYamlFile(root, "x.yaml").data.a, Infinity);
    readYamlFile(root, "y.yaml");
    assert.equal(entries(cache).length, 1);
  });
  assert.equal(exact({ a: [1, "x", null, true, { b: 2 }] }), true);
  for (const v of [Infinity, NaN, -0, undefined, new Date(0), 1n, new Map()]) {
    assert.equal(exact({ a: [v] }), false, String(v));
  }
  assert.equal(exact(JSON.parse('{"__proto__": 1}')), false);
});

Deno.test("YAML cache: an entry made by other parsing code, or for another path, is not used", async () => {
  await withCache((cache) => {
    const root = tempProject({ "x.yaml": "a: 1\n" });
    readYamlFile(root, "x.yaml");
    const [name] = entries(cache);
    const p = join(cache, name);
    const entry = JSON.parse(Deno.readTextFileSync(p));
    const value = (a: number) => ({ ...entry.value, data: { a } });
    Deno.writeTextFileSync(p, JSON.stringify({ ...entry, stamp: "other", value: value(2) }));
    assert.equal(readYamlFile(root, "x.yaml").data.a, 1);
    Deno.writeTextFileSync(p, JSON.stringify({ ...entry, key: "/else", value: value(3) }));
    assert.equal(readYamlFile(root, "x.yaml").data.a, 1);
    Deno.writeTextFileSync(p, "{ torn");
    assert.equal(readYamlFile(root, "x.yaml").data.a, 1);
  });
});

Deno.test("YAML cache: off with FLEET_CACHE_DIR empty; at most MAX_ENTRIES entries", async () => {
  await withCache((cache) => {
    Deno.env.set("FLEET_CACHE_DIR", "");
    readYamlFile(tempProject({ "x.yaml": "a: 1\n" }), "x.yaml");
    assert.equal(entries(cache).length, 0);
  });
  await withCache((cache) => {
    Deno.mkdirSync(cache, { recursive: true });
    for (let i = 0; i < MAX_ENTRIES; i++) Deno.writeTextFileSync(join(cache, `old${i}.json`), "{}");
    readYamlFile(tempProject({ "x.yaml": "a: 1\n" }), "x.yaml");
    const left = entries(cache);
    assert.ok(left.length <= MAX_ENTRIES / 2 + 1, `${left.length} left`);
    assert.ok(left.some((n) => !n.startsWith("old")), "the new entry stays");
  });
});

Deno.test("YAML cache: a value written again comes from the cache, only for the same JSON", async () => {
  const { stringify } = await import("yaml");
  await withCache((cache) => {
    const model = { name: "shop-dev", services: { web: { image: "busybox", ports: ["80:80"] } } };
    const text = yamlText(model);
    assert.equal(text, stringify(model, { lineWidth: 0 }));
    assert.equal(entries(cache).length, 1);
    // it is the cache that answers the same value again…
    const [name] = entries(cache);
    const p = join(cache, name);
    Deno.writeTextFileSync(p, Deno.readTextFileSync(p).replace("image: busybox", "image: kept"));
    assert.match(yamlText(structuredClone(model)), /image: kept/);
    // …and only that value: another, or one JSON cannot carry, is written by yaml
    const other = { ...model, name: "shop-live" };
    assert.equal(yamlText(other), stringify(other, { lineWidth: 0 }));
    const odd = { a: Infinity, b: -0 };
    assert.equal(yamlText(odd), stringify(odd, { lineWidth: 0 }));
    assert.equal(entries(cache).length, 2);
  });
});

Deno.test("YAML cache: the user's alone, and no secret from the environment in it", async () => {
  await withCache(async (cache) => {
    const secret = `s3cret-${crypto.randomUUID()}`;
    const root = tempProject({
      "stages/_base.yaml": "project: shop\nservices:\n  web:\n    image: busybox\n" +
        "    environment: { DB_PASSWORD: '${DB_PASSWORD}' }\n",
      "stages/local.yaml": "services: {}\n",
    });
    const env = { DB_PASSWORD: secret, FLEET_CACHE_DIR: join(cache, "..") };
    for (const args of [["config", "local"], ["config", "local", "--compose"], ["stages"]]) {
      const r = await fleet(args, { cwd: root, env });
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await fleet(["deploy", "local", "--dry-run"], { cwd: root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(entries(cache).length >= 3, "parsed files and written values kept");
    assert.equal(Deno.statSync(cache).mode! & 0o777, 0o700);
    for (const name of entries(cache)) {
      const p = join(cache, name);
      assert.equal(Deno.statSync(p).mode! & 0o777, 0o600, name);
      assert.ok(!Deno.readTextFileSync(p).includes(secret), name);
    }
  });
});
