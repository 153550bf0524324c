/**
 * The bridge, for 2026-07-28 clients of a 2025 backend: a backend request made while serving such a
 * client's call becomes an `input_required` answer, the call is held (bounded in number and in time), and
 * the client's retry, which names the hold in its sealed state, answers the backend and takes the call over.
 */
import { getLogger } from "@logtape/logtape";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcRequest } from "../jsonrpc/messages.ts";
import { ModernError } from "../protocol/revision.ts";
import {
  type CallHost,
  type ForwardOptions,
  type HoldBudget,
  MAX_ASKS,
  type Meta,
  type Pending,
} from "./calls.ts";
import { Exchange } from "./exchange.ts";
import type { RelayedCapability } from "./session.ts";

/** Why a question is not passed to the client: the call's error, and the reason the backend is told. */
interface Refused {
  readonly code: number;
  readonly message: string;
  readonly data: unknown;
  readonly why: string;
}

/** The held calls of one upstream. */
export class Bridge {
  readonly #host: CallHost;
  readonly #budget: HoldBudget;
  readonly #log;
  /** Held calls by the hold id their last `input_required` named, to their backend id. */
  readonly #holds = new Map<string, number>();
  #nextAsk = 0;

  constructor(host: CallHost, budget: HoldBudget) {
    this.#host = host;
    this.#budget = budget;
    this.#log = getLogger(["awmg", "backend", host.serverId]);
  }

  /**
   * The bridge: a backend request made while serving a 2026-07-28 client's call becomes an `input_required`
   * result for that client, and the call is held until the client retries with the answer (see resume).
   * A client that did not declare the capability gets -32021 and the call is cancelled at the backend.
   */
  ask(
    cause: Pending,
    request: JsonRpcRequest,
    capability: RelayedCapability,
    refuse: (why: string) => void,
  ) {
    const backendId = [...this.#host.pending].find(([, p]) => p === cause)![0];
    const refused = this.#refusal(cause, capability);
    if (refused !== undefined) {
      refuse(refused.why);
      const ended = this.#host.settle(backendId);
      this.#host.notify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: backendId, reason: refused.why },
      });
      ended?.exchange.finish(errorResponse(ended.clientId, refused.code, refused.message, refused.data));
      return;
    }
    if (cause.held === undefined) {
      this.#budget.held++;
      cause.held = { asks: new Map() };
    }
    cause.held.asks.set(`${request.method.split("/")[0]}-${++this.#nextAsk}`, {
      backendId: request.id,
      method: request.method,
      params: request.params,
    });
    if (!cause.exchange.finished) this.#askClient(backendId, cause);
  }

  /** Why a backend's question cannot reach the client of the call it came in, if it cannot. */
  #refusal(cause: Pending, capability: RelayedCapability): Refused | undefined {
    const server = this.#host.serverId;
    if (cause.modern!.envelope.capabilities[capability] === undefined) {
      return {
        code: ModernError.MissingClientCapability,
        message: "Missing required client capability",
        data: { requiredCapabilities: { [capability]: {} }, server },
        why: `the client did not declare the ${capability} capability`,
      };
    }
    const holds = this.#budget;
    if (cause.held === undefined && holds.held >= holds.max) {
      return {
        code: ErrorCode.ServerUnavailable,
        message: "Too many calls wait for input",
        data: {
          server,
          detail: `${holds.max} calls already wait for their clients' input (gateway.maxHeldRequests)`,
        },
        why: "too many calls wait for their clients' input",
      };
    }
    if (cause.held !== undefined && cause.held.asks.size >= MAX_ASKS) {
      return {
        code: ErrorCode.InvalidRequest,
        message: "Too many questions for one call",
        data: { server, detail: `server '${server}' asked more than ${MAX_ASKS} questions for one call` },
        why: `more than ${MAX_ASKS} questions for one call`,
      };
    }
    return undefined;
  }

  /** Ends a held call whose client did not come back in time, at the backend too. */
  #holdTimer(backendId: number): ReturnType<typeof setTimeout> {
    const { timeoutMs } = this.#budget;
    return setTimeout(() => {
      const pending = this.#host.pending.get(backendId);
      if (pending?.held === undefined) return;
      this.#log.warn("A call to {server} waited {seconds}s for its client's input and was cancelled", {
        server: this.#host.serverId,
        seconds: timeoutMs / 1000,
      });
      this.#host.cancel(
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
    const hold = held.hold = crypto.randomUUID();
    this.#holds.set(hold, backendId);
    const inputRequests: Record<string, unknown> = {};
    for (const [key, ask] of held.asks) inputRequests[key] = { method: ask.method, params: ask.params };
    pending.modern!.seal(hold).then((requestState) => {
      // Asked again while sealing (a later ask names a new hold), or ended: that answer is not this one.
      if (pending.held !== held || held.hold !== hold) return;
      pending.exchange.finish({
        jsonrpc: "2.0",
        id: pending.clientId,
        result: { resultType: "input_required", inputRequests, requestState },
      });
    });
  }

  /** Frees a held call's place in the budget and forgets its hold id and its open backend requests. */
  release(pending: Pending): void {
    const held = pending.held!;
    pending.held = undefined;
    clearTimeout(held.timer);
    if (held.hold !== undefined) this.#holds.delete(held.hold);
    this.#budget.held--;
    for (const ask of held.asks.values()) {
      this.#host.notify(
        errorResponse(ask.backendId, ErrorCode.InternalError, "The client's call ended before it answered", {
          server: this.#host.serverId,
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
    const pending = backendId === undefined ? undefined : this.#host.pending.get(backendId);
    if (pending?.held === undefined || pending.held.hold !== hold) {
      exchange.finish(
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          "Invalid params: requestState names no waiting call",
          {
            server: this.#host.serverId,
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
    exchange.canceller = (reason) => this.#host.cancel(backendId!, reason);
    for (const [key, ask] of held.asks) {
      const answer = responses[key];
      if (typeof answer !== "object" || answer === null || Array.isArray(answer)) continue;
      held.asks.delete(key);
      this.#host.notify({ jsonrpc: "2.0", id: ask.backendId, result: answer as Record<string, unknown> });
    }
    if (held.asks.size > 0) this.#askClient(backendId!, pending);
    else this.release(pending);
    return exchange;
  }
}
