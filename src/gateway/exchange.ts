/**
 * The messages that belong to one client request: zero or more notifications (progress, ...) and then
 * its response. The HTTP layer answers with plain JSON when the response comes first, or streams.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";

/** An ordered, single-reader queue that ends with the response. */
export class Exchange implements AsyncIterable<JsonRpcMessage> {
  readonly #queue: JsonRpcMessage[] = [];
  #wake?: () => void;
  #finished = false;

  /** Queues a message that precedes the response. Ignored once finished. */
  push(message: JsonRpcMessage): void {
    if (this.#finished) return;
    this.#queue.push(message);
    this.#wake?.();
  }

  /** Queues the response and ends the exchange. Returns false when it had already ended. */
  finish(response: JsonRpcResponse): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#queue.push(response);
    this.#wake?.();
    return true;
  }

  /** True once the response has been queued. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Waits for the next message; the last one yielded is the response. */
  async next(): Promise<JsonRpcMessage> {
    while (this.#queue.length === 0) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    return this.#queue.shift()!;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsonRpcMessage> {
    while (true) {
      const message = await this.next();
      yield message;
      if (this.#finished && this.#queue.length === 0 && !("method" in message)) return;
    }
  }
}
