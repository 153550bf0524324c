/**
 * One backend connection as seen by clients: request ids and progress tokens rewritten so that many
 * clients can share it, answers and progress routed back, timeouts, cancellation and the rate-limit breaker
 * applied. What the backend asks of clients goes to the relay (relay.ts), and through it, for 2026-07-28
 * clients of a 2025 backend, to the bridge (bridge.ts); calls.ts holds what the three share.
 */
import { getLogger } from "@logtape/logtape";
import { BackendConnection, type ConnectionOptions, Unavailable } from "../backends/connection.ts";
import { ErrorCode, errorResponse, unavailableResponse } from "../jsonrpc/errors.ts";
import {
  bareRequest,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type JsonRpcSuccess,
} from "../jsonrpc/messages.ts";
import { recordTimeout, rpcRecorder } from "../observability/rpc.ts";
import type { Span } from "../observability/tracing.ts";
import { withId } from "../jsonrpc/splice.ts";
import { isRateLimitResult, type RateLimitBreaker } from "./breaker.ts";
import { Bridge } from "./bridge.ts";
import {
  callersOf,
  type CallHost,
  clientRevision,
  type ForwardOptions,
  type HoldBudget,
  INPUT_METHODS,
  type InputRequired,
  isInputRequired,
  type Meta,
  type Pending,
} from "./calls.ts";
import { Exchange } from "./exchange.ts";
import { ClientRelay } from "./relay.ts";
import { type Listener, ReplayLog } from "./session.ts";
import { questionWithText, refusedQuestion, toolsOnly, withoutMessage } from "./unjudged.ts";
import { envelope, legacyParams, logLevelShown, META, withMeta, withoutTasks } from "../protocol/revision.ts";

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
  /** The server has a guard: what it sends besides tool results is kept from clients (see unjudged.ts). */
  readonly guarded?: boolean;
}

/** A transform's answer that fails the request with this error instead of returning a result. */
export class Refusal {
  constructor(readonly code: number, readonly message: string, readonly data?: unknown) {}
}

/** A rate-limit answer: HTTP 429 from a remote server, or a tool error that says the limit was hit. */
function isRateLimited(answer: JsonRpcResponse): boolean {
  return "error" in answer ? answer.error.code === ErrorCode.RateLimited : isRateLimitResult(answer.result);
}

/** A client request made ready for the backend (see Upstream#outbound). */
interface Outbound {
  readonly id: number;
  readonly message: JsonRpcRequest;
  /** The client's text with the id spliced, or undefined when the message must be serialized. */
  readonly text?: string;
  /** Whether the params were fitted to the backend's revision. */
  readonly adapted: boolean;
  readonly call?: Span;
  readonly clientToken?: unknown;
}

/** A backend connection shared by the sessions of one identity. */
export class Upstream {
  readonly connection: BackendConnection;
  readonly serverId: string;
  /** Unsolicited messages of this backend, kept once for every session it broadcasts to. */
  readonly log = new ReplayLog();
  readonly #options: UpstreamOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #bridge: Bridge;
  readonly #relay: ClientRelay;
  readonly #log;
  readonly #record;
  #nextId = 0;
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
    const host: CallHost = {
      serverId: this.serverId,
      guarded: options.guarded === true,
      toolTimeoutMs: options.toolTimeoutMs,
      pending: this.#pending,
      notify: (message) => this.notify(message),
      settle: (backendId) => this.#settle(backendId),
      cancel: (backendId, reason) => this.#cancel(backendId, reason),
      callers: () => callersOf(this.#pending.values()),
      resend: (backendId, pending, make) => this.#resend(backendId, pending, make),
    };
    this.#bridge = new Bridge(host, options.holds);
    this.#relay = new ClientRelay(host, this.#bridge);
  }

  /** The backend's initialize result as clients are shown it: a guarded server's with its tools alone. */
  get greeting(): Record<string, unknown> | undefined {
    const result = this.connection.initializeResult;
    return result !== undefined && this.#options.guarded === true ? toolsOnly(result) : result;
  }

  /** A modern client's retry of a held call, verified by the caller: see Bridge.resume. */
  resume(
    hold: string,
    request: JsonRpcRequest,
    responses: Record<string, unknown>,
    options: ForwardOptions,
  ): Exchange {
    return this.#bridge.resume(hold, request, responses, options);
  }

