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

/** The longest `X-Agent-ID` accepted. */
export const MAX_AGENT_ID_LENGTH = 256;

/**
 * The guards' agent of a request: its `X-Agent-ID` within the API key's identity (`key0/reviewer`), else the
 * identity alone (`key0`), so one key's agents never share labels with another's and no key is ever shown.
 * The header is refused, as the Go gateway refuses it, when it holds control characters or is not one path
 * segment; an empty one counts as absent.
 */
export function agentOf(
  header: string | undefined,
  identity: number,
): { agent: string } | { refused: string } {
  const key = `key${identity}`;
  if (header === undefined || header === "") return { agent: key };
  if (header.length > MAX_AGENT_ID_LENGTH) {
    return { refused: `the X-Agent-ID header is longer than ${MAX_AGENT_ID_LENGTH} characters` };
  }
  // Tab is the one control character Go's check lets through.
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(header)) {
    return { refused: "the X-Agent-ID header holds control characters" };
  }
  if (header === "." || header === ".." || /[/\\]/.test(header) || header.trim() !== header) {
    return {
      refused: "the X-Agent-ID header must be one path segment (no slashes, not . or .., no outer spaces)",
    };
  }
  return { agent: `${key}/${header}` };
}
