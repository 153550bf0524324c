/**
 * Client sessions: issued at initialize, carried in `Mcp-Session-Id`, reaped when idle.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";

/**
 * GET streams one 2025 session may hold open; past it the oldest is closed, so a client that reconnects after a
 * dropped connection the gateway has not noticed yet still gets its stream.
 */
export const MAX_SESSION_STREAMS = 8;

/** Where a session's unsolicited messages go: an open GET stream. */
export interface MessageSink {
  /** Sends a message; `eventId` lets the client resume after it with Last-Event-ID. */
  send(message: JsonRpcMessage, eventId?: number): void;
  /** Ends the stream (session ended or gateway closing). */
  close(): void;
}

/** Who receives a backend's broadcasts: a session, or a 2026-07-28 client's subscription. */
export interface Listener {
  /** Sends a broadcast already kept under `eventId`. */
  push(message: JsonRpcMessage, eventId: number): void;
}

/**
 * How many unsolicited messages (and bytes of them) are kept for resumption, and for how long. The byte bound
 * is small on purpose: a kept message outlives the young generation's collections and is copied into the old
 * one, so under a flood of large notifications every byte kept becomes garbage only a full collection frees.
 * With 8 MiB kept, 200 MB of 64 KiB log notifications raised the peak RSS by 100 MB; with 1 MiB, by 69.
 */
const REPLAY_LIMIT = 200;
/** The bytes of unsolicited messages kept for resumption (see above). */
export const REPLAY_BYTES = 1024 * 1024;
const REPLAY_WINDOW_MS = 5 * 60_000;

/**
 * Event ids grow across the whole gateway: a stream only needs them to grow, and one counter lets a session
 * merge its own messages with the broadcasts of its servers when it replays.
 */
let lastEventId = 0;

interface Kept {
  readonly id: number;
  readonly message: JsonRpcMessage;
  readonly at: number;
  readonly size: number;
}

/**
 * Unsolicited messages kept for resumption, within a count, a byte and a time bound. A backend connection
 * keeps one for all the sessions it broadcasts to, so idle sessions cost no memory per message.
 */
export class ReplayLog {
  readonly #kept: Kept[] = [];
  #bytes = 0;

  /** Keeps a message of `size` bytes (one larger than the bound is not kept); returns its event id. */
  append(message: JsonRpcMessage, size: number): number {
    const id = ++lastEventId;
    // Larger than the whole bound: delivered live, never kept (keeping it would push out everything else).
    if (size > REPLAY_BYTES) return id;
    const now = Date.now();
    this.#kept.push({ id, message, at: now, size });
    this.#bytes += size;
    while (
      this.#kept.length > REPLAY_LIMIT || this.#bytes > REPLAY_BYTES ||
      now - this.#kept[0].at > REPLAY_WINDOW_MS
    ) {
      this.#bytes -= this.#kept.shift()!.size;
    }
    return id;
  }

