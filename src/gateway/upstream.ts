/**
 * One backend connection as seen by clients: request ids and progress tokens rewritten so that many
 * clients can share it, answers and progress routed back, timeouts and cancellation applied.
 */
import { getLogger } from "@logtape/logtape";
import { BackendConnection, type ConnectionOptions, Unavailable } from "../backends/connection.ts";
import { ErrorCode, errorResponse, unavailableResponse } from "../jsonrpc/errors.ts";
import {
  bareRequest,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../jsonrpc/messages.ts";
import { recordTimeout, rpcRecorder } from "../observability/rpc.ts";
import { withId } from "../jsonrpc/splice.ts";
import type { Span } from "../observability/tracing.ts";
import { isRateLimitResult, type RateLimitBreaker } from "./breaker.ts";
import { Exchange } from "./exchange.ts";
import { type Listener, type RelayedCapability, ReplayLog, type Session } from "./session.ts";
import {
  type Envelope,
  envelope,
  legacyParams,
  logLevelShown,
  META,
  ModernError,
  withMeta,
} from "../protocol/revision.ts";

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
  readonly seal: (hold: string) => string;
}

/** The held calls of every upstream: bounded in number, and each in how long it waits for the client. */
export class HoldBudget {
  /** Calls waiting for a client's retry. */
  held = 0;
  constructor(readonly max: number, readonly timeoutMs: number) {}
}

/** A backend request waiting for the client's answer, under the key the client sees. */
interface Ask {
  readonly backendId: JsonRpcId;
  readonly method: string;
  readonly params: unknown;
}

/** A modern client's call whose backend asked the client something: held until the client retries. */
interface Held {
  readonly asks: Map<string, Ask>;
  /** The hold id the last `input_required` named; a retry must name it, and uses it up. */
  hold?: string;
  /** Ends the call when the client does not come back; restarted each round. */
  timer?: ReturnType<typeof setTimeout>;
  /** When the backend last asked something for this call. */
  askedAt: number;
}

interface Pending {
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

interface Relay {
  readonly clientId: string;
  readonly session: Session;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The client capability a server-to-client request needs. */
const RELAYED: Readonly<Record<string, RelayedCapability>> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

/** Why a server's request cannot reach a 2025 client. */
const NO_STREAM =
  "the client has no open stream to receive it (open the GET stream or accept text/event-stream)";

/** The requests a 2026-07-28 server may answer with `input_required`. */
const INPUT_METHODS = new Set(["tools/call", "prompts/get", "resources/read"]);

/** How many `input_required` rounds the gateway fulfils for a 2025 client's call before it gives up. */
const MAX_ROUNDS = 8;

/** A 2026-07-28 server's interim answer: what it needs from the client, and its state to echo. */
interface InputRequired {
  readonly resultType: "input_required";
  readonly inputRequests?: Record<string, { method: string; params?: unknown }>;
  readonly requestState?: string;
}

/** The protocol revision of the client a call is for, when known (a sessionless 2025 call names none). */
function clientRevision(pending: Pending): string | undefined {
  return pending.modern?.envelope.version ?? pending.session?.version;
}

function isInputRequired(result: unknown): result is InputRequired {
  return (result as { resultType?: unknown } | undefined)?.resultType === "input_required";
}

/**
 * How long after a backend's question it may still ask more for the same call: questions a handler sends
 * at once (`Promise.all`) arrive within it; a handler that waits for an answer sends nothing after it.
 */
const ASK_WINDOW_MS = 100;

/** The client capabilities the gateway declares to backends: those it can relay. */
export const RELAYED_CAPABILITIES = { sampling: {}, elicitation: {}, roots: {} } as const;

/** What an upstream needs besides its connection's own options. */
export interface UpstreamOptions extends Omit<ConnectionOptions, "onMessage" | "onDown"> {
  readonly toolTimeoutMs: number;
  /** The sessions (and modern subscriptions) that receive this backend's unsolicited notifications. */
  readonly audience: () => Iterable<Listener>;
  /** Bounds the calls held for a modern client's retry. */
  readonly holds: HoldBudget;
  /** Told when the backend's tool list has been refreshed. */
  readonly onToolsChanged?: (tools: readonly Record<string, unknown>[]) => void;
  /** The backend's rate-limit circuit breaker, which tool calls pass through. */
  readonly breaker?: RateLimitBreaker;
}

type Meta = { _meta?: Record<string, unknown> };

/** A transform's answer that fails the request with this error instead of returning a result. */
export class Refusal {
  constructor(readonly code: number, readonly message: string, readonly data?: unknown) {}
}

/** A rate-limit answer: HTTP 429 from a remote server, or a tool error that says the limit was hit. */
function isRateLimited(answer: JsonRpcResponse): boolean {
  return "error" in answer ? answer.error.code === ErrorCode.RateLimited : isRateLimitResult(answer.result);
}

/** A backend connection shared by the sessions of one identity. */
export class Upstream {
  readonly connection: BackendConnection;
  readonly serverId: string;
  /** Unsolicited messages of this backend, kept once for every session it broadcasts to. */
  readonly log = new ReplayLog();
  readonly #options: UpstreamOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #relays = new Map<JsonRpcId, Relay>();
  /** Held calls by the hold id their last `input_required` named, to their backend id. */
  readonly #holds = new Map<string, number>();
  #nextAsk = 0;
  readonly #log;
  readonly #record;
  #nextId = 0;
  #nextRelay = 0;
  #sweeper?: ReturnType<typeof setInterval>;

