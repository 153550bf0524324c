/**
 * API-key authentication (MCP gateway spec 7.1): `Authorization: <key>`, with `Bearer <key>` accepted.
 */
/** The outcome of checking a request's Authorization header. */
export type AuthResult =
  | { readonly kind: "ok"; readonly identity: number }
  | { readonly kind: "missing" }
  | { readonly kind: "malformed"; readonly reason: string }
  | { readonly kind: "invalid" };

/**
 * Compares a presented key with an expected one in time that depends only on the expected key's length, so
 * the answer's timing tells nothing about how much of a guess was right (no hashing per request).
 */
export function sameKey(expected: string, presented: string): boolean {
  let difference = expected.length ^ presented.length;
  for (let i = 0; i < expected.length; i++) {
    difference |= expected.charCodeAt(i) ^ (presented.charCodeAt(i) | 0);
  }
  return difference === 0;
}

/** Builds a checker for the accepted keys; the identity is the index of the key that matched. */
export function authChecker(keys: readonly string[]): (header: string | undefined) => AuthResult {
  return (header) => {
    if (header === undefined) return { kind: "missing" };
    const value = header.trim();
    const bearer = /^Bearer(?:\s+(.*))?$/i.exec(value);
    const key = bearer ? (bearer[1] ?? "").trim() : value;
    if (key === "") return { kind: "malformed", reason: "the Authorization header holds no API key" };
    if (/\s/.test(key)) {
      return { kind: "malformed", reason: 'expected "Authorization: <api-key>" (or "Bearer <api-key>")' };
    }
    let identity = -1;
    keys.forEach((expected, index) => {
      if (sameKey(expected, key) && identity === -1) identity = index;
    });
    return identity === -1 ? { kind: "invalid" } : { kind: "ok", identity };
  };
}
