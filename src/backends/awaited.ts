/**
 * Which requests written to a stdio server are still waiting for its answer: the pipe's hint that the server
 * is busy, so that the next write can wait for others to share it.
 */
import type { JsonRpcId, JsonRpcMessage } from "../jsonrpc/messages.ts";

/**
 * The ids of requests sent whose answers have not come back, and that were not cancelled. A server does not
 * answer a request its client cancelled, so a plain count would stay one too high for each cancellation,
 * and the pipe would think an idle server busy for the rest of its life. A `subscriptions/listen` request
 * stays open as long as the subscription does and keeps its server no busier, so it does not count. The set
 * holds no more than the calls in flight: the gateway cancels every request it stops waiting for.
 */
export class AwaitedRequests {
  readonly #ids = new Set<JsonRpcId>();

  /** Whether any request is waiting for its answer. */
  get busy(): boolean {
    return this.#ids.size > 0;
  }

  /** Notes a message written to the server. */
  sent(message: JsonRpcMessage): void {
    if (!("method" in message)) return;
    if ("id" in message) {
      if (message.method !== "subscriptions/listen") this.#ids.add(message.id);
    } else if (message.method === "notifications/cancelled") {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id === "string" || typeof id === "number") this.#ids.delete(id);
    }
  }

  /** Notes the id of a response the server wrote; an id never sent, or already cancelled, changes nothing. */
  answered(id: JsonRpcId | null): void {
    if (id !== null) this.#ids.delete(id);
  }
}