  /** Sends a call again under a new backend id; its tool timeout runs afresh (the client was waited for apart). */
  #resend(backendId: number, pending: Pending, make: (retryId: number) => JsonRpcRequest): void {
    const retryId = ++this.#nextId;
    pending.request = make(retryId);
    pending.startedAt = Date.now();
    this.#pending.delete(backendId);
    this.#pending.set(retryId, pending);
    try {
      this.connection.send(pending.request);
    } catch (error) {
      this.#settle(retryId);
      pending.exchange.finish(this.#unavailable(pending.clientId, (error as Error).message));
    }
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
    const breaker = request.method === "tools/call" ? this.#options.breaker : undefined;
    const verdict = breaker?.allow(Date.now());
    if (verdict !== undefined && !verdict.allowed) {
      exchange.finish(this.#breakerOpen(request.id, breaker!, verdict.reopensAt, verdict.trialInFlight));
      return;
    }
    const clientId = request.id;
    const outbound = this.#outbound(request, options);
    const pending: Pending = {
      session: options.session,
      modern: options.modern,
      request: outbound.adapted && options.modern === undefined && INPUT_METHODS.has(request.method)
        ? outbound.message
        : undefined,
      streamable: options.streamable,
      transform: options.transform,
      disconnect: options.disconnect,
      watched: false,
      call: outbound.call,
      clientId,
      clientToken: outbound.clientToken,
      exchange,
      method: request.method,
      startedAt: Date.now(),
      breaker: verdict === undefined ? undefined : { trial: verdict.trial },
    };
    this.#pending.set(outbound.id, pending);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1000, this.#options.toolTimeoutMs / 4));
    // The canceller lives as long as the call: it keeps the backend id, not the request and its text.
    const backendId = outbound.id;
    const cancel = (reason: string) => this.#cancel(backendId, reason);
    exchange.canceller = cancel;
    options.session?.track(clientId, cancel);
    try {
      this.#write(outbound, pending);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      this.#settle(outbound.id);
      exchange.finish(this.#unavailable(clientId, error.message));
    }
  }

  /**
   * The request as the backend gets it: under a backend id, its params fitted to the backend's revision, the
   * client's progress token and trace context replaced by the backend call's, and the client's text reused
   * (only the id spliced) when nothing else changed.
   */
  #outbound(request: JsonRpcRequest, options: ForwardOptions): Outbound {
    const id = ++this.#nextId;
    const clientId = request.id;
    const fitted = this.#adapt(request, options);
    // After #adapt and whatever it returned: the envelope #adapt makes for a 2025 client's call is checked too.
    const untasked = options.judged === true && withoutTasks(request);
    const adapted = fitted || untasked;
    const meta = (request.params as Meta | undefined)?._meta;
    const clientToken = meta?.progressToken;
    const call = options.span?.child(`backend ${request.method}`, {
      "mcp.server": this.serverId,
      "mcp.method": request.method,
      "jsonrpc.request.id": id,
    });
    // The server's trace context is the backend call's, wherever the client put its own.
    const traced = call !== undefined && typeof meta?.traceparent === "string";
    if (traced) meta!.traceparent = call.traceparent();
    const rewritten = traced || (meta !== undefined && clientToken !== undefined);
    if (meta !== undefined && clientToken !== undefined) meta.progressToken = id;
    request.id = id;
    const message = bareRequest(request);
    const text = options.text === undefined || rewritten || adapted || message !== request
      ? undefined
      : withId(options.text, clientId, id);
    return { id, message, text, adapted, call, clientToken };
  }

  /** Sends the request and records it; throws Unavailable when the backend cannot take it. */
  #write({ id, message, text, call }: Outbound, pending: Pending): void {
    const sent = this.connection.send(message, text, call?.traceparent());
    const tool = message.method === "tools/call" ? (message.params as { name?: unknown }).name : undefined;
    const revision = clientRevision(pending);
    this.#record({
      direction: "outbound",
      session: pending.session?.id ?? null,
      method: message.method,
      id,
      text: sent,
      tool: typeof tool === "string" ? tool : undefined,
      revision,
    });
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
    if (pending.held !== undefined) this.#bridge.release(pending);
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
    if ("method" in message) this.#receiveFromServer(message, text);
    else this.#receiveResponse(message, text);
  }

  /** A backend's answer: to the client's call it answers, through its transform, with the client's id. */
  #receiveResponse(message: JsonRpcResponse, text: string): void {
    const waiting = typeof message.id === "number" ? this.#pending.get(message.id) : undefined;
    const question = this.#options.guarded === true && waiting !== undefined && "result" in message &&
        isInputRequired(message.result)
      ? questionWithText(message.result)
      : undefined;
    if (question !== undefined) return this.#refuseQuestion(message.id as number, waiting!, question);
    if (waiting?.request !== undefined && "result" in message && isInputRequired(message.result)) {
      return this.#relay.fulfill(message.id as number, waiting, message.result as InputRequired);
    }
    const pending = typeof message.id === "number" ? this.#settle(message.id, message) : undefined;
    const revision = pending === undefined ? undefined : clientRevision(pending);
    this.#record({
      direction: "inbound",
      session: pending?.session?.id ?? null,
      method: pending?.method ?? "response",
      id: message.id,
      text,
      duration: pending === undefined ? undefined : Date.now() - pending.startedAt,
      error: "error" in message ? message.error.message : undefined,
      revision,
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
      if (this.#transformed(pending, message, text, backendId)) return;
    }
    pending.exchange.finish(message, withId(text, backendId, pending.clientId));
  }

  /** Ends a guarded server's call that answered with a question its guard cannot judge. */
  #refuseQuestion(backendId: number, pending: Pending, method: string): void {
    const why = refusedQuestion(this.serverId, method);
    this.#log.warn("Refused {method} from {server}: {reason}", {
      method,
      server: this.serverId,
      reason: why,
    });
    this.#settle(backendId);
    pending.exchange.finish(
      errorResponse(
        pending.clientId,
        ErrorCode.InvalidRequest,
        "Questions from a guarded server are refused",
        {
          server: this.serverId,
          detail: why,
        },
      ),
    );
  }

  /**
   * Runs a call's transform on its result and finishes the call with what it gives (a refusal becomes an
   * error). False when the transform left the result as it was: the answer's own text then goes on.
   */
  #transformed(pending: Pending, message: JsonRpcSuccess, text: string, backendId: JsonRpcId): boolean {
    const { result } = message;
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
      transformed = pending.transform!(result, { text, id: backendId });
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
      return true;
    }
    if (transformed === result) return false;
    finish(transformed);
    return true;
  }

  /** A backend's own request or notification: relayed to a client, or delivered where it belongs. */
  #receiveFromServer(message: JsonRpcRequest | JsonRpcNotification, text: string): void {
    this.#record({
      direction: "inbound",
      session: null,
      method: message.method,
      id: "id" in message ? message.id : null,
      text,
    });
    if ("id" in message) return this.#relay.relay(message);
    switch (message.method) {
      case "notifications/cancelled":
        return this.#relayCancelled(message);
      case "notifications/tools/list_changed":
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
      case "notifications/message": {
        // A guarded server's log line is data its guard never saw: it stays in the RPC record.
        if (this.#options.guarded === true) return;
        const caller = callersOf(this.#pending.values()).sole;
        if (caller?.modern === undefined) break;
        // A modern client gets a call's log on its answer, and only at the level it asked for.
        const wanted = caller.modern.envelope.logLevel;
        const level = (message.params as { level?: unknown } | undefined)?.level;
        if (wanted !== undefined && logLevelShown(level, wanted)) caller.exchange.push(message);
        return;
      }
      case "notifications/progress": {
        if (this.#options.guarded === true) message = withoutMessage(message);
        const params = message.params as { progressToken?: unknown } | undefined;
        const pending = typeof params?.progressToken === "number"
          ? this.#pending.get(params.progressToken)
          : undefined;
        if (pending === undefined) break;
        params!.progressToken = pending.clientToken;
        pending.exchange.push(message);
        return;
      }
    }
    this.#broadcast(message, text.length);
  }

  /** The backend cancelled a request it had relayed to a client: the client is told with its own id. */
  #relayCancelled(message: JsonRpcNotification): void {
    const params = message.params as { requestId?: JsonRpcId } | undefined;
    const relay = params?.requestId === undefined ? undefined : this.#relay.end(params.requestId);
    if (relay === undefined) return;
    params!.requestId = relay.clientId;
    relay.session.relays.delete(relay.clientId);
    relay.session.deliver(message);
  }

  #broadcast(message: JsonRpcMessage, size: number): void {
    const id = this.log.append(message, size);
    for (const session of this.#options.audience()) session.push(message, id);
  }
}
