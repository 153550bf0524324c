/**
 * The messages that belong to one client request: zero or more notifications (progress, ...) and then
 * its response. The HTTP layer answers with plain JSON when the response comes first, or streams.
 */
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";

/** A message for the client, with its serialized text when it is already at hand. */
export interface Delivery {
  readonly message: JsonRpcMessage;
  readonly text?: string;
}

/** An ordered, single-reader queue that ends with the response. */
export class Exchange implements AsyncIterable<Delivery> {
  readonly #queue: Delivery[] = [];
  #wake?: () => void;
  #finished = false;
  /** Set by whoever forwarded the request: cancels it at the backend. */
  canceller?: (reason: string) => void;

  /** Queues a message that precedes the response. Ignored once finished. */
  push(message: JsonRpcMessage): void {
    if (this.#finished) return;
    this.#queue.push({ message });
    this.#wake?.();
  }

  /** Queues the response (with its text, if known) and ends the exchange. False when it had already ended. */
  finish(response: JsonRpcResponse, text?: string): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#queue.push({ message: response, text });
    this.#wake?.();
    return true;
  }

  /** The client went away before the response came: the request is cancelled at the backend. */
  abandon(reason: string): void {
    if (!this.#finished) this.canceller?.(reason);
  }

  /** True once the response has been queued. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Waits for the next message; the last one yielded is the response. */
  async next(): Promise<Delivery> {
    while (this.#queue.length === 0) {
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    return this.#queue.shift()!;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Delivery> {
    while (true) {
      const delivery = await this.next();
      yield delivery;
      if (this.#finished && this.#queue.length === 0 && !("method" in delivery.message)) return;
    }
  }
}
