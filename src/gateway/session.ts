/**
 * Client sessions: issued at initialize, carried in `Mcp-Session-Id`, reaped when idle.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";

/** Where a session's unsolicited messages go: an open GET stream. */
export interface MessageSink {
  /** Sends a message; `eventId` lets the client resume after it with Last-Event-ID. */
  send(message: JsonRpcMessage, eventId?: number): void;
  /** Ends the stream (session ended or gateway closing). */
  close(): void;
}

/** How many unsolicited messages (and bytes of them) a session keeps for resumption, and for how long. */
const REPLAY_LIMIT = 200;
const REPLAY_BYTES = 8 * 1024 * 1024;
const REPLAY_WINDOW_MS = 5 * 60_000;

/** One client session. */
export class Session {
  readonly id = crypto.randomUUID();
  lastSeen = Date.now();
  readonly streams = new Set<MessageSink>();
  /** Client request ids in flight, mapped to a way of cancelling them at the backend. */
  readonly inFlight = new Map<string | number, (reason: string) => void>();
  /** Server-to-client requests relayed to this session, by the id the client sees, awaiting its answer. */
  readonly relays = new Map<string, (response: JsonRpcResponse) => void>();
  readonly #recent: {
    readonly id: number;
    readonly message: JsonRpcMessage;
    readonly at: number;
    readonly size: number;
  }[] = [];
  #recentBytes = 0;
  readonly #onEnd: (() => void)[] = [];
  #lastEvent = 0;

  constructor(
    /** The endpoint the session was opened on: a server id, or "" for the unified endpoint. */
    readonly endpoint: string,
    /** Index of the API key the client presented (0 when auth is off). */
    readonly identity: number,
    /** The capabilities the client declared at initialize. */
    readonly capabilities: Readonly<Record<string, unknown>> = {},
  ) {}

  /** Closes every stream of the session and releases what belongs to it alone. */
  end(): void {
    for (const stream of this.streams) stream.close();
    this.streams.clear();
    for (const release of this.#onEnd.splice(0)) release();
  }

  /** Registers something to release when the session ends (its own backend connections). */
  onEnd(release: () => void): void {
    this.#onEnd.push(release);
  }

  /**
   * Delivers an unsolicited message (of `size` bytes as it arrived) to every open GET stream of the session.
   * It is also kept for a short while, within a count and a byte bound, so a client that reconnects with
   * Last-Event-ID (or had no stream open) loses nothing.
   */
  deliver(message: JsonRpcMessage, size = 0): void {
    const id = ++this.#lastEvent;
    const now = Date.now();
    this.#recent.push({ id, message, at: now, size });
    this.#recentBytes += size;
    while (
      this.#recent.length > REPLAY_LIMIT || this.#recentBytes > REPLAY_BYTES ||
      now - this.#recent[0].at > REPLAY_WINDOW_MS
    ) {
      this.#recentBytes -= this.#recent.shift()!.size;
    }
    for (const stream of this.streams) stream.send(message, id);
  }

  /** Attaches a GET stream, first replaying what it missed: events after `lastEventId`, or all kept ones. */
  attach(stream: MessageSink, lastEventId?: number): void {
    const now = Date.now();
    const after = lastEventId ?? (this.streams.size === 0 ? 0 : this.#lastEvent);
    for (const event of this.#recent) {
      if (event.id > after && now - event.at <= REPLAY_WINDOW_MS) stream.send(event.message, event.id);
    }
    this.streams.add(stream);
  }
}

/** Why a session was closed by the gateway rather than by its client. */
export type SessionEnd = "expired" | "evicted";

/**
 * Every live session, with idle expiry and a bound: the map is kept in order of last use, so at the bound
 * the least recently used idle session is at its front.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #max: number;
  readonly #onEnd: (session: Session, why: SessionEnd) => void;

  constructor(
    readonly timeoutMs: number,
    max: number,
    onEnd: (session: Session, why: SessionEnd) => void,
  ) {
    this.#max = max;
    this.#onEnd = onEnd;
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const session of this.#sessions.values()) {
        if (now - session.lastSeen > timeoutMs) this.#close(session, "expired");
      }
    }, Math.min(60_000, Math.max(100, timeoutMs / 2)));
  }

  /**
   * Registers a new session. At the bound the least recently used session with no request in flight is
   * closed first; false when every session is busy, and the new one is not registered.
   */
  add(session: Session): boolean {
    if (this.#sessions.size >= this.#max) {
      let idle: Session | undefined;
      for (const candidate of this.#sessions.values()) {
        if (candidate.inFlight.size === 0) {
          idle = candidate;
          break;
        }
      }
      if (idle === undefined) return false;
      this.#close(idle, "evicted");
    }
    this.#sessions.set(session.id, session);
    return true;
  }

  #close(session: Session, why: SessionEnd): void {
    this.#sessions.delete(session.id);
    session.end();
    this.#onEnd(session, why);
  }

  /** Finds a live session and marks it used. */
  touch(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (session !== undefined) {
      session.lastSeen = Date.now();
      this.#sessions.delete(id);
      this.#sessions.set(id, session);
    }
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
