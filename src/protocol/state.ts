/**
 * Sealing the `requestState` a client must echo: the gateway's claims, serialized and authenticated with
 * HMAC-SHA256 under a key of this run. A client can read the claims (they hold no secret) but cannot forge,
 * alter or extend them; state from another run, another client or another request is refused on opening.
 * Web Crypto, not node:crypto: loading Deno's node:crypto took a fifth of the gateway's start (2026-12-06),
 * for a seal most runs never make.
 */
/** What a sealed state asserts. */
export interface StateClaims {
  /** The held request it resumes. */
  readonly hold: string;
  /** The API key's identity it was given to. */
  readonly identity: number;
  /** The server whose request is held. */
  readonly server: string;
  /** The method and the name (tool, prompt) or URI of the request it belongs to. */
  readonly method: string;
  readonly name: string;
  /** Epoch milliseconds after which it is refused. */
  readonly expires: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Why a state was refused, for the client's error. */
export type Opened =
  | { readonly kind: "ok"; readonly claims: StateClaims }
  | { readonly kind: "refused"; readonly reason: string };

/** Seals and opens request states with one key, made at construction and never leaving the process. */
export class StateSeal {
  readonly #key = crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(32)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );

  /** The opaque state for `claims`. */
  async seal(claims: StateClaims): Promise<string> {
    const body = base64url(encoder.encode(JSON.stringify(claims)));
    const mac = await crypto.subtle.sign("HMAC", await this.#key, encoder.encode(body));
    return `${body}.${base64url(new Uint8Array(mac))}`;
  }

  /**
   * Opens a state the client echoed and checks it belongs to this request: same identity, server, method
   * and name, and not expired. The held request it names may still be gone (used once, or ended).
   */
  async open(
    state: unknown,
    expected: { identity: number; server?: string; method: string; name: string },
    now: number,
  ): Promise<Opened> {
    if (typeof state !== "string" || state.length > 4096) {
      return refused("it is not a state this gateway issued");
    }
    const dot = state.indexOf(".");
    const mac = fromBase64url(state.slice(dot + 1));
    if (dot < 0 || mac === undefined || mac.length !== 32) {
      return refused("it is not a state this gateway issued");
    }
    const body = state.slice(0, dot);
    // verify compares in constant time.
    if (!await crypto.subtle.verify("HMAC", await this.#key, mac, encoder.encode(body))) {
      return refused("its signature does not verify (altered, or issued by another gateway run)");
    }
    const claims = JSON.parse(new TextDecoder().decode(fromBase64url(body))) as StateClaims;
    if (claims.expires < now) return refused("it expired");
    if (claims.identity !== expected.identity) return refused("it was issued to another client");
    if (expected.server !== undefined && claims.server !== expected.server) {
      return refused(`it belongs to server '${claims.server}'`);
    }
    if (claims.method !== expected.method || claims.name !== expected.name) {
      return refused(`it belongs to another request (${claims.method} ${claims.name})`);
    }
    return { kind: "ok", claims };
  }
}

function refused(reason: string): Opened {
  return { kind: "refused", reason };
}
