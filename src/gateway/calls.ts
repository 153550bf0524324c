/**
 * What the upstream, the relay and the bridge share about the calls in flight to one backend: how a client
 * request is forwarded, what is kept of each call until its answer, the calls held for a client's retry,
 * and the small interface through which the relay and the bridge act on the upstream's calls.
 */
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { Span } from "../observability/tracing.ts";
import type { Envelope } from "../protocol/revision.ts";
import type { Exchange } from "./exchange.ts";
import type { RelayedCapability, Session } from "./session.ts";

/** How long a call to a server may take, in ms: its own toolTimeout (seconds), else the gateway's `fallbackMs`. */
export function toolTimeoutMsOf(
  server: { readonly toolTimeout?: number } | undefined,
  fallbackMs: number,
): number {
  return server?.toolTimeout === undefined ? fallbackMs : server.toolTimeout * 1000;
}

/** How a client request is forwarded. */
export interface ForwardOptions {
  readonly session?: Session;
  /**
   * The client's connection as a signal, aborted when it goes away; made on demand, since making one costs
   * and most requests are answered before it would matter.
   */
  readonly disconnect?: () => AbortSignal;
  /** The client reads an SSE answer, so server requests can travel on it. */
  readonly streamable?: boolean;
  /** The request as the client sent it, so it can be forwarded without serializing it again. */
  readonly text?: string;
  /**
   * A guard judges the result, so the call must end in one: the tasks extension (a task handle whose result
   * `tasks/get` would read unjudged) is taken out of what the client declares to the server.
   */
  readonly judged?: boolean;
  /** The client request's trace span; the backend call becomes its child. */
  readonly span?: Span;
  /** A 2026-07-28 client: its envelope, and how a state naming a held call is sealed for it. */
  readonly modern?: ModernCaller;
  /**
   * Rewrites a successful result before the client sees it; gets the text the response arrived as and the
   * backend's id for it. May answer later (a promise) when it has I/O to do, and may fail the request
   * instead (a `Refusal`). A transform that throws fails the request: its result is never shown unchecked.
   */
  readonly transform?: (result: unknown, raw: { readonly text: string; readonly id: JsonRpcId }) => unknown;
}

/** What a request from a 2026-07-28 client brings besides the request. */
export interface ModernCaller {
  readonly envelope: Envelope;
  /** The opaque, sealed `requestState` that names `hold` for this client and request. */
  readonly seal: (hold: string) => Promise<string>;
}

/** The held calls of every upstream: bounded in number, and each in how long it waits for the client. */
export class HoldBudget {
  /** Calls waiting for a client's retry. */
  held = 0;
  constructor(readonly max: number, readonly timeoutMs: number) {}
}

/** A backend request waiting for the client's answer, under the key the client sees. */
export interface Ask {
  readonly backendId: JsonRpcId;
  readonly method: string;
  readonly params: unknown;
}

/** A modern client's call whose backend asked the client something: held until the client retries. */
export interface Held {
  readonly asks: Map<string, Ask>;
  /** The hold id the last `input_required` named; a retry must name it, and uses it up. */
  hold?: string;
  /** Ends the call when the client does not come back; restarted each round. */
  timer?: ReturnType<typeof setTimeout>;
}

export interface Pending {
  readonly session?: Session;
  /** The fields below change when a modern client's retry takes over a held call. */
  streamable?: boolean;
  transform?: ForwardOptions["transform"];
  disconnect?: () => AbortSignal;
  /** Whether the client's connection is watched yet (see #sweep). */
  watched: boolean;
  clientId: JsonRpcId;
  clientToken?: unknown;
  exchange: Exchange;
  readonly modern?: ModernCaller;
  held?: Held;
  /**
   * The request as a 2026-07-28 backend got it, kept for a 2025 client's call that may be answered with
   * `input_required`: the gateway asks the client and sends it again with the answers.
   */
  request?: JsonRpcRequest;
  /** The `input_required` rounds the gateway has fulfilled for this call. */
  rounds?: number;
  readonly method: string;
  /** When the call (or, for a held call, the client's latest retry) started: the tool timeout runs from it. */
  startedAt: number;
  /** A tools/call the rate-limit breaker let through, and whether as its one trial call. */
  readonly breaker?: { readonly trial: boolean };
  /** The trace span of the backend call. */
  readonly call?: Span;
}

