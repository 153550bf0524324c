/**
 * API-key authentication (MCP gateway spec 7.1): `Authorization: <key>`, with `Bearer <key>` accepted.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** The outcome of checking a request's Authorization header. */
export type AuthResult =
  | { readonly kind: "ok"; readonly identity: number }
  | { readonly kind: "missing" }
  | { readonly kind: "malformed"; readonly reason: string }
  | { readonly kind: "invalid" };

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Builds a checker for the accepted keys; the identity is the index of the key that matched. */
export function authChecker(keys: readonly string[]): (header: string | undefined) => AuthResult {
  const digests = keys.map(digest);
  return (header) => {
    if (header === undefined) return { kind: "missing" };
    const value = header.trim();
    const bearer = /^Bearer(?:\s+(.*))?$/i.exec(value);
    const key = bearer ? (bearer[1] ?? "").trim() : value;
    if (key === "") return { kind: "malformed", reason: "the Authorization header holds no API key" };
    if (/\s/.test(key)) {
      return { kind: "malformed", reason: 'expected "Authorization: <api-key>" (or "Bearer <api-key>")' };
    }
    const presented = digest(key);
    let identity = -1;
    digests.forEach((expected, index) => {
      if (timingSafeEqual(expected, presented) && identity === -1) identity = index;
    });
    return identity === -1 ? { kind: "invalid" } : { kind: "ok", identity };
  };
}
