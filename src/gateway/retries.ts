/**
 * The gateway's end of the bridge: the sealed `requestState` a 2026-07-28 client gets for a call the bridge
 * holds, and the client's retry opened and checked (its API key, server, method and name, its expiry, the
 * shape of its answers) before it may resume the hold.
 */
import { getLogger } from "@logtape/logtape";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { Envelope } from "../protocol/revision.ts";
import { type Opened, StateSeal } from "../protocol/state.ts";
import type { ModernCaller } from "./calls.ts";

/** What a retry is: a call made afresh, the resumption of a hold with the client's answers, or refused. */
export type Retry =
  | { readonly kind: "fresh" }
  | { readonly kind: "resume"; readonly hold: string; readonly responses: Record<string, unknown> }
  | { readonly kind: "refused"; readonly response: JsonRpcResponse };

/** The request a state belongs to. */
interface Claimed {
  readonly identity: number;
  readonly server: string;
  readonly method: string;
  readonly name: string;
}

const FRESH: Retry = { kind: "fresh" };

function claimed(identity: number, server: string, request: JsonRpcRequest): Claimed {
  const params = (request.params ?? {}) as Record<string, unknown>;
  return { identity, server, method: request.method, name: String(params.name ?? params.uri ?? "") };
}

/** Seals the states of held calls and opens them on the client's retry; its key lives as long as the run. */
export class RetryStates {
  readonly #seal = new StateSeal();
  readonly #timeoutMs: number;
  readonly #log = getLogger(["awmg", "gateway"]);

  /** `timeoutMs`: how long a held call waits for the client's retry, and so how long its state is good. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** The client of `identity` calling `server` with `request`, as the upstream holds its calls. */
  caller(envelope: Envelope, identity: number, server: string, request: JsonRpcRequest): ModernCaller {
    const claims = claimed(identity, server, request);
    return {
      envelope,
      seal: (hold) => this.#seal.seal({ ...claims, hold, expires: Date.now() + this.#timeoutMs }),
    };
  }

  /**
   * What `request` is: a fresh call (no `requestState`, answered at once), or, once its state is opened, a
   * checked retry of a hold or the refusal of one.
   */
  retry(identity: number, server: string, request: JsonRpcRequest): Retry | Promise<Retry> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (params.requestState === undefined) return FRESH;
    return this.#seal.open(params.requestState, claimed(identity, server, request), Date.now())
      .then((opened) => this.#checked(opened, server, request, params.inputResponses ?? {}));
  }

  #checked(opened: Opened, server: string, request: JsonRpcRequest, responses: unknown): Retry {
    if (
      opened.kind === "ok" && typeof responses === "object" && responses !== null && !Array.isArray(responses)
    ) {
      return { kind: "resume", hold: opened.claims.hold, responses: responses as Record<string, unknown> };
    }
    const detail = opened.kind === "refused"
      ? `requestState is refused: ${opened.reason}`
      : "inputResponses must be an object of answers by the keys of inputRequests";
    this.#log.warn("Refused a retry of {method} on {server}: {detail}", {
      method: request.method,
      server,
      detail,
    });
    const response = errorResponse(request.id, ErrorCode.InvalidParams, "Invalid params: " + detail, {
      server,
      detail: "send the request again without requestState to start over",
    });
    return { kind: "refused", response };
  }
}