  constructor(options: UpstreamOptions) {
    this.#options = options;
    this.serverId = options.serverId;
    this.#log = getLogger(["awmg", "backend", options.serverId]);
    this.#record = rpcRecorder(options.serverId);
    this.connection = new BackendConnection({
      ...options,
      onMessage: (message, text) => this.#receive(message, text),
      onDown: (reason) => this.#failAll(reason),
    });
  }

  /** Requests in flight to this backend, held calls aside: those wait for a client, not for the backend. */
  get inFlight(): number {
    let count = 0;
    for (const pending of this.#pending.values()) if (pending.held === undefined) count++;
    return count;
  }

  /**
   * Forwards a client request; the exchange ends with its response (or the gateway's error). A backend that
   * is down is (re)started first; a running one gets the request in this turn.
   */
  forward(request: JsonRpcRequest, options: ForwardOptions = {}): Exchange {
    const exchange = new Exchange();
    if (this.connection.state === "running") this.#send(request, options, exchange);
    else {
      this.connection.ensureRunning().then(
        () => this.#send(request, options, exchange),
        (error: Error) => exchange.finish(this.#unavailable(request.id, error.message)),
      );
    }
    return exchange;
  }

  #send(request: JsonRpcRequest, options: ForwardOptions, exchange: Exchange): void {
    const { session } = options;
    const breaker = request.method === "tools/call" ? this.#options.breaker : undefined;
    const verdict = breaker?.allow(Date.now());
    if (verdict !== undefined && !verdict.allowed) {
      exchange.finish(this.#breakerOpen(request.id, breaker!, verdict.reopensAt, verdict.trialInFlight));
      return;
    }
    const backendId = ++this.#nextId;
    const clientId = request.id;
    const adapted = this.#adapt(request, options);
    const meta = (request.params as Meta | undefined)?._meta;
    const clientToken = meta?.progressToken;
    const call = options.span?.child(`backend ${request.method}`, {
      "mcp.server": this.serverId,
      "mcp.method": request.method,
      "jsonrpc.request.id": backendId,
    });
    // The server's trace context is the backend call's, wherever the client put its own.
    const traced = call !== undefined && typeof meta?.traceparent === "string";
    if (traced) meta!.traceparent = call.traceparent();
    const rewritten = traced || (meta !== undefined && clientToken !== undefined);
    if (meta !== undefined && clientToken !== undefined) meta.progressToken = backendId;
    request.id = backendId;
    const outgoing = bareRequest(request);
    const original = options.text === undefined || rewritten || adapted || outgoing !== request
      ? undefined
      : withId(options.text, clientId, backendId);
    const pending: Pending = {
      session,
      modern: options.modern,
      ...(adapted && options.modern === undefined && INPUT_METHODS.has(request.method)
        ? { request: outgoing }
        : {}),
      streamable: options.streamable,
      transform: options.transform,
      disconnect: options.disconnect,
      watched: false,
      call,
      clientId,
      clientToken,
      exchange,
      method: request.method,
      startedAt: Date.now(),
      ...(verdict === undefined ? {} : { breaker: { trial: verdict.trial } }),
    };
    this.#pending.set(backendId, pending);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1000, this.#options.toolTimeoutMs / 4));
    const cancel = (reason: string) => this.#cancel(backendId, reason);
    exchange.canceller = cancel;
    session?.track(clientId, cancel);
    try {
      const text = this.connection.send(outgoing, original, call?.traceparent());
      const tool = request.method === "tools/call" ? (request.params as { name?: unknown }).name : undefined;
      const revision = clientRevision(pending);
      this.#record({
        direction: "outbound",
        session: session?.id ?? null,
        method: request.method,
        id: backendId,
        text,
        ...(typeof tool === "string" ? { tool } : {}),
        ...(revision === undefined ? {} : { revision }),
      });
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      this.#settle(backendId);
      exchange.finish(this.#unavailable(clientId, error.message));
    }
  }

  /**
   * Fits a request to the revision the backend speaks: a 2025 server gets a modern client's request
   * without the envelope and the retry fields; a 2026-07-28 server gets an envelope on every request, the
   * modern client's own or one made from what a 2025 client declared (the gateway's own calls declare
   * nothing). True when the params changed.
   */
  #adapt(request: JsonRpcRequest, options: ForwardOptions): boolean {
    const backendModern = this.connection.modern;
    if (options.modern === undefined && backendModern) {
      const { session } = options;
      const meta = envelope(this.#options.clientInfo, session?.capabilities() ?? {});
      // A 2025 session gets log lines unless it lowered their level, as a 2025 server would send them.
      if (session !== undefined) meta[META.logLevel] = session.logLevel ?? "debug";
      request.params = withMeta(request.params, meta);
      return true;
    }
    if (options.modern !== undefined && !backendModern) {
      request.params = legacyParams((request.params ?? {}) as Record<string, unknown>);
      return true;
    }
    return false;
  }

  /** Forwards a client notification (or any message) as it is; dropped with a warning when the backend is down. */
  notify(message: JsonRpcMessage): void {
    // A 2026-07-28 server takes notifications (a cancellation over stdio) with an envelope, as requests.
    if (this.connection.modern && "method" in message) {
      message.params = withMeta(message.params, envelope(this.#options.clientInfo, {}));
    }
    try {
      const text = this.connection.send(message);
      this.#record({
        direction: "outbound",
        session: null,
        method: "method" in message ? message.method : "response",
        id: "id" in message ? message.id : null,
        text,
      });
    } catch (error) {
      this.#log.warn("Dropped {what} for {server}: {error}", {
        what: "method" in message ? message.method : "a response",
        server: this.serverId,
        error: (error as Error).message,
      });
    }
  }