  /** The kept messages after event `after`, still within the time window. */
  *since(after: number, now: number): Iterable<Kept> {
    for (const kept of this.#kept) if (kept.id > after && now - kept.at <= REPLAY_WINDOW_MS) yield kept;
  }
}

const NO_STREAMS: ReadonlySet<MessageSink> = new Set();

/** What few sessions need, kept apart so that the many that need none of it pay one field. */
interface Rare {
  streams?: Set<MessageSink>;
  relays?: Map<string, (response: JsonRpcResponse) => void>;
  /** Messages for this session alone (relayed server requests). */
  own?: ReplayLog;
  onEnd?: (() => void)[];
}

/** The client capabilities a server-to-client request can need (the only ones a session remembers). */
export type RelayedCapability = "sampling" | "elicitation" | "roots";

const CAPABILITY_BITS: Readonly<Record<RelayedCapability, number>> = {
  sampling: 1,
  elicitation: 2,
  roots: 4,
};

/** The relayed capabilities among what a client declared at initialize, as bits. */
function capabilityBits(declared: Readonly<Record<string, unknown>>): number {
  let bits = 0;
  for (const [name, bit] of Object.entries(CAPABILITY_BITS)) if (declared[name] !== undefined) bits |= bit;
  return bits;
}

/** A session id as a replica names it, `<replica>.<uuid>`. */
function sessionId(replica: string | undefined): string {
  return replica === undefined ? crypto.randomUUID() : `${replica}.${crypto.randomUUID()}`;
}

/** The replica a session id names (see sessionId); undefined for an id that names none. */
export function replicaOfSession(id: string): string | undefined {
  return /^([a-z0-9-]+)\./.exec(id)?.[1];
}

/**
 * One client session. Sessions are many and mostly idle (10,000 by default, and a client that never says
 * DELETE leaves its own until the bound), so a session holds a few scalars and makes each collection on
 * first use; the map of requests in flight is dropped again when it empties.
 */
export class Session implements Listener {
  /** A random UUID; among replicas, after the name of the replica that holds it (`r1.<uuid>`). */
  readonly id: string;
  lastSeen = Date.now();
  /** Whether a request used the session since the store last queued it (see SessionStore). */
  used = false;
  /** The protocol revision agreed at initialize (set once it is). */
  version?: string;
  /** The log level the client set (`logging/setLevel`), sent to 2026-07-28 servers with each request. */
  logLevel?: string;
  /** Client request ids in flight, mapped to a way of cancelling them at the backend. */
  #inFlight?: Map<string | number, (reason: string) => void>;
  /** Broadcasts before this event id predate the session and are not replayed to it. */
  readonly #joined = lastEventId;
  /** The relayed capabilities the client declared, as bits: the declaration itself is the client's to size. */
  readonly #capabilities: number;
  /** The replay log (or logs, on the unified endpoint) of the backend connections that broadcast to it. */
  #logs?: ReplayLog | ReplayLog[];
  #rare?: Rare;

  constructor(
    /** The endpoint the session was opened on: a server id, or "" for the unified endpoint. */
    readonly endpoint: string,
    /** Index of the API key the client presented (0 when auth is off). */
    readonly identity: number,
    /** The capabilities the client declared at initialize. */
    capabilities: Readonly<Record<string, unknown>> = {},
    /** The replica that holds it, when there are replicas: a balancer routes on it. */
    replica?: string,
  ) {
    this.id = sessionId(replica);
    this.#capabilities = capabilityBits(capabilities);
  }

