/**
 * The hop between replicas: a 2026-07-28 retry that reaches a replica other than the one holding its call is
 * sent on to the owner, signed. The signature (HMAC-SHA256 under a key derived from the shared state key)
 * covers the method, the path, the headers the owner reads, a timestamp, the sender and the whole body, so a
 * replica never acts on a hop it cannot verify, and a captured one cannot be replayed past a few seconds or
 * changed at all.
 */
import { base64url, fromBase64url, hmacKey } from "../protocol/state.ts";
import type { Replica } from "./replicas.ts";

/** The header that carries a hop's signature: `<sender>.<epoch ms>.<base64url MAC>`. */
export const HOP_HEADER = "x-awmg-hop";

/** The request headers a hop carries on, and signs. */
const CARRIED = [
  "authorization",
  "content-type",
  "accept",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "x-agent-id",
] as const;

/** How old a hop may be, in milliseconds, before it is refused. */
const FRESH_MS = 30_000;

const encoder = new TextEncoder();

/** What is signed: everything the owner acts on. */
function signed(
  path: string,
  headers: Headers,
  body: string,
  sender: string,
  at: string,
): Uint8Array<ArrayBuffer> {
  const carried = CARRIED.map((name) => `${name}:${headers.get(name) ?? ""}`).join("\n");
  return encoder.encode(`POST\n${path}\n${sender}\n${at}\n${carried}\n${body}`);
}

/** The path and query of a request. */
function pathOf(request: Request): string {
  const url = new URL(request.url);
  return `${url.pathname}${url.search}`;
}

/** Keys for hops, each derived from a state key, so the state key itself signs nothing but states. */
async function hopKeys(stateKeys: readonly string[]): Promise<CryptoKey[]> {
  return await Promise.all(stateKeys.map(async (stateKey) => {
    const derive = await hmacKey(encoder.encode(stateKey));
    return hmacKey(
      new Uint8Array(await crypto.subtle.sign("HMAC", derive, encoder.encode("awmg replica hop"))),
    );
  }));
}

/** Why a hop was refused. */
export type HopCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Signs the hops this replica sends and verifies the ones it receives. */
export class ReplicaHop {
  readonly self: string;
  readonly #keys: Promise<CryptoKey[]>;
  readonly #urlOf: (id: string) => string | undefined;
  readonly #live: () => readonly Replica[];

  constructor(
    self: string,
    stateKeys: readonly string[],
    replicas: { urlOf(id: string): string | undefined; live(): readonly Replica[] },
  ) {
    this.self = self;
    this.#keys = hopKeys(stateKeys);
    this.#urlOf = (id) => replicas.urlOf(id);
    this.#live = () => replicas.live();
  }

  /** The live replicas, as /health lists them. */
  live(): readonly Replica[] {
    return this.#live();
  }

  /**
   * Whether a received request's hop signature holds (fresh, from another replica, under a shared key);
   * undefined when it is no hop.
   */
  async verify(request: Request, body: string, now = Date.now()): Promise<HopCheck | undefined> {
    const header = request.headers.get(HOP_HEADER);
    if (header === null) return undefined;
    const [sender, at, mac, ...rest] = header.split(".");
    const bytes = mac === undefined ? undefined : fromBase64url(mac);
    if (rest.length > 0 || bytes === undefined || bytes.length !== 32 || !/^\d{1,15}$/.test(at ?? "")) {
      return { ok: false, reason: "the hop header is malformed" };
    }
    if (Math.abs(now - Number(at)) > FRESH_MS) return { ok: false, reason: "the hop is stale" };
    if (sender === this.self) return { ok: false, reason: "the hop names this replica as its sender" };
    if (request.method !== "POST") return { ok: false, reason: "a hop is a POST" };
    const data = signed(pathOf(request), request.headers, body, sender, at);
    for (const key of await this.#keys) {
      if (await crypto.subtle.verify("HMAC", key, bytes, data)) return { ok: true };
    }
    return { ok: false, reason: "the hop's signature does not verify" };
  }

  /**
   * Sends `request` (its body already read) on to `replica`, signed; its answer, streamed back as it comes.
   * Undefined when the replica is gone or does not answer, so the client is told at once to start over.
   */
  async forward(replica: string, request: Request, body: string): Promise<Response | undefined> {
    const base = this.#urlOf(replica);
    if (base === undefined) return undefined;
    const path = pathOf(request);
    const at = String(Date.now());
    // fetch adds an Accept of its own when there is none: "application/json" is what the owner then reads.
    const headers = new Headers({ accept: "application/json" });
    for (const name of CARRIED) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const [key] = await this.#keys;
    const mac = await crypto.subtle.sign("HMAC", key, signed(path, headers, body, this.self, at));
    headers.set(HOP_HEADER, `${this.self}.${at}.${base64url(new Uint8Array(mac))}`);
    try {
      const answer = await fetch(`${base}${path}`, {
        method: "POST",
        headers,
        body,
        signal: request.signal,
      });
      const kept = new Headers();
      for (const name of ["content-type", "cache-control"]) {
        const value = answer.headers.get(name);
        if (value !== null) kept.set(name, value);
      }
      return new Response(answer.body, { status: answer.status, headers: kept });
    } catch {
      return undefined;
    }
  }
}
