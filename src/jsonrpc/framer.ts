/**
 * Framing of byte streams into messages: newline-delimited lines (stdio) and whole bodies (HTTP), each
 * within a size limit, so a peer that never ends its message cannot make the gateway buffer without bound.
 *
 * Chunks may hold several lines or a fraction of one; a single line may span megabytes. Each chunk is
 * scanned once for newlines, so a large message costs one pass over its bytes, not one per chunk.
 */

/** A line longer than the limit: its first characters for the log, and how many bytes were seen. */
export interface Oversized {
  readonly oversized: true;
  /** Bytes seen when the limit was passed (the rest of the line is skipped unread). */
  readonly bytes: number;
  readonly preview: string;
}

const NEWLINE = 10;
const PREVIEW_CHARS = 200;
/** Chunks this large or larger are searched for newlines as text when they are ASCII (see searchableText). */
const TEXT_SEARCH_BYTES = 4096;
const probe = new TextDecoder();

/** The first characters of a text for a log line, with the full length when cut. */
export function preview(text: string, chars = PREVIEW_CHARS): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}... (${text.length} characters)`;
}

/** The read size of a byte stream: what one read of a pipe gives at most. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Hands each chunk of a byte stream to `onChunk` as it is read, until the stream ends or `onChunk` returns
 * false (the stream is then cancelled). The chunks are read into one buffer that every read reuses: each is
 * valid only during its call. A plain read of Deno's pipes allocates (and zeroes) a fresh 64 KiB buffer for
 * every chunk, however small; for a call's few hundred bytes that cost more CPU than the rest of the read
 * (18 µs against 40-50 µs per line echoed through `cat`, 2026-12-06). A callback rather than an async
 * generator: a generator costs a promise and a turn of the microtask queue per chunk. A stream without BYOB
 * reads is read plainly.
 */
export async function readChunks(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => boolean,
): Promise<void> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    for await (const chunk of stream) if (!onChunk(chunk)) break;
    return;
  }
  let ended = false;
  try {
    let buffer = new Uint8Array(CHUNK_BYTES);
    while (true) {
      const { value, done } = await reader.read(buffer);
      if (done || value === undefined) {
        ended = true;
        return;
      }
      if (!onChunk(value)) return;
      // The read took the buffer over; its bytes are ours again now that the chunk is used.
      buffer = new Uint8Array(value.buffer);
    }
  } finally {
    // A reader that stops early (a body over its limit) cancels the stream, as a plain for-await does. The
    // lock is kept: the stream has ended or is cancelled, so no one reads it again, and releasing it rejects
    // the reader's `closed` promise with a fresh TypeError, whose stack costs about 17 µs (2026-12-07).
    if (!ended) await reader.cancel().catch(() => {});
  }
}

/**
 * Splits a stream of bytes into lines (without the trailing newline or carriage return) and hands each to
 * `onLine`, in order, as its chunk is read; resolves when the stream ends. Blank lines are dropped. A line
 * longer than `limit` bytes is reported once, as soon as the limit is passed, as an `Oversized` marker, and
 * the rest of it is skipped up to the next newline without being kept. The lines of one chunk are handed
 * over in one go: no promise or turn of the event loop per line, which a generator would cost.
 *
 * A line that spans chunks is kept as bytes until its newline arrives and decoded once: decoding each chunk
 * as it came made a string per chunk that lived until the line was complete, and young strings that live
 * that long are copied by every collection they outlive.
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string | Oversized) => void,
  limit = Infinity,
): Promise<void> {
  const pending = new PendingLine();
  await readChunks(stream, (chunk) => {
    const text = searchableText(chunk);
    let start = 0;
    while (true) {
      const newline = text === undefined ? chunk.indexOf(NEWLINE, start) : text.indexOf("\n", start);
      if (newline === -1) {
        if (!pending.skipping && start < chunk.length) {
          const rest = chunk.subarray(start);
          pending.size += rest.length;
          if (pending.size > limit) onLine(pending.oversized(rest));
          else pending.keep(rest);
        }
        return true;
      }
      if (pending.skipping) {
        pending.skipping = false;
      } else {
        const last = chunk.subarray(start, newline);
        pending.size += last.length;
        if (pending.size > limit) onLine(pending.oversized(last));
        else {
          const text = pending.take(last);
          if (isContent(text)) onLine(text.endsWith("\r") ? text.slice(0, -1) : text);
        }
      }
      start = newline + 1;
    }
  });
  const rest = pending.rest();
  if (rest !== undefined && isContent(rest)) onLine(rest);
}

/**
 * The chunk as text whose indices are its bytes', when its newlines are better found there; undefined for a
 * small chunk or one that is not ASCII. A byte array's `indexOf` compares byte by byte (30-45 µs for 64 KiB
 * here), a string's finds a character with a vectorised search (about 1 µs), and decoding ASCII costs 6-9 µs:
 * so a large chunk is decoded once. Decoding never gives more characters than bytes (a multi-byte sequence, a
 * cut one or a byte order mark gives fewer, an invalid byte one U+FFFD), so equal lengths mean each byte
 * became one character in place. The text is dropped with the chunk; lines are still cut from the bytes.
 */
function searchableText(chunk: Uint8Array): string | undefined {
  if (chunk.length < TEXT_SEARCH_BYTES) return undefined;
  const text = probe.decode(chunk);
  return text.length === chunk.length ? text : undefined;
}

/**
 * The largest buffer kept for reuse once its message is read (a line reader's, a sized read's, a pipe's
 * write buffer); a larger one is let go, so what is kept between messages stays bounded.
 */
export const KEPT_BUFFER_BYTES = 1024 * 1024;

/**
 * The line being read: its bytes copied into a buffer until its newline arrives, then decoded once; or, past
 * the limit, skipped up to its newline. The buffer is reused by the next lines that span chunks: a fresh copy
 * of every piece, joined again at the end, was two buffers per large message, each freed only by a collection.
 */
class PendingLine {
  readonly #decoder = new TextDecoder();
  /** The line's bytes so far are the first `#kept` of these. */
  #bytes = new Uint8Array(0);
  #kept = 0;
  /** Bytes of the line so far. */
  size = 0;
  /** The line went over the limit: its rest is dropped up to the next newline. */
  skipping = false;

  /** Keeps a piece of the line, copied: the chunk's buffer is read into again. */
  keep(piece: Uint8Array): void {
    const needed = this.#kept + piece.length;
    if (needed > this.#bytes.length) {
      this.#bytes = new Uint8Array(this.#bytes.buffer.transfer(Math.max(needed, 2 * this.#bytes.length)));
    }
    this.#bytes.set(piece, this.#kept);
    this.#kept = needed;
  }

  /** The marker of a line over the limit (previewed from its first bytes); the rest of it is skipped. */
  oversized(last: Uint8Array): Oversized {
    const head = this.#kept > 0 ? this.#bytes.subarray(0, this.#kept) : last;
    const marker: Oversized = {
      oversized: true,
      bytes: this.size,
      preview: `${this.#decoder.decode(head.subarray(0, PREVIEW_CHARS))}...`,
    };
    this.#clear();
    this.skipping = true;
    return marker;
  }

  /** The line made of the bytes kept so far and `last`, decoded; the next line starts empty. */
  take(last: Uint8Array): string {
    if (this.#kept === 0) {
      this.size = 0;
      return this.#decoder.decode(last);
    }
    this.keep(last);
    const text = this.#decoder.decode(this.#bytes.subarray(0, this.#kept));
    this.#clear();
    return text;
  }

  /** What was kept of a last line the stream ended without a newline, if anything. */
  rest(): string | undefined {
    return this.skipping || this.#kept === 0 ? undefined : this.take(new Uint8Array(0));
  }

  #clear(): void {
    this.size = 0;
    this.#kept = 0;
    if (this.#bytes.length > KEPT_BUFFER_BYTES) this.#bytes = new Uint8Array(0);
  }
}