  /** Whether the client declared `capability` at initialize. */
  declared(capability: RelayedCapability): boolean {
    return (this.#capabilities & CAPABILITY_BITS[capability]) !== 0;
  }

  /** The relayed capabilities the client declared, as a 2026-07-28 envelope names them. */
  capabilities(): Record<string, unknown> {
    const declared: Record<string, unknown> = {};
    for (const [name, bit] of Object.entries(CAPABILITY_BITS)) {
      if ((this.#capabilities & bit) !== 0) declared[name] = {};
    }
    return declared;
  }

  /** How many of the client's requests are in flight. */
  get busy(): number {
    return this.#inFlight?.size ?? 0;
  }

  /** Registers a request in flight under the client's id, with the way to cancel it. */
  track(clientId: string | number, cancel: (reason: string) => void): void {
    (this.#inFlight ??= new Map()).set(clientId, cancel);
  }

  /** Forgets a request that ended. */
  untrack(clientId: string | number): void {
    if (this.#inFlight?.delete(clientId) === true && this.#inFlight.size === 0) this.#inFlight = undefined;
  }

  /** Cancels the request in flight under the client's id, if there is one. */
  cancel(clientId: string | number, reason: string): void {
    this.#inFlight?.get(clientId)?.(reason);
  }

  /** The open GET streams. */
  get streams(): ReadonlySet<MessageSink> {
    return this.#rare?.streams ?? NO_STREAMS;
  }

  /** Server-to-client requests relayed to this session, by the id the client sees, awaiting its answer. */
  get relays(): Map<string, (response: JsonRpcResponse) => void> {
    return (this.#rare ??= {}).relays ??= new Map();
  }

  /** Closes every stream of the session and releases what belongs to it alone. */
  end(): void {
    for (const stream of this.streams) stream.close();
    if (this.#rare === undefined) return;
    this.#rare.streams = undefined;
    for (const release of this.#rare.onEnd?.splice(0) ?? []) release();
  }

  /** Registers something to release when the session ends (its own backend connections). */
  onEnd(release: () => void): void {
    ((this.#rare ??= {}).onEnd ??= []).push(release);
  }

  /** Replays the broadcasts kept in `log` to this session's streams (a backend connection it listens to). */
  listen(log: ReplayLog): void {
    if (this.#logs === undefined) this.#logs = log;
    else if (this.#logs instanceof ReplayLog) {
      if (this.#logs !== log) this.#logs = [this.#logs, log];
    } else if (!this.#logs.includes(log)) this.#logs.push(log);
  }

  /**
   * Delivers a message for this session alone (of `size` bytes as it arrived) to its open GET streams, and
   * keeps it so a client that reconnects with Last-Event-ID (or had no stream open) loses nothing.
   */
  deliver(message: JsonRpcMessage, size = 0): void {
    this.push(message, ((this.#rare ??= {}).own ??= new ReplayLog()).append(message, size));
  }

  /** Sends a message already kept under `eventId` (a broadcast in a log the session listens to). */
  push(message: JsonRpcMessage, eventId: number): void {
    for (const stream of this.streams) stream.send(message, eventId);
  }

  /** Attaches a GET stream, first replaying what it missed: events after `lastEventId`, or all kept ones. */
  attach(stream: MessageSink, lastEventId?: number): void {
    const streams = (this.#rare ??= {}).streams ??= new Set();
    if (streams.size >= MAX_SESSION_STREAMS) {
      // One client's own streams: the oldest is the one most likely left over from a dropped connection.
      const oldest = streams.values().next().value!;
      streams.delete(oldest);
      oldest.close();
    }
    const now = Date.now();
    const after = lastEventId ?? (this.streams.size === 0 ? this.#joined : lastEventIdNow());
    const missed: Kept[] = [];
    const logs = this.#logs instanceof ReplayLog ? [this.#logs] : [...this.#logs ?? []];
    if (this.#rare?.own !== undefined) logs.push(this.#rare.own);
    for (const log of logs) {
      for (const kept of log.since(Math.max(after, this.#joined), now)) missed.push(kept);
    }
    missed.sort((a, b) => a.id - b.id);
    for (const kept of missed) stream.send(kept.message, kept.id);
    streams.add(stream);
  }

  /** Detaches a GET stream that closed. */
  detach(stream: MessageSink): void {
    this.#rare?.streams?.delete(stream);
  }
}

/** The newest event id handed out (the parameter of `attach` shadows the counter's name). */
function lastEventIdNow(): number {
  return lastEventId;
}

/** Why a session was closed by the gateway rather than by its client. */
export type SessionEnd = "expired" | "evicted";

/**
 * Every live session, with idle expiry and a bound. At the bound an idle session that has gone longest
 * without use is closed, chosen the way a CLOCK page cache chooses: the map is a queue, a request only
 * marks its session as used, and the eviction sends marked sessions to the back (unmarking them) until it
 * meets an unmarked one. Moving a session to the back on every request instead cost a delete and an insert
 * per request, and the table's deleted slots held more memory than the sessions; a scan for the oldest
 * `lastSeen` cost 90 µs per new session at 10,000.
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
    if (this.#sessions.size >= this.#max && !this.#evictIdle()) return false;
    this.#sessions.set(session.id, session);
    return true;
  }

  /** Closes the idle session at the front of the queue that was not used since it got there; false if none. */
  #evictIdle(): boolean {
    // Two rounds at most: the first may only unmark and requeue every idle session.
    let visits = 2 * this.#sessions.size;
    // A session deleted and set again during the loop is visited again, at the back.
    for (const [id, session] of this.#sessions) {
      if (visits-- === 0) return false;
      if (session.busy > 0) continue;
      if (session.used) {
        session.used = false;
        this.#sessions.delete(id);
        this.#sessions.set(id, session);
        continue;
      }
      this.#close(session, "evicted");
      return true;
    }
    return false;
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
      session.used = true;
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
