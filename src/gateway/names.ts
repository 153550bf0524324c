/**
 * Names and cursors of the unified endpoint: `<serverID>___<name>` and one opaque cursor over several
 * backends' pagination.
 */

/** The endpoint id of the unified endpoint (`/mcp`). */
export const UNIFIED = "";

/** The separator between server id and tool or prompt name (three underscores, as the Go gateway). */
export const SEPARATOR = "___";

/** `<serverID>___<name>`. */
export function prefixName(serverId: string, name: string): string {
  return `${serverId}${SEPARATOR}${name}`;
}

/** Splits a prefixed name at its first separator; undefined when it has none. */
export function splitName(prefixed: string): { serverId: string; name: string } | undefined {
  const at = prefixed.indexOf(SEPARATOR);
  if (at <= 0) return undefined;
  return { serverId: prefixed.slice(0, at), name: prefixed.slice(at + SEPARATOR.length) };
}

/** Why a prefixed name may be rejected by clients; undefined when it is fine. */
export function nameProblem(prefixed: string): string | undefined {
  if (prefixed.length > 64) {
    return `it is ${prefixed.length} characters long (many clients accept at most 64)`;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(prefixed)) return "it has characters outside [A-Za-z0-9_-]";
  return undefined;
}

/** Where a combined listing stands: the index of the server, and that server's own cursor. */
export interface CursorState {
  readonly server: number;
  readonly cursor?: string;
}

/** Encodes a combined cursor. */
export function encodeCursor(state: CursorState): string {
  return btoa(JSON.stringify([state.server, state.cursor ?? null])).replaceAll("=", "");
}

/** Decodes a combined cursor; undefined when it is not one of ours. */
export function decodeCursor(cursor: string): CursorState | undefined {
  try {
    const [server, inner] = JSON.parse(atob(cursor));
    if (!Number.isInteger(server) || server < 0 || (inner !== null && typeof inner !== "string")) {
      return undefined;
    }
    return inner === null ? { server } : { server, cursor: inner };
  } catch {
    return undefined;
  }
}