export interface Relay {
  readonly clientId: string;
  readonly session: Session;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The client capability a server-to-client request needs. */
export const RELAYED: Readonly<Record<string, RelayedCapability>> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

/** Why a server's request cannot reach a 2025 client. */
export const NO_STREAM =
  "the client has no open stream to receive it (open the GET stream or accept text/event-stream)";

/** The requests a 2026-07-28 server may answer with `input_required`. */
export const INPUT_METHODS = new Set(["tools/call", "prompts/get", "resources/read"]);

/** How many `input_required` rounds the gateway fulfils for a 2025 client's call before it gives up. */
export const MAX_ROUNDS = 8;

/**
 * How many questions one call may put to its client at once: the `inputRequests` of one round from a
 * 2026-07-28 server (each becomes a request on a 2025 client's session), or the requests a 2025 server piles
 * onto a call held for a 2026-07-28 client. A server that asks more ends the call with an error saying so.
 */
export const MAX_ASKS = 16;

/** A 2026-07-28 server's interim answer: what it needs from the client, and its state to echo. */
export interface InputRequired {
  readonly resultType: "input_required";
  readonly inputRequests?: Record<string, { method: string; params?: unknown }>;
  readonly requestState?: string;
}

/** The protocol revision of the client a call is for, when known (a sessionless 2025 call names none). */
export function clientRevision(pending: Pending): string | undefined {
  return pending.modern?.envelope.version ?? pending.session?.version;
}

export function isInputRequired(result: unknown): result is InputRequired {
  return (result as { resultType?: unknown } | undefined)?.resultType === "input_required";
}

/** The client capabilities the gateway declares to backends: those it can relay. */
export const RELAYED_CAPABILITIES = { sampling: {}, elicitation: {}, roots: {} } as const;

/** Params that may carry `_meta`. */
export type Meta = { _meta?: Record<string, unknown> };

/** What the relay and the bridge do through the upstream that owns the calls. */
export interface CallHost {
  readonly serverId: string;
  /** The server has a guard, which cannot judge the text of its questions to clients. */
  readonly guarded: boolean;
  readonly toolTimeoutMs: number;
  /** The calls in flight, by the backend's id for them. */
  readonly pending: ReadonlyMap<number, Pending>;
  /** Sends a message to the backend as it is. */
  notify(message: JsonRpcMessage): void;
  /** Ends a call without its answer. */
  settle(backendId: number): Pending | undefined;
  /** Cancels a call at the backend and answers its client. */
  cancel(backendId: number, reason: string): void;
  /** The clients that may have caused what the backend sends now (see Upstream). */
  callers(): Callers;
  /** Sends a call again under a new backend id (`make` builds the request for it), its timeout afresh. */
  resend(backendId: number, pending: Pending, make: (retryId: number) => JsonRpcRequest): void;
}

/** Who may have caused what a backend sends now: how many callers, how many calls of theirs are held. */
export interface Callers {
  readonly count: number;
  readonly held: number;
  /** The call, when there is one caller. */
  readonly sole?: Pending;
}

/**
 * The clients that may have caused a server request or a log line (a session, or each sessionless request
 * on its own), and the call when there is one: stdio carries no other link between them. A call held for
 * its client's answer counts as long as it is in flight: whether its handler is blocked on that answer or
 * still sending cannot be seen from here, and a guess by the clock gave one client's question to another's
 * call whenever the machine or the server was slow.
 */
export function callersOf(pending: Iterable<Pending>): Callers {
  const callers = new Set<Session | Pending>();
  let sole: Pending | undefined;
  let held = 0;
  for (const call of pending) {
    callers.add(call.session ?? call);
    sole = call;
    if (call.held !== undefined) held++;
  }
  return callers.size === 1 ? { count: 1, held, sole } : { count: callers.size, held };
}
