/**
 * Client sessions: issued at initialize, carried in `Mcp-Session-Id`, reaped when idle.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";

/** Where a session's unsolicited messages go: an open GET stream. */
export interface MessageSink {
  send(message: JsonRpcMessage): void;
  /** Ends the stream (session ended or gateway closing). */
  close(): void;
}

/** One client session. */
export class Session {
  readonly id = crypto.randomUUID();
  lastSeen = Date.now();
  readonly streams = new Set<MessageSink>();
  /** Client request ids in flight, mapped to a way of cancelling them at the backend. */
  readonly inFlight = new Map<string | number, (reason: string) => void>();
  /** Server-to-client requests relayed to this session, by the id the client sees, awaiting its answer. */
  readonly relays = new Map<string, (response: JsonRpcResponse) => void>();

  constructor(
    /** The endpoint the session was opened on: a server id, or "" for the unified endpoint. */
    readonly endpoint: string,
    /** Index of the API key the client presented (0 when auth is off). */
    readonly identity: number,
    readonly protocolVersion: string,
    /** The capabilities the client declared at initialize. */
    readonly capabilities: Readonly<Record<string, unknown>> = {},
  ) {}

  /** Closes every stream of the session. */
  end(): void {
    for (const stream of this.streams) stream.close();
    this.streams.clear();
  }

  /** Delivers an unsolicited message to every open GET stream of the session. */
  deliver(message: JsonRpcMessage): void {
    for (const stream of this.streams) stream.send(message);
  }
}

/** Every live session, with idle expiry. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly timeoutMs: number, onExpire: (session: Session) => void) {
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const session of this.#sessions.values()) {
        if (now - session.lastSeen > timeoutMs) {
          this.#sessions.delete(session.id);
          session.end();
          onExpire(session);
        }
      }
    }, Math.min(60_000, Math.max(100, timeoutMs / 2)));
  }

  /** Registers a new session. */
  add(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  /** Finds a live session and marks it used. */
  touch(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (session !== undefined) session.lastSeen = Date.now();
    return session;
  }

  /** Ends a session; returns it when it existed. */
  remove(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    this.#sessions.delete(id);
    return session;
  }

  /** Every session opened on an endpoint with an identity. */
  *matching(endpoint: string, identity: number): Iterable<Session> {
    for (const session of this.#sessions.values()) {
      if (session.endpoint === endpoint && session.identity === identity) yield session;
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Stops the reaper and ends every session. */
  close(): void {
    clearInterval(this.#timer);
    for (const session of this.#sessions.values()) session.end();
    this.#sessions.clear();
  }
}
