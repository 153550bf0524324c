/**
 * A backend's requests to clients: a 2025 session's client is asked as a 2025 server would ask it (on the
 * call's SSE answer, else the session's GET stream) and its answer goes back; a 2026-07-28 client's call
 * goes to the bridge; a 2026-07-28 backend's `input_required` is fulfilled for a 2025 client by asking it on
 * its session and sending the call again with the answers, round after round.
 */
import { getLogger } from "@logtape/logtape";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcId, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { Bridge } from "./bridge.ts";
import {
  type CallHost,
  type InputRequired,
  MAX_ASKS,
  MAX_ROUNDS,
  type Meta,
  NO_STREAM,
  type Pending,
  type Relay,
  RELAYED,
} from "./calls.ts";
import type { Session } from "./session.ts";
import { carriesText, refusedQuestion } from "./unjudged.ts";

/** The client requests of one upstream. */
export class ClientRelay {
  readonly #host: CallHost;
  readonly #bridge: Bridge;
  readonly #log;
  readonly #relays = new Map<JsonRpcId, Relay>();
  #nextRelay = 0;

  constructor(host: CallHost, bridge: Bridge) {
    this.#host = host;
    this.#bridge = bridge;
    this.#log = getLogger(["awmg", "backend", host.serverId]);
  }

  /**
   * Relays a server-to-client request to the session that caused it: the one session with requests in
   * flight (stdio carries no other link between the two, so with several it is refused, never guessed). It
   * travels on that request's SSE answer when the client reads one, else on the session's GET stream. Without a client able to answer, the backend gets
   * an error at once instead of waiting.
   */
  relay(request: JsonRpcRequest): void {
    const refuse = (reason: string) => {
      this.#log.warn("Refused {method} from {server}: {reason}", {
        method: request.method,
        server: this.#host.serverId,
        reason,
      });
      this.#host.notify(
        errorResponse(request.id, ErrorCode.MethodNotFound, reason, { server: this.#host.serverId }),
      );
    };
    if (request.method === "ping") return this.#host.notify({ jsonrpc: "2.0", id: request.id, result: {} });
    const capability = RELAYED[request.method];
    if (capability === undefined) return refuse(`awmg does not relay ${request.method} to clients`);
    if (this.#host.guarded && carriesText(request.method)) {
      return refuse(refusedQuestion(this.#host.serverId, request.method));
    }
    const { count, held, sole: cause } = this.#host.callers();
    if (count > 1) return refuse(ambiguous(this.#host.serverId, count, held));
    if (cause?.modern !== undefined) return this.#bridge.ask(cause, request, capability, refuse);
    const session = cause?.session;
    if (cause === undefined || session === undefined) {
      return refuse(`no client session is waiting on ${this.#host.serverId}`);
    }
    if (!session.declared(capability)) {
      return refuse(`the client did not declare the ${capability} capability`);
    }
    const backendId = request.id;
    const clientId = this.#toClient(cause, session, request, (response) => {
      if (this.end(backendId) === undefined) return;
      response.id = backendId;
      this.#host.notify(response);
    });
    if (clientId === undefined) return refuse(NO_STREAM);
    const timer = setTimeout(() => {
      if (this.end(backendId) === undefined) return;
      session.relays.delete(clientId);
      refuse(`the client did not answer ${request.method} within ${this.#host.toolTimeoutMs / 1000}s`);
    }, this.#host.toolTimeoutMs);
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
    const clientId = `awmg-${this.#host.serverId}-${++this.#nextRelay}`;
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
  fulfill(backendId: number, pending: Pending, result: InputRequired): void {
    const fail = (message: string) => {
      this.#host.settle(backendId);
      pending.exchange.finish(errorResponse(pending.clientId, ErrorCode.InvalidRequest, message, {
        server: this.#host.serverId,
      }));
    };
    pending.rounds = (pending.rounds ?? 0) + 1;
    if (pending.rounds > MAX_ROUNDS) {
      return fail(
        `server '${this.#host.serverId}' asked for input more than ${MAX_ROUNDS} times for one call`,
      );
    }
    const asks = Object.entries(result.inputRequests ?? {});
    if (asks.length > MAX_ASKS) {
      return fail(
        `server '${this.#host.serverId}' asked ${asks.length} questions in one round; awmg relays at most ${MAX_ASKS}`,
      );
    }
    for (const [, ask] of asks) {
      const capability = RELAYED[ask?.method];
      if (capability === undefined || pending.session?.declared(capability) !== true) {
        return fail(
          `server '${this.#host.serverId}' needs the client's ${
            capability ?? ask?.method
          } capability, which this client did not declare`,
        );
      }
    }
    Promise.all(asks.map(async ([key, ask]) => [key, await this.#askSession(pending, ask)]))
      .then((answers) => {
        if (this.#host.pending.get(backendId) !== pending) return;
        const request = pending.request!;
        this.#host.resend(backendId, pending, (retryId) => {
          const params: Record<string, unknown> = {
            ...(request.params as Record<string, unknown>),
            inputResponses: Object.fromEntries(answers),
            ...(result.requestState === undefined ? {} : { requestState: result.requestState }),
          };
          const meta = (params as Meta)._meta;
          if (pending.clientToken !== undefined && meta !== undefined) {
            params._meta = { ...meta, progressToken: retryId };
          }
          return { ...request, id: retryId, params };
        });
      }, (error: Error) => {
        if (this.#host.pending.get(backendId) === pending) {
          fail(`the client did not answer: ${error.message}`);
        }
      });
  }

  /** Asks a 2025 client something on its session, the way a 2025 server would, and resolves with its answer. */
  #askSession(pending: Pending, ask: { method: string; params?: unknown }): Promise<unknown> {
    const session = pending.session!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (clientId !== undefined) session.relays.delete(clientId);
        reject(new Error(`no answer to ${ask.method} within ${this.#host.toolTimeoutMs / 1000}s`));
      }, this.#host.toolTimeoutMs);
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

  /** Ends the relay of a backend request (answered, cancelled or timed out); undefined when none is open. */
  end(backendId: JsonRpcId): Relay | undefined {
    const relay = this.#relays.get(backendId);
    if (relay === undefined) return undefined;
    this.#relays.delete(backendId);
    clearTimeout(relay.timer);
    return relay;
  }
}

/** Why a backend's request with several possible callers is refused, and what would let it through. */
function ambiguous(serverId: string, count: number, held: number): string {
  const known = `${count} clients have requests in flight on ${serverId}`;
  const unknown = "so the one that caused it is not known";
  if (held === 0) {
    return `${known}, ${unknown}; give the server isolation = "session" to relay such requests under concurrency`;
  }
  const waiting = held === 1
    ? "1 of them held for its client's answer"
    : `${held} of them held for their clients' answers`;
  return `${known}, ${waiting}, ${unknown}; a held call ends when its client retries or after gateway.inputRequiredTimeout`;
}
