/**
 * One backend connection as seen by clients: request ids and progress tokens rewritten so that many
 * clients can share it, answers and progress routed back, timeouts and cancellation applied.
 */
import { getLogger } from "@logtape/logtape";
import { BackendConnection, type ConnectionOptions, Unavailable } from "../backends/connection.ts";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import { Exchange } from "./exchange.ts";
import type { Session } from "./session.ts";

interface Pending {
  readonly clientId: JsonRpcId;
  readonly clientToken?: unknown;
  readonly exchange: Exchange;
  readonly method: string;
  readonly startedAt: number;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly session?: Session;
}

/** What an upstream needs besides its connection's own options. */
export interface UpstreamOptions extends Omit<ConnectionOptions, "onMessage" | "onDown"> {
  readonly toolTimeoutMs: number;
  /** The sessions that receive this backend's unsolicited notifications. */
  readonly audience: () => Iterable<Session>;
}

type Meta = { _meta?: Record<string, unknown> };

/** A backend connection shared by the sessions of one identity. */
export class Upstream {
  readonly connection: BackendConnection;
  readonly serverId: string;
  readonly #options: UpstreamOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #log;
  #nextId = 0;

  constructor(options: UpstreamOptions) {
    this.#options = options;
    this.serverId = options.serverId;
    this.#log = getLogger(["awmg", "backend", options.serverId]);
    this.connection = new BackendConnection({
      ...options,
      onMessage: (message) => this.#receive(message),
      onDown: (reason) => this.#failAll(reason),
    });
  }

  /** Requests in flight to this backend. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Forwards a client request; the exchange ends with its response (or the gateway's error). */
  async forward(request: JsonRpcRequest, session?: Session, signal?: AbortSignal): Promise<Exchange> {
    const exchange = new Exchange();
    try {
      await this.connection.ensureRunning();
    } catch (error) {
      exchange.finish(this.#unavailable(request.id, (error as Error).message));
      return exchange;
    }
    const backendId = ++this.#nextId;
    const clientId = request.id;
    const meta = (request.params as Meta | undefined)?._meta;
    const clientToken = meta?.progressToken;
    if (meta !== undefined && clientToken !== undefined) meta.progressToken = backendId;
    request.id = backendId;
    const pending: Pending = {
      clientId,
      clientToken,
      exchange,
      session,
      method: request.method,
      startedAt: Date.now(),
      timer: setTimeout(() => this.#timeout(backendId), this.#options.toolTimeoutMs),
    };
    this.#pending.set(backendId, pending);
    session?.inFlight.set(clientId, (reason) => this.#cancel(backendId, reason));
    signal?.addEventListener("abort", () => this.#cancel(backendId, "client disconnected"), { once: true });
    try {
      this.connection.send(request);
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      this.#settle(backendId);
      exchange.finish(this.#unavailable(clientId, error.message));
    }
    return exchange;
  }

  /** Forwards a client notification (or any message) as it is; dropped with a warning when the backend is down. */
  notify(message: JsonRpcMessage): void {
    try {
      this.connection.send(message);
    } catch (error) {
      this.#log.warn("Dropped {what} for {server}: {error}", {
        what: "method" in message ? message.method : "a response",
        server: this.serverId,
        error: (error as Error).message,
      });
    }
  }

  #unavailable(id: JsonRpcId, detail: string): JsonRpcResponse {
    return errorResponse(id, ErrorCode.ServerUnavailable, "Server unavailable", {
      server: this.serverId,
      detail,
    });
  }

  #settle(backendId: number): Pending | undefined {
    const pending = this.#pending.get(backendId);
    if (pending === undefined) return undefined;
    this.#pending.delete(backendId);
    clearTimeout(pending.timer);
    pending.session?.inFlight.delete(pending.clientId);
    return pending;
  }

  #timeout(backendId: number): void {
    const pending = this.#settle(backendId);
    if (pending === undefined) return;
    const elapsed = Date.now() - pending.startedAt;
    const seconds = (elapsed / 1000).toFixed(1);
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

  #receive(message: JsonRpcMessage): void {
    if (!("method" in message)) {
      const pending = typeof message.id === "number" ? this.#settle(message.id) : undefined;
      if (pending === undefined) {
        this.#log.warn("Dropped a response from {server} to an unknown or finished request id {id}", {
          server: this.serverId,
          id: message.id,
        });
        return;
      }
      message.id = pending.clientId;
      pending.exchange.finish(message);
      return;
    }
    if ("id" in message) return this.#answerServerRequest(message);
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
    for (const session of this.#options.audience()) session.deliver(message);
  }

  /** Server-to-client requests: `ping` is answered here; the others have no client to go to yet. */
  #answerServerRequest(request: JsonRpcRequest): void {
    const answer = request.method === "ping"
      ? { jsonrpc: "2.0" as const, id: request.id, result: {} }
      : errorResponse(
        request.id,
        ErrorCode.MethodNotFound,
        `awmg does not relay ${request.method} to clients`,
        {
          server: this.serverId,
        },
      );
    this.notify(answer);
  }
}
