/**
 * The formats Docker and Compose accept for values fleet hands on: image references,
 * registries, published ports, build-arg names (platforms: platforms.ts). Checked when a stage file loads (and
 * for the flags that set them), so a bad value is exit 2 before any docker command, and no value
 * can reach docker's command line as a flag. Each check returns why a value is wrong, or undefined.
 */

// Docker's reference grammar (distribution/reference)
const ALNUM = "[a-z0-9]+";
const PATH_COMPONENT = `${ALNUM}(?:(?:[._]|__|-+)${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const IMAGE_RE = new RegExp(`^${NAME}(?::${TAG})?(?:@${DIGEST})?$`);
const REGISTRY_RE = new RegExp(`^${DOMAIN}(?:/${PATH_COMPONENT})*/*$`);
const ARG_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why `ref` is not an image reference docker accepts (`[registry/]name[:tag][@digest]`).
 * @example imageProblem("--help") // "not an image reference ([registry/]name[:tag][@digest], lowercase name)"
 */
export function imageProblem(ref: string): string | undefined {
  if (IMAGE_RE.test(ref) && ref.split(/[:@]/)[0].length <= 255) return undefined;
  if (ref.includes("$")) return "variables are not supported here (fleet must know the image)";
  return "not an image reference ([registry/]name[:tag][@digest], lowercase name)";
}

/**
 * Why `registry` is not a registry prefix (`host[:port][/namespace…]`).
 * @example registryProblem("ghcr.io/myorg") // undefined
 */
export function registryProblem(registry: string): string | undefined {
  return REGISTRY_RE.test(registry)
    ? undefined
    : "not a registry (host[:port][/namespace], e.g. ghcr.io/myorg or 127.0.0.1:5000)";
}

/** Why `name` cannot name a build arg or variable (letters, digits, `_`; no leading digit). */
export function argNameProblem(name: string): string | undefined {
  return ARG_NAME_RE.test(name)
    ? undefined
    : "not a variable name (letters, digits and _, not starting with a digit)";
}

/**
 * Why a published port (Compose short syntax, or a number) would be rejected: ranges, 1–65535,
 * `[ip:][host:]container[/tcp|udp|sctp]`. Strings with variables are left to Compose's check.
 * @example portProblem("127.0.0.1:8080-8081:80-81/udp") // undefined
 */
export function portProblem(spec: string | number): string | undefined {
  if (typeof spec === "number") return range(String(spec)) ? undefined : "not a port (1–65535)";
  if (spec.includes("$")) return undefined;
  const [ports, proto, ...more] = spec.split("/");
  if (more.length || (proto !== undefined && !/^(tcp|udp|sctp)$/i.test(proto))) {
    return "unknown protocol (tcp, udp or sctp)";
  }
  let rest = ports;
  let ip: string | undefined;
  const bracket = rest.match(/^\[([^\]]*)\]:(.*)$/);
  if (bracket) [ip, rest] = [bracket[1], bracket[2]];
  const parts = rest.split(":");
  if (!bracket && parts.length === 3) ip = parts.shift();
  if (parts.length > 2 || (bracket && parts.length !== 2)) {
    return "not a port mapping ([ip:][host:]container[/protocol])";
  }
  if (ip !== undefined && ipVersion(ip) === 0) return `"${ip}" is not an IP address`;
  const container = range(parts.at(-1)!);
  if (!container) return "the container port is not a port or range (1–65535)";
  const host = parts.length === 2 && parts[0] !== "" ? range(parts[0]) : undefined;
  if (parts.length === 2 && parts[0] !== "" && !host) {
    return "the host port is not a port or range (1–65535)";
  }
  if (host && host[1] - host[0] !== container[1] - container[0] && container[0] !== container[1]) {
    return "the host and container ranges differ in length";
  }
  return undefined;
}

/** Why a long-syntax port's fields would be rejected (target, published, host_ip). */
export function longPortProblem(
  p: { target: number | string; published?: number | string; host_ip?: string },
): string | undefined {
  const target = range(String(p.target));
  if (!target || target[0] !== target[1]) return "target: not a port (1–65535)";
  if (p.published !== undefined && !range(String(p.published))) {
    return "published: not a port or range (1–65535)";
  }
  if (p.host_ip !== undefined && ipVersion(p.host_ip) === 0) {
    return `host_ip: "${p.host_ip}" is not an IP address`;
  }
  return undefined;
}

/** `80` → [80, 80]; `8000-8010` → [8000, 8010]; anything else, or outside 1–65535 → undefined. */
function range(s: string): [number, number] | undefined {
  const m = s.match(/^(\d{1,5})(?:-(\d{1,5}))?$/);
  if (!m) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
  return a >= 1 && b <= 65535 && a <= b ? [a, b] : undefined;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/**
 * 4 for an IPv4 address, 6 for an IPv6 one, else 0 (node:net's isIP, without loading node:net
 * and the streams it brings: start-up time, issue 16).
 * @example ipVersion("127.0.0.1") // 4
 */
export function ipVersion(s: string): 0 | 4 | 6 {
  if (IPV4.test(s)) return 4;
  if (!s.includes(":") || /[^0-9a-fA-F:.]/.test(s)) return 0;
  try {
    new URL(`http://[${s}]/`); // the URL parser checks IPv6 syntax in full
    return 6;
  } catch {
    return 0;
  }
}
