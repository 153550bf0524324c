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

/**
 * What a retry is: a call made afresh, the resumption of a hold with the client's answers, a hold another
 * replica owns (the request goes there), or refused.
 */
export type Retry =
  | { readonly kind: "fresh" }
  | { readonly kind: "resume"; readonly hold: string; readonly responses: Record<string, unknown> }
  | { readonly kind: "elsewhere"; readonly replica: string }
  | { readonly kind: "refused"; readonly response: JsonRpcResponse };

/** This gateway among replicas: its name, and the keys every replica seals state with. */
export interface ReplicaKeys {
  readonly id: string;
  readonly stateKeys: readonly string[];
}

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

/**
 * Seals the states of held calls and opens them on the client's retry. Alone, its key lives as long as the
 * run; among replicas, the key is theirs and a state names the replica that holds its call.
 */
export class RetryStates {
  readonly #seal: StateSeal;
  readonly #timeoutMs: number;
  readonly #replica?: string;
  readonly #log = getLogger(["awmg", "gateway"]);

  /** `timeoutMs`: how long a held call waits for the client's retry, and so how long its state is good. */
  constructor(timeoutMs: number, replica?: ReplicaKeys) {
    this.#timeoutMs = timeoutMs;
    this.#seal = new StateSeal(replica?.stateKeys);
    this.#replica = replica?.id;
  }

  /** The client of `identity` calling `server` with `request`, as the upstream holds its calls. */
  caller(envelope: Envelope, identity: number, server: string, request: JsonRpcRequest): ModernCaller {
    const claims = claimed(identity, server, request);
    return {
      envelope,
      seal: (hold) =>
        this.#seal.seal({ ...claims, hold, expires: Date.now() + this.#timeoutMs, replica: this.#replica }),
    };
  }

  /**
   * What `request` is: a fresh call (no `requestState`, answered at once), or, once its state is opened, a
   * checked retry of a hold (here or on the replica holding it) or the refusal of one. A request another
   * replica sent on (`hopped`) is never sent on again.
   */
  retry(identity: number, server: string, request: JsonRpcRequest, hopped = false): Retry | Promise<Retry> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (params.requestState === undefined) return FRESH;
    return this.#seal.open(params.requestState, claimed(identity, server, request), Date.now())
      .then((opened) => this.#checked(opened, server, request, params.inputResponses ?? {}, hopped));
  }

  #checked(
    opened: Opened,
    server: string,
    request: JsonRpcRequest,
    responses: unknown,
    hopped: boolean,
  ): Retry {
    const owner = opened.kind === "ok" ? opened.claims.replica : undefined;
    const answers = typeof responses === "object" && responses !== null && !Array.isArray(responses);
    if (opened.kind === "ok" && answers) {
      if (owner === this.#replica) {
        return { kind: "resume", hold: opened.claims.hold, responses: responses as Record<string, unknown> };
      }
      if (owner !== undefined && !hopped) return { kind: "elsewhere", replica: owner };
    }
    const detail = opened.kind === "refused"
      ? `requestState is refused: ${opened.reason}`
      : !answers
      ? "inputResponses must be an object of answers by the keys of inputRequests"
      : `requestState belongs to replica '${owner}', and this request was already sent on once`;
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