/** False for an empty or all-whitespace line; a JSON message starts with "{" at once. */
function isContent(line: string): boolean {
  return line.length > 0 && (line.charCodeAt(0) > 32 || line.trim() !== "");
}

/** True for the marker of a line over the limit. */
export function isOversized(item: string | Oversized): item is Oversized {
  return typeof item !== "string";
}

/** A whole stream as text, or undefined when it holds more than `limit` bytes (reading stops there). */
export async function readLimited(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string | undefined> {
  if (stream === null) return "";
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let size = 0;
  await readChunks(stream, (chunk) => {
    size += chunk.byteLength;
    if (size > limit) return false;
    parts.push(decoder.decode(chunk, { stream: true }));
    return true;
  });
  if (size > limit) return undefined;
  parts.push(decoder.decode());
  return parts.length === 1 ? parts[0] : parts.join("");
}

/**
 * Bodies of this declared size or larger are read by `readSized`, into a reused buffer; for smaller ones a
 * fresh buffer costs less than the bookkeeping.
 */
const SIZED_READ_BYTES = 64 * 1024;

/**
 * A request's or a fetched response's body as text, or undefined when it holds more than `limit` bytes: a body
 * declared larger is cancelled unread, one that proves larger when its bytes pass the limit. Of a body of
 * declared length, a large one is read by `readSized` into a reused buffer and a small one by the runtime,
 * which takes a body that has arrived whole in one step (`body` is not touched for it: once made, the stream
 * is what `text()` reads, in chunks). A body of unknown length, and one that fetch inflates (its
 * Content-Length counts the compressed bytes), are counted as they come (`readLimited`).
 */
export function readDeclared(message: Request | Response, limit: number): Promise<string | undefined> {
  const declared = message.headers.get("content-length");
  const size = Number(declared);
  if (declared === null || !Number.isSafeInteger(size) || inflated(message)) {
    return readLimited(message.body, limit);
  }
  if (size > limit) {
    return (message.body?.cancel() ?? Promise.resolve()).then(() => undefined, () => undefined);
  }
  return size >= SIZED_READ_BYTES ? readSized(message.body, size) : message.text();
}

/** Whether fetch inflates a body: Deno's server hands a request's body over as it was sent. */
function inflated(message: Request | Response): boolean {
  if (message instanceof Request) return false;
  const encoding = message.headers.get("content-encoding");
  return encoding !== null && encoding !== "identity";
}

/** How many buffers sized reads keep for the next ones (each KEPT_BUFFER_BYTES at most). */
const SPARE_BUFFERS = 4;
const spareBuffers: ArrayBuffer[] = [];
/** The buffer a sized read starts with when no spare is large enough; it grows as the bytes come. */
const FIRST_SIZED_BYTES = 64 * 1024;
const sizedDecoder = new TextDecoder();

/**
 * A stream that holds `size` bytes (a body of declared length) as text; undefined when it holds more. The
 * bytes are read straight into one buffer and decoded once: the runtime's own read of a body gathers its
 * chunks into a fresh buffer that only a collection frees, and under a load of 256 KiB bodies about 25 MB of
 * them waited for one (2026-12-07). The buffer grows with the bytes that came, not with the size declared,
 * so a body that declares megabytes and sends a few bytes holds a few; it is kept for a later read (four of
 * up to 1 MiB are kept). A stream without BYOB reads is read with `readLimited`.
 */
export async function readSized(
  stream: ReadableStream<Uint8Array> | null,
  size: number,
): Promise<string | undefined> {
  if (stream === null) return "";
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    return await readLimited(stream, size);
  }
  // One byte more than the size: the last read finds the end, or a byte too many.
  const end = size + 1;
  const at = spareBuffers.findIndex((spare) => spare.byteLength >= end);
  let buffer = at === -1 ? new ArrayBuffer(Math.min(end, FIRST_SIZED_BYTES)) : spareBuffers.splice(at, 1)[0];
  let length = 0;
  try {
    while (length < end) {
      // Doubled rather than fitted to the size, so that a kept buffer fits the next bodies of about that size.
      if (length === buffer.byteLength) buffer = buffer.transfer(2 * length);
      const room = Math.min(end, buffer.byteLength) - length;
      const { value, done } = await reader.read(new Uint8Array(buffer, length, room));
      if (value !== undefined) buffer = value.buffer as ArrayBuffer;
      if (done) break;
      length += value!.length;
    }
    if (length > size) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    return sizedDecoder.decode(new Uint8Array(buffer, 0, length));
  } finally {
    // The lock is kept, as readChunks keeps it. A read that failed keeps the buffer it was given (now detached).
    const kept = buffer.byteLength > 0 && buffer.byteLength <= KEPT_BUFFER_BYTES;
    if (kept && spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(buffer);
  }
}

/** At most the first `bytes` bytes of a stream as text (for an error message); the rest is not read. */
export async function readPreview(stream: ReadableStream<Uint8Array> | null, bytes = 500): Promise<string> {
  if (stream === null) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of stream) {
    text += decoder.decode(chunk.subarray(0, bytes - size), { stream: true });
    size += chunk.byteLength;
    if (size >= bytes) break;
  }
  return text + decoder.decode();
}
