/** An in-memory registry (distribution API v2) for the registry API tests. */
const enc = new TextEncoder();

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return "sha256:" + [...h].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Registries by host, each with blobs and manifests per repository; `user:password` (Basic)
 * when `auth` is set. Records each request as `METHOD host path`.
 */
export class FakeRegistries {
  blobs = new Map<string, Uint8Array<ArrayBuffer>>(); // `${host}/${repo}@${digest}`
  manifests = new Map<string, { type: string; bytes: Uint8Array<ArrayBuffer> }>(); // `${host}/${repo}:${ref}`
  uploads = new Map<string, string>(); // upload id → `${host}/${repo}`
  log: string[] = [];
  constructor(readonly auth?: string) {}

  async push(host: string, repo: string, tag: string, layers: string[]): Promise<string> {
    const blobs = [
      enc.encode(`{"os":"linux","architecture":"amd64"}`),
      ...layers.map((l) => enc.encode(l)),
    ];
    const ds = await Promise.all(blobs.map(sha256));
    blobs.forEach((b, i) => this.blobs.set(`${host}/${repo}@${ds[i]}`, b));
    const type = "application/vnd.docker.distribution.manifest.v2+json";
    // spacing of its own: a copy that re-serialised the JSON would change the digest
    const m =
      `{ "schemaVersion": 2, "mediaType": "${type}",\n  "config": { "mediaType": "x", "size": 1, "digest": "${
        ds[0]
      }" },\n  "layers": [${
        ds.slice(1).map((d) => `{"mediaType":"l","size":1,"digest":"${d}"}`).join(",")
      }] }`;
    const bytes = enc.encode(m);
    const digest = await sha256(bytes);
    this.manifests.set(`${host}/${repo}:${tag}`, { type, bytes });
    this.manifests.set(`${host}/${repo}:${digest}`, { type, bytes });
    return digest;
  }

  fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? "GET";
    const host = url.host;
    this.log.push(`${method} ${host} ${url.pathname}${url.search}`);
    const h = new Headers(init.headers);
    if (this.auth && h.get("authorization") !== `Basic ${btoa(this.auth)}`) {
      return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    }
    const m = url.pathname.match(/^\/v2\/(.+?)\/(manifests|blobs)\/(.*)$/);
    if (!m) return new Response("", { status: 404 });
    const [, repo, kind, rest] = m;
    if (kind === "manifests") {
      const key = `${host}/${repo}:${rest}`;
      if (method === "PUT") {
        const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
        const digest = await sha256(bytes);
        const type = h.get("content-type") ?? "";
        this.manifests.set(key, { type, bytes });
        this.manifests.set(`${host}/${repo}:${digest}`, { type, bytes });
        return new Response("", { status: 201, headers: { "docker-content-digest": digest } });
      }
      const found = this.manifests.get(key);
      return found
        ? new Response(found.bytes, { headers: { "content-type": found.type } })
        : new Response("", { status: 404 });
    }
    if (rest.startsWith("uploads/")) {
      const id = rest.slice("uploads/".length);
      if (method === "POST") {
        const from = url.searchParams.get("from");
        const mount = url.searchParams.get("mount");
        const src = mount && from && this.blobs.get(`${host}/${from}@${mount}`);
        if (src) {
          this.blobs.set(`${host}/${repo}@${mount}`, src);
          return new Response("", { status: 201 });
        }
        const uid = `u${this.uploads.size + 1}`;
        this.uploads.set(uid, `${host}/${repo}`);
        return new Response("", {
          status: 202,
          headers: { location: `/v2/${repo}/blobs/uploads/${uid}?state=x` },
        });
      }
      const where = this.uploads.get(id);
      const digest = url.searchParams.get("digest")!;
      const bytes = new Uint8Array(await new Response(init.body).arrayBuffer());
      if (!where || (await sha256(bytes)) !== digest) return new Response("", { status: 400 });
      this.blobs.set(`${where}@${digest}`, bytes);
      return new Response("", { status: 201 });
    }
    const blob = this.blobs.get(`${host}/${repo}@${rest}`);
    if (!blob) return new Response("", { status: 404 });
    return new Response(method === "HEAD" ? null : blob);
  };
}