  #unavailable(id: JsonRpcId, detail: string): JsonRpcResponse {
    return unavailableResponse(id, this.serverId, detail);
  }

  /** Ends a request in flight: with the backend's answer, or without one (timeout, cancellation, backend down). */
  #settle(backendId: number, answer?: JsonRpcResponse): Pending | undefined {
    const pending = this.#pending.get(backendId);
    if (pending === undefined) return undefined;
    this.#pending.delete(backendId);
    if (pending.held !== undefined) this.#release(pending);
    pending.session?.untrack(pending.clientId);
    if (pending.breaker !== undefined) {
      const breaker = this.#options.breaker!;
      if (answer !== undefined) breaker.record(isRateLimited(answer), Date.now());
      else if (pending.breaker.trial) breaker.release(Date.now());
    }
    if (pending.call !== undefined) {
      if (answer === undefined) pending.call.fail("no answer: timed out, cancelled or the backend went down");
      else if ("error" in answer) pending.call.fail(answer.error.message);
      pending.call.end();
    }
    return pending;
  }

  /** The fast failure of a tool call while the rate-limit breaker is open. */
  #breakerOpen(id: JsonRpcId, breaker: RateLimitBreaker, reopensAt: number, trialInFlight: boolean) {
    const seconds = Math.max(0, Math.ceil((reopensAt - Date.now()) / 1000));
    const detail = trialInFlight
      ? `server '${this.serverId}' is rate-limited; a trial call is in flight to see whether it has recovered`
      : `server '${this.serverId}' answered ${breaker.threshold} tool calls in a row with a rate-limit error; ` +
        `calls fail fast until ${
          new Date(reopensAt).toISOString()
        } (in ${seconds}s), then one trial call is let through`;
    return errorResponse(id, ErrorCode.ServerUnavailable, "Rate limit circuit breaker is open", {
      server: this.serverId,
      detail,
      reopensAt: new Date(reopensAt).toISOString(),
    });
  }

  /**
   * Times out what has waited longer than the tool timeout (one timer for every request, not one each), and
   * lets a request still waiting watch its client's connection, to be cancelled at the backend if the client
   * goes away: only requests that outlive a sweep pay for that.
   */
  #sweep(): void {
    const expired = Date.now() - this.#options.toolTimeoutMs;
    for (const [backendId, pending] of this.#pending) {
      if (pending.held !== undefined) continue;
      if (pending.startedAt <= expired) this.#timeout(backendId);
      else if (!pending.watched && pending.held === undefined) {
        pending.watched = true;
        const { exchange } = pending;
        const gone = () => {
          if (pending.exchange === exchange && !exchange.finished) {
            this.#cancel(backendId, "client disconnected");
          }
        };
        const signal = pending.disconnect?.();
        // A client that went away before this sweep has an aborted signal, which fires no event any more.
        if (signal?.aborted === true) gone();
        else signal?.addEventListener("abort", gone, { once: true });
      }
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #timeout(backendId: number): void {
    const pending = this.#settle(backendId);
    if (pending === undefined) return;
    const elapsed = Date.now() - pending.startedAt;
    const seconds = (elapsed / 1000).toFixed(1);
    recordTimeout(this.serverId, pending.method, elapsed);
    this.#log.warn("Request {method} to {server} timed out after {seconds}s", {
      method: pending.method,
      server: this.serverId,
      seconds,
    });
    pending.exchange.finish(errorResponse(pending.clientId, ErrorCode.ServerTimeout, "Server timeout", {
      server: this.serverId,
      detail: `${pending.method} got no answer from server '${this.serverId}' within ${seconds}s`,
      method: pending.method,
      elapsedMs: elapsed,
    }));
    this.notify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: backendId, reason: `timed out after ${seconds}s` },
    });
  }

  #cancel(backendId: number, reason: string): void {
    const pending = this.#settle(backendId);
    if (pending === undefined) return;
    this.notify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: backendId, reason },
    });
    pending.exchange.finish(errorResponse(pending.clientId, -32800, "Request cancelled", {
      server: this.serverId,
      detail: reason,
    }));
  }

  #failAll(reason: string): void {
    for (const backendId of [...this.#pending.keys()]) {
      const pending = this.#settle(backendId)!;
      pending.exchange.finish(this.#unavailable(pending.clientId, reason));
    }
  }

  #receive(message: JsonRpcMessage, text: string): void {
    if (!("method" in message)) {
      const waiting = typeof message.id === "number" ? this.#pending.get(message.id) : undefined;
      if (waiting?.request !== undefined && "result" in message && isInputRequired(message.result)) {
        return this.#fulfill(message.id as number, waiting, message.result as InputRequired);
      }
      const pending = typeof message.id === "number" ? this.#settle(message.id, message) : undefined;
      const revision = pending === undefined ? undefined : clientRevision(pending);
      this.#record({
        direction: "inbound",
        session: pending?.session?.id ?? null,
        method: pending?.method ?? "response",
        id: message.id,
        text,
        ...(pending === undefined ? {} : { duration: Date.now() - pending.startedAt }),
        ...("error" in message ? { error: message.error.message } : {}),
        ...(revision === undefined ? {} : { revision }),
      });
      if (pending === undefined) {
        this.#log.warn("Dropped a response from {server} to an unknown or finished request id {id}", {
          server: this.serverId,
          id: message.id,
        });
        return;
      }
      const backendId = message.id!;
      message.id = pending.clientId;
      if (
        pending.modern !== undefined && pending.method === "resources/read" && "error" in message &&
        message.error.code === -32002
      ) {
        // A 2025 server's "resource not found"; 2026-07-28 says -32602 for it.
        message.error.code = ErrorCode.InvalidParams;
        pending.exchange.finish(message);
        return;
      }
      // An interim input_required answer is not the call's result: the transform (offload, guard) waits for it.
      if (pending.transform !== undefined && "result" in message && !isInputRequired(message.result)) {
        const result = message.result;
        const finish = (out: unknown) => {
          if (out instanceof Refusal) {
            pending.exchange.finish(errorResponse(pending.clientId, out.code, out.message, out.data));
          } else {
            message.result = out;
            pending.exchange.finish(message);
          }
        };
        let transformed: unknown;
        try {
          transformed = pending.transform(result, { text, id: backendId });
        } catch (error) {
          transformed = Promise.reject(error);
        }
        if (transformed instanceof Promise) {
          transformed.then(finish, (error: Error) =>
            finish(
              new Refusal(ErrorCode.InternalError, "The answer could not be processed", {
                server: this.serverId,
                detail: error.message,
              }),
            ));
          return;
        }
        if (transformed !== result) return finish(transformed);
      }
      pending.exchange.finish(message, withId(text, backendId, pending.clientId));
      return;
    }
    this.#record({
      direction: "inbound",
      session: null,
      method: message.method,
      id: "id" in message ? message.id : null,
      text,
    });
    if ("id" in message) return this.#relay(message);
    if (message.method === "notifications/cancelled") {
      const params = message.params as { requestId?: JsonRpcId } | undefined;
      const relay = params?.requestId === undefined ? undefined : this.#endRelay(params.requestId);
      if (relay !== undefined) {
        params!.requestId = relay.clientId;
        relay.session.relays.delete(relay.clientId);
        relay.session.deliver(message);
      }
      return;
    }
    if (message.method === "notifications/tools/list_changed") {
      this.connection.refreshTools(this.#options.toolTimeoutMs).then((tools) =>
        this.#options.onToolsChanged?.(tools)
      )
        .catch((error) =>
          this.#log.warn("Could not refresh the tools of {server}: {error}", {
            server: this.serverId,
            error: error.message,
          })
        ).finally(() => this.#broadcast(message, text.length));
      return;
    }
    if (message.method === "notifications/message") {
      const caller = this.#callers().sole;
      if (caller?.modern !== undefined) {
        // A modern client gets a call's log on its answer, and only at the level it asked for.
        const wanted = caller.modern.envelope.logLevel;
        const level = (message.params as { level?: unknown } | undefined)?.level;
        if (wanted !== undefined && logLevelShown(level, wanted)) caller.exchange.push(message);
        return;
      }
    }
    if (message.method === "notifications/progress") {
      const params = message.params as { progressToken?: unknown } | undefined;
      const pending = typeof params?.progressToken === "number"
        ? this.#pending.get(params.progressToken)
        : undefined;
      if (pending !== undefined) {
        params!.progressToken = pending.clientToken;
        pending.exchange.push(message);
        return;
      }
    }
    this.#broadcast(message, text.length);
  }

  #broadcast(message: JsonRpcMessage, size: number): void {
    const id = this.log.append(message, size);
    for (const session of this.#options.audience()) session.push(message, id);
  }

  /**
   * Relays a server-to-client request to the session that caused it: the one session with requests in
   * flight (stdio carries no other link between the two, so with several it is refused, never guessed). It
   * travels on that request's SSE answer when the client reads one, else on the session's GET stream. Without a client able to answer, the backend gets
   * an error at once instead of waiting.
   */
  #relay(request: JsonRpcRequest): void {
    const refuse = (reason: string) => {
      this.#log.warn("Refused {method} from {server}: {reason}", {
        method: request.method,
        server: this.serverId,
        reason,
      });
      this.notify(errorResponse(request.id, ErrorCode.MethodNotFound, reason, { server: this.serverId }));
    };
    if (request.method === "ping") return this.notify({ jsonrpc: "2.0", id: request.id, result: {} });
    const capability = RELAYED[request.method];
    if (capability === undefined) return refuse(`awmg does not relay ${request.method} to clients`);
    const { count, sole: cause } = this.#callers();
    if (count > 1) {
      return refuse(
        `${count} clients have requests in flight on ${this.serverId}, so the one that caused it is not known; ` +
          `give the server isolation = "session" to relay such requests under concurrency`,
      );
    }
    if (cause?.modern !== undefined) return this.#ask(cause, request, capability, refuse);
    const session = cause?.session;
    if (cause === undefined || session === undefined) {
      return refuse(`no client session is waiting on ${this.serverId}`);
    }
    if (!session.declared(capability)) {
      return refuse(`the client did not declare the ${capability} capability`);
    }
    const backendId = request.id;
    const clientId = this.#toClient(cause, session, request, (response) => {
      if (this.#endRelay(backendId) === undefined) return;
      response.id = backendId;
      this.notify(response);
    });
    if (clientId === undefined) return refuse(NO_STREAM);
    const timer = setTimeout(() => {
      if (this.#endRelay(backendId) === undefined) return;
      session.relays.delete(clientId);
      refuse(`the client did not answer ${request.method} within ${this.#options.toolTimeoutMs / 1000}s`);
    }, this.#options.toolTimeoutMs);
    this.#relays.set(backendId, { clientId, session, timer });
  }

  /**
   * Sends a request to a 2025 session's client, as a 2025 server would: on the SSE answer of the call that
   * caused it when the client reads one, else on the session's GET stream; `answer` gets the client's
   * response. The id the client sees, or undefined when the client has no stream to receive it.
   */
  #toClient(
    cause: Pending,
    session: Session,
    request: { method: string; params?: unknown },
    answer: (response: JsonRpcResponse) => void,
  ): string | undefined {
    const viaExchange = cause.streamable === true && !cause.exchange.finished;
    if (!viaExchange && session.streams.size === 0) return undefined;
    const clientId = `awmg-${this.serverId}-${++this.#nextRelay}`;
    session.relays.set(clientId, answer);
    const message: JsonRpcRequest = {
      jsonrpc: "2.0",
      id: clientId,
      method: request.method,
      ...(request.params === undefined ? {} : { params: request.params as Record<string, unknown> }),
    };
    if (viaExchange) cause.exchange.push(message);
    else session.deliver(message);
    return clientId;
  }

  /**
   * A 2026-07-28 server answered a 2025 client's call with `input_required`: the gateway asks the client
   * each request on its session (as a 2025 server would), then sends the call again with the answers and
   * the server's state, byte for byte, round after round (at most MAX_ROUNDS).
   */
  #fulfill(backendId: number, pending: Pending, result: InputRequired): void {
    const fail = (message: string) => {
      this.#settle(backendId);
      pending.exchange.finish(errorResponse(pending.clientId, ErrorCode.InvalidRequest, message, {
        server: this.serverId,
      }));
    };
    pending.rounds = (pending.rounds ?? 0) + 1;
    if (pending.rounds > MAX_ROUNDS) {
      return fail(`server '${this.serverId}' asked for input more than ${MAX_ROUNDS} times for one call`);
    }
    const asks = Object.entries(result.inputRequests ?? {});
    for (const [, ask] of asks) {
      const capability = RELAYED[ask?.method];
      if (capability === undefined || pending.session?.declared(capability) !== true) {
        return fail(
          `server '${this.serverId}' needs the client's ${
            capability ?? ask?.method
          } capability, which this client did not declare`,
        );
      }
    }
    Promise.all(asks.map(async ([key, ask]) => [key, await this.#askSession(pending, ask)]))
      .then((answers) => {
        if (this.#pending.get(backendId) !== pending) return;
        const request = pending.request!;
        const retryId = ++this.#nextId;
        const params: Record<string, unknown> = {
          ...(request.params as Record<string, unknown>),
          inputResponses: Object.fromEntries(answers),
          ...(result.requestState === undefined ? {} : { requestState: result.requestState }),
        };
        const meta = (params as Meta)._meta;
        if (pending.clientToken !== undefined && meta !== undefined) {
          params._meta = { ...meta, progressToken: retryId };
        }
        pending.request = { ...request, id: retryId, params };
        // Each round's retry gets the tool timeout afresh: the client's answer was waited for apart.
        pending.startedAt = Date.now();
        this.#pending.delete(backendId);
        this.#pending.set(retryId, pending);
        try {
          this.connection.send(pending.request);
        } catch (error) {
          this.#settle(retryId);
          pending.exchange.finish(this.#unavailable(pending.clientId, (error as Error).message));
        }
      }, (error: Error) => {
        if (this.#pending.get(backendId) === pending) fail(`the client did not answer: ${error.message}`);
      });
  }

  /** Asks a 2025 client something on its session, the way a 2025 server would, and resolves with its answer. */
  #askSession(pending: Pending, ask: { method: string; params?: unknown }): Promise<unknown> {
    const session = pending.session!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (clientId !== undefined) session.relays.delete(clientId);
        reject(new Error(`no answer to ${ask.method} within ${this.#options.toolTimeoutMs / 1000}s`));
      }, this.#options.toolTimeoutMs);
      const clientId = this.#toClient(pending, session, ask, (response) => {
        clearTimeout(timer);
        if ("error" in response) reject(new Error(response.error.message));
        else resolve(response.result);
      });
      if (clientId === undefined) {
        clearTimeout(timer);
        reject(new Error(NO_STREAM));
      }
    });
  }

  /**
   * The clients that may have caused a server request or a log line (a session, or each sessionless
   * request on its own), and the request when there is one: stdio carries no other link between them.
   * A held call whose backend waits for its client's answer does not count once ASK_WINDOW_MS has passed
   * since the backend's last question: its handler is blocked on the answer, so what the backend sends
   * now is another call's. Only when every call in flight waits like that is one of them the cause.
   */
  #callers(): { count: number; sole?: Pending } {
    const now = Date.now();
    const working = new Set<Session | Pending>();
    const waiting = new Set<Session | Pending>();
    let [workingSole, waitingSole]: (Pending | undefined)[] = [];
    for (const pending of this.#pending.values()) {
      if (pending.held !== undefined && now - pending.held.askedAt > ASK_WINDOW_MS) {
        waiting.add(pending.session ?? pending);
        waitingSole = pending;
      } else {
        working.add(pending.session ?? pending);
        workingSole = pending;
      }
    }
    const [callers, sole] = working.size > 0 ? [working, workingSole] : [waiting, waitingSole];
    return callers.size === 1 ? { count: 1, sole } : { count: callers.size };
  }

  /**
   * The bridge: a backend request made while serving a 2026-07-28 client's call becomes an `input_required`
   * result for that client, and the call is held until the client retries with the answer (see resume).
   * A client that did not declare the capability gets -32021 and the call is cancelled at the backend.
   */
  #ask(
    cause: Pending,
    request: JsonRpcRequest,
    capability: RelayedCapability,
    refuse: (why: string) => void,
  ) {
    const backendId = [...this.#pending].find(([, p]) => p === cause)![0];
    const fail = (code: number, message: string, data: unknown, why: string) => {
      refuse(why);
      const ended = this.#settle(backendId);
      this.notify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: backendId, reason: why },
      });
      ended?.exchange.finish(errorResponse(ended.clientId, code, message, data));
    };
    if (cause.modern!.envelope.capabilities[capability] === undefined) {
      return fail(
        ModernError.MissingClientCapability,
        "Missing required client capability",
        { requiredCapabilities: { [capability]: {} }, server: this.serverId },
        `the client did not declare the ${capability} capability`,
      );
    }
    let held = cause.held;
    if (held === undefined) {
      const { holds } = this.#options;
      if (holds.held >= holds.max) {
        return fail(
          ErrorCode.ServerUnavailable,
          "Too many calls wait for input",
          {
            server: this.serverId,
            detail: `${holds.max} calls already wait for their clients' input (gateway.maxHeldRequests)`,
          },
          "too many calls wait for their clients' input",
        );
      }
      holds.held++;
      held = { asks: new Map(), askedAt: 0 };
      cause.held = held;
    }
    held.askedAt = Date.now();
    held.asks.set(`${request.method.split("/")[0]}-${++this.#nextAsk}`, {
      backendId: request.id,
      method: request.method,
      params: request.params,
    });
    if (!cause.exchange.finished) this.#askClient(backendId, cause);
  }

  /** Ends a held call whose client did not come back in time, at the backend too. */
  #holdTimer(backendId: number): ReturnType<typeof setTimeout> {
    const { timeoutMs } = this.#options.holds;
    return setTimeout(() => {
      const pending = this.#pending.get(backendId);
      if (pending?.held === undefined) return;
      this.#log.warn("A call to {server} waited {seconds}s for its client's input and was cancelled", {
        server: this.serverId,
        seconds: timeoutMs / 1000,
      });
      this.#cancel(
        backendId,
        `the client did not answer within ${timeoutMs / 1000}s (gateway.inputRequiredTimeout)`,
      );
    }, timeoutMs);
  }

  /** Answers the client with what the backend asks, and a state naming the held call for its retry. */
  #askClient(backendId: number, pending: Pending): void {
    const held = pending.held!;
    if (held.hold !== undefined) this.#holds.delete(held.hold);
    clearTimeout(held.timer);
    held.timer = this.#holdTimer(backendId);
    held.hold = crypto.randomUUID();
    this.#holds.set(held.hold, backendId);
    const inputRequests: Record<string, unknown> = {};
    for (const [key, ask] of held.asks) inputRequests[key] = { method: ask.method, params: ask.params };
    pending.exchange.finish({
      jsonrpc: "2.0",
      id: pending.clientId,
      result: { resultType: "input_required", inputRequests, requestState: pending.modern!.seal(held.hold) },
    });
  }

  /** Frees a held call's place in the budget and forgets its hold id and its open backend requests. */
  #release(pending: Pending): void {
    const held = pending.held!;
    pending.held = undefined;
    clearTimeout(held.timer);
    if (held.hold !== undefined) this.#holds.delete(held.hold);
    this.#options.holds.held--;
    for (const ask of held.asks.values()) {
      this.notify(
        errorResponse(ask.backendId, ErrorCode.InternalError, "The client's call ended before it answered", {
          server: this.serverId,
        }),
      );
    }
  }

  /**
   * A modern client's retry of a held call (`hold` comes from the state it echoed, already verified): the
   * answers go to the backend's requests, and the call continues with the retry as its client request. What
   * the retry left unanswered is asked again.
   */
  resume(
    hold: string,
    request: JsonRpcRequest,
    responses: Record<string, unknown>,
    options: ForwardOptions,
  ): Exchange {
    const exchange = new Exchange();
    const backendId = this.#holds.get(hold);
    const pending = backendId === undefined ? undefined : this.#pending.get(backendId);
    if (pending?.held === undefined || pending.held.hold !== hold) {
      exchange.finish(
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          "Invalid params: requestState names no waiting call",
          {
            server: this.serverId,
            detail:
              "the call it names already took this answer, ended, or timed out: send the request again without it",
          },
        ),
      );
      return exchange;
    }
    const held = pending.held;
    this.#holds.delete(hold);
    held.hold = undefined;
    Object.assign(pending, {
      exchange,
      clientId: request.id,
      streamable: options.streamable,
      transform: options.transform,
      disconnect: options.disconnect,
      watched: false,
      startedAt: Date.now(),
    });
    const token = (request.params as Meta | undefined)?._meta?.progressToken;
    if (token !== undefined) pending.clientToken = token;
    exchange.canceller = (reason) => this.#cancel(backendId!, reason);
    for (const [key, ask] of held.asks) {
      const answer = responses[key];
      if (typeof answer !== "object" || answer === null || Array.isArray(answer)) continue;
      held.asks.delete(key);
      this.notify({ jsonrpc: "2.0", id: ask.backendId, result: answer as Record<string, unknown> });
    }
    if (held.asks.size > 0) this.#askClient(backendId!, pending);
    else this.#release(pending);
    return exchange;
  }

  #endRelay(backendId: JsonRpcId): Relay | undefined {
    const relay = this.#relays.get(backendId);
    if (relay === undefined) return undefined;
    this.#relays.delete(backendId);
    clearTimeout(relay.timer);
    return relay;
  }
}
