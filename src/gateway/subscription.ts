/**
 * A 2026-07-28 client's `subscriptions/listen` stream: the list changes and resource updates it opted in to,
 * each tagged with the subscription's id, until the client closes the stream or the gateway closes.
 */
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcId, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import { type AnnouncedCapabilities, LIST_CHANGES, META } from "../protocol/revision.ts";
import type { Listener, MessageSink } from "./session.ts";

/** The notification filter a client asks for and the subset the gateway acknowledges. */
export interface Acknowledged {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
}

/** How many resource URIs one subscription may name. */
const MAX_URIS = 256;

/** One open subscription; receives broadcasts like a session does, and forwards those that match. */
export class Subscription implements Listener {
  #sink?: MessageSink;
  #ended = false;
  readonly #closed = Promise.withResolvers<void>();
  readonly #uris: ReadonlySet<string>;

  private constructor(
    readonly id: JsonRpcId,
    readonly endpoint: string,
    readonly identity: number,
    readonly acknowledged: Acknowledged,
  ) {
    this.#uris = new Set(acknowledged.resourceSubscriptions);
  }

  /**
   * Opens a subscription for the filter in `request`, acknowledging what the servers behind the endpoint
   * can send (`offered`: their capabilities); an error response when the filter is malformed.
   */
  static open(
    request: JsonRpcRequest,
    endpoint: string,
    identity: number,
    offered: readonly AnnouncedCapabilities[],
  ): Subscription | JsonRpcResponse {
    const filter = (request.params as { notifications?: unknown } | undefined)?.notifications ?? {};
    const invalid = (detail: string) =>
      errorResponse(request.id, ErrorCode.InvalidParams, "Invalid params: " + detail, {
        detail:
          "notifications is { toolsListChanged?, promptsListChanged?, resourcesListChanged?, resourceSubscriptions? }",
      });
    if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
      return invalid("notifications must be an object");
    }
    const asked = filter as Record<string, unknown>;
    const acknowledged: Acknowledged = {};
    for (const [flag, capability] of Object.values(LIST_CHANGES)) {
      if (asked[flag] !== undefined && typeof asked[flag] !== "boolean") {
        return invalid(`${flag} must be a boolean`);
      }
      if (asked[flag] === true && offered.some((caps) => caps[capability]?.listChanged === true)) {
        acknowledged[flag] = true;
      }
    }
    const uris = asked.resourceSubscriptions;
    if (uris !== undefined) {
      if (!Array.isArray(uris) || uris.some((uri) => typeof uri !== "string")) {
        return invalid("resourceSubscriptions must be an array of URIs");
      }
      if (uris.length > MAX_URIS) return invalid(`resourceSubscriptions names more than ${MAX_URIS} URIs`);
      if (offered.some((caps) => caps.resources?.subscribe === true)) {
        acknowledged.resourceSubscriptions = uris;
      }
    }
    return new Subscription(request.id, endpoint, identity, acknowledged);
  }

  /** Resolves once the subscription ended, by either side. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Starts delivering to `sink`, first with the acknowledgment. */
  attach(sink: MessageSink): void {
    this.#sink = sink;
    sink.send({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: { [META.subscriptionId]: this.id }, notifications: this.acknowledged },
    });
  }

  /** Forwards a broadcast when the client opted in to it, tagged with the subscription id. */
  push(message: JsonRpcMessage): void {
    if (this.#sink === undefined || !("method" in message) || "id" in message) return;
    const { method } = message;
    const params = (message.params ?? {}) as Record<string, unknown>;
    const change = LIST_CHANGES[method as keyof typeof LIST_CHANGES];
    const wanted = change !== undefined
      ? this.acknowledged[change[0]] === true
      : method === "notifications/resources/updated" && this.#uris.has(String(params.uri));
    if (!wanted) return;
    const meta = (params._meta ?? {}) as Record<string, unknown>;
    this.#sink.send({
      jsonrpc: "2.0",
      method,
      params: { ...params, _meta: { ...meta, [META.subscriptionId]: this.id } },
    });
  }

  /** The client closed its stream. */
  detach(): void {
    this.#sink = undefined;
    this.#closed.resolve();
  }

  /** The gateway ends the subscription: the listen request is answered, then the stream closes. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#sink?.send({
      jsonrpc: "2.0",
      id: this.id,
      result: { resultType: "complete", _meta: { [META.subscriptionId]: this.id } },
    });
    this.#sink?.close();
    this.detach();
  }
}
