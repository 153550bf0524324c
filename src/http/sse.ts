/**
 * Server-Sent Events towards clients: message events and keepalive comments.
 */
import type { JsonRpcMessage } from "../jsonrpc/messages.ts";

const encoder = new TextEncoder();
const KEEPALIVE_MS = 25_000;

/** Encodes one message (or its text) as an SSE `message` event, with an id when it can be resumed after. */
export function sseEvent(message: JsonRpcMessage, id?: number, text = JSON.stringify(message)): Uint8Array {
  const head = id === undefined ? "" : `id: ${id}\n`;
  return encoder.encode(`${head}event: message\ndata: ${text}\n\n`);
}

/** Headers of an SSE response. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "connection": "keep-alive",
} as const;

/** An open SSE stream: write messages, close it; keepalive comments are sent while it is idle. */
export interface SseStream {
  readonly body: ReadableStream<Uint8Array>;
  send(message: JsonRpcMessage, eventId?: number, text?: string): void;
  close(): void;
  /** Resolves when the stream ends, by either side. */
  readonly closed: Promise<void>;
}

/**
 * Opens an SSE stream that holds at most `maxUnsent` bytes of requests and notifications the client has not
 * read yet (one event is always let through). Past that the client is not keeping up: the stream is ended
 * with an error, so the connection is dropped, and `onOverflow` is told how many bytes were waiting. A
 * response always goes in: it is the answer the stream exists for, its last event, and no larger than a
 * message may be.
 */
export function openSse(maxUnsent: number, onOverflow: (unsent: number) => void): SseStream {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => markClosed = resolve);
  const keepalive = setInterval(() => write(encoder.encode(": keepalive\n\n")), KEEPALIVE_MS);
  const finish = () => {
    if (!open) return;
    open = false;
    clearInterval(keepalive);
    markClosed();
  };
  const write = (bytes: Uint8Array, bounded = true) => {
    if (!open) return;
    const unsent = maxUnsent - (controller.desiredSize ?? 0);
    if (bounded && unsent > 0 && unsent + bytes.byteLength > maxUnsent) {
      finish();
      controller.error(new Error(`the client did not read ${unsent} bytes of its stream`));
      onOverflow(unsent);
      return;
    }
    try {
      controller.enqueue(bytes);
    } catch {
      finish();
    }
  };
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
    cancel: finish,
  }, new ByteLengthQueuingStrategy({ highWaterMark: maxUnsent }));
  return {
    body,
    closed,
    send: (message, eventId, text) => write(sseEvent(message, eventId, text), "method" in message),
    close: () => {
      if (!open) return;
      finish();
      try {
        controller.close();
      } catch {
        // Already closed by the reader.
      }
    },
  };
}
