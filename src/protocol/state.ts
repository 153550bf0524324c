/**
 * Sealing the `requestState` a client must echo: the gateway's claims, serialized and authenticated with
 * HMAC-SHA256 under a key of this run, or under the key replicas share (then any of them opens it, and the
 * claims name the replica that holds the call). A client can read the claims (they hold no secret) but cannot forge,
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
  /** The replica holding the request, when replicas share the key. */
  readonly replica?: string;
}

const encoder = new TextEncoder();

/** Bytes as unpadded base64url, the alphabet states and hops travel in. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bytes of unpadded base64url text; undefined for anything else. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
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

/** An HMAC-SHA256 key of `material` for signing and verifying. */
export function hmacKey(material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", material, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/**
 * Seals and opens request states. Alone, with one key made at construction that never leaves the process;
 * among replicas, with the keys they share: it seals with the first and opens with any (a rotation).
 */
export class StateSeal {
  readonly #keys: Promise<CryptoKey[]>;

  constructor(shared: readonly string[] = []) {
    const materials = shared.length === 0
      ? [crypto.getRandomValues(new Uint8Array(32))]
      : shared.map((key) => encoder.encode(key));
    this.#keys = Promise.all(materials.map(hmacKey));
  }

  /** The opaque state for `claims`. */
  async seal(claims: StateClaims): Promise<string> {
    const body = base64url(encoder.encode(JSON.stringify(claims)));
    const [key] = await this.#keys;
    const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(body));
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
    if (!await this.#verifies(mac, encoder.encode(body))) {
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

  /** Whether any key signed `data` with `mac` (verify compares in constant time). */
  async #verifies(mac: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<boolean> {
    for (const key of await this.#keys) if (await crypto.subtle.verify("HMAC", key, mac, data)) return true;
    return false;
  }
}

function refused(reason: string): Opened {
  return { kind: "refused", reason };
}
