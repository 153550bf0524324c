/**
 * GitHub Actions OIDC tokens for remote servers with `auth = {type = "github-oidc"}`: fetched from the
 * Actions endpoint per audience, cached until shortly before they expire, shared by concurrent callers,
 * and never logged.
 */
import { readLimited } from "../jsonrpc/framer.ts";

/** Where the Actions runtime says tokens come from. */
export interface OidcEndpoint {
  /** ACTIONS_ID_TOKEN_REQUEST_URL */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN */
  readonly requestToken: string;
}

/** A token is renewed this long before its `exp`, as the Go gateway does. */
const REFRESH_MARGIN_MS = 60_000;
/** A token whose `exp` cannot be read is kept this long. */
const UNKNOWN_EXPIRY_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A token response is a small JSON object; more than this is refused unread. */
const MAX_TOKEN_RESPONSE = 64 * 1024;

/** The `exp` of a JWT in ms, read without verifying it (the remote server does that); undefined when unreadable. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(
      payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Fetches and caches OIDC tokens per audience. */
export class OidcTokens {
  readonly #endpoint: OidcEndpoint;
  readonly #cache = new Map<string, Promise<{ readonly token: string; readonly renewAt: number }>>();

  constructor(endpoint: OidcEndpoint) {
    this.#endpoint = endpoint;
  }

  /** A valid token for `audience`, from the cache or fetched once for all who ask at the same time. */
  async token(audience: string): Promise<string> {
    const cached = this.#cache.get(audience);
    if (cached !== undefined) {
      const entry = await cached.catch(() => undefined);
      if (entry !== undefined && Date.now() < entry.renewAt) return entry.token;
    }
    let fetching = this.#cache.get(audience);
    if (fetching === undefined || fetching === cached) {
      const started = this.#fetch(audience);
      started.catch(() => this.#cache.get(audience) === started && this.#cache.delete(audience));
      this.#cache.set(audience, started);
      fetching = started;
    }
    return (await fetching).token;
  }

  /** Forgets the token of `audience` (the server refused it), so the next call fetches a new one. */
  invalidate(audience: string): void {
    this.#cache.delete(audience);
  }

  async #fetch(audience: string): Promise<{ token: string; renewAt: number }> {
    const url = new URL(this.#endpoint.requestUrl);
    url.searchParams.set("audience", audience);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${this.#endpoint.requestToken}`, accept: "application/json" },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(`the OIDC token request failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the OIDC token endpoint answered HTTP ${response.status}`);
    }
    const body = await readLimited(response.body, MAX_TOKEN_RESPONSE);
    if (body === undefined) {
      throw new Error(`the OIDC token endpoint answered more than ${MAX_TOKEN_RESPONSE} bytes`);
    }
    let value: unknown;
    try {
      value = (JSON.parse(body) as { value?: unknown }).value;
    } catch {
      value = undefined;
    }
    if (typeof value !== "string" || value === "") {
      throw new Error('the OIDC token endpoint answered without a token ("value")');
    }
    const expiry = jwtExpiry(value);
    const renewAt = expiry === undefined ? Date.now() + UNKNOWN_EXPIRY_MS : expiry - REFRESH_MARGIN_MS;
    return { token: value, renewAt };
  }
}
