/**
 * DNS-rebinding protection: the `Host` a request names and the `Origin` a browser sends must be ones the
 * operator expects. A web page on another site can make a browser send requests to a local gateway; the
 * browser then names the page's host in both headers, which is how such requests are told apart.
 */

/** How many accepted Host values, as written, are remembered. */
const ACCEPTED_CACHE = 64;

/** Names that always reach this machine. */
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/** Where the accepted names come from. */
export interface OriginPolicyOptions {
  /** The address the gateway listens on (a host name or IP literal; IPv6 without brackets). */
  readonly listenHost: string;
  /** The domain clients are told to use. */
  readonly domain: string;
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
}

/** Why a request was refused: the header, the value found, and the setting that would allow it. */
export interface OriginRefusal {
  readonly header: "Host" | "Origin";
  readonly value: string;
  readonly setting: string;
}

/** Checks the host a request names and its Origin header; undefined means the request may proceed. */
export type OriginCheck = (host: string, origin: string | null) => OriginRefusal | undefined;

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The host part of a Host header value (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased. */
export function hostName(value: string): string {
  const text = value.trim().toLowerCase();
  if (text.startsWith("[")) return text.slice(0, text.indexOf("]") + 1);
  const colon = text.indexOf(":");
  return colon === -1 ? text : text.slice(0, colon);
}

/** Builds the check for a gateway's listen address, domain and allow-lists. */
export function originPolicy(options: OriginPolicyOptions): OriginCheck {
  const hosts = new Set(
    [...LOOPBACK, options.listenHost, options.domain, ...options.allowedHosts].map((h) =>
      bracketed(h.toLowerCase())
    ),
  );
  const origins = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  const originAllowed = (origin: string): boolean => {
    if (origins.has(origin.toLowerCase())) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return (url.protocol === "http:" || url.protocol === "https:") && hosts.has(url.hostname);
  };
  // Clients send the same few Host values over and over: remember the accepted ones as written, up to a bound.
  const accepted = new Set<string>();
  const hostAllowed = (host: string): boolean => {
    if (accepted.has(host)) return true;
    if (!hosts.has(hostName(host))) return false;
    if (accepted.size < ACCEPTED_CACHE) accepted.add(host);
    return true;
  };
  return (host, origin) => {
    if (!hostAllowed(host)) {
      return { header: "Host", value: host, setting: "gateway.allowedHosts (allowed_hosts in TOML)" };
    }
    if (origin !== null && !originAllowed(origin)) {
      return { header: "Origin", value: origin, setting: "gateway.allowedOrigins (allowed_origins in TOML)" };
    }
    return undefined;
  };
}

/** The host a request names: its Host header, or over HTTP/2 its `:authority`, which Deno puts in the URL. */
export function requestHost(request: Request): string {
  const host = request.headers.get("host");
  if (host !== null) return host;
  const start = request.url.indexOf("//") + 2;
  const end = request.url.indexOf("/", start);
  return request.url.slice(start, end === -1 ? undefined : end);
}
