/**
 * A log file written in the background: lines are encoded at once into a byte buffer and written with one
 * plain write per flush (every `flushMs`, or as soon as the buffer is full), never synced to disk on the
 * request path. Rotated by size, by renaming only the file rotated: `name` becomes `name.{n}`, one number past
 * the highest on disk, so the numbers count up from the oldest and a rotation costs the same after a thousand
 * of them; nothing is deleted unless `maxFiles` says how many rotated files to keep.
 *
 * Lines become bytes as they arrive rather than waiting as strings: a string held until the next flush
 * outlives several young-generation collections and is copied into the old generation, which under load
 * costs more than the encoding.
 */

import { openAppend, openAppendSync } from "../files.ts";

const encoder = new TextEncoder();

/** How a file is buffered and rotated. */
export interface BufferedFileOptions {
  readonly maxSize: number;
  /** Rotated files kept; older ones are deleted. Undefined: every rotated file is kept. */
  readonly maxFiles?: number;
  /** The size of the byte buffer; a full buffer is written out at once. */
  readonly bufferBytes: number;
  readonly flushMs: number;
  /** Told of each write that failed (a full disk, say); the lines it held are lost, later writes go on. */
  readonly onError?: (error: Error, lostBytes: number) => void;
}

/** An append-only, buffered, rotating log file. */
export class BufferedFile {
  readonly #path: string;
  readonly #options: BufferedFileOptions;
  /** Undefined after a rotation whose new file could not be opened: the next write tries again. */
  #file: Deno.FsFile | undefined;
  #size: number;
  /** The highest number of a rotated file on disk (`name.{last}`, the newest); 0 before the first. */
  #last: number;
  /** The numbers of the rotated files on disk, oldest first; tracked only when `maxFiles` bounds them. */
  readonly #kept: number[];
  #buffer: Uint8Array;
  #used = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #writing: Promise<void> = Promise.resolve();

  /**
   * Opens (creating or appending to) the file; throws when the path is a symbolic link or not a regular file
   * (openAppendSync). Called at startup, so it may block.
   */
  constructor(path: string, options: BufferedFileOptions) {
    this.#path = path;
    this.#options = options;
    const file = openAppendSync(path);
    this.#file = file;
    this.#size = file.statSync().size;
    const rotated = rotatedNumbers(path);
    this.#last = rotated.at(-1) ?? 0;
    this.#kept = options.maxFiles === undefined ? [] : rotated;
    this.#buffer = new Uint8Array(options.bufferBytes);
  }

  /**
   * Queues text; it reaches the file within `flushMs`. A line is never split between two writes. `also`
   * gets the same bytes, copied rather than encoded again (an RPC line goes to the main log and the
   * server's), unless it is this file (a server whose log is the main log).
   */
  append(text: string, also?: BufferedFile): void {
    const copy = also === this ? undefined : also;
    let start = this.#used;
    if (!this.#encode(text)) {
      this.flush();
      start = 0;
      if (!this.#encode(text)) {
        const bytes = encoder.encode(text);
        this.#queue(bytes);
        if (copy !== undefined) copy.#appendBytes(bytes);
        return;
      }
    }
    if (copy !== undefined) copy.#appendBytes(this.#buffer.subarray(start, this.#used));
    this.#armTimer();
  }

  #appendBytes(bytes: Uint8Array): void {
    if (this.#used + bytes.length > this.#buffer.length) this.flush();
    if (bytes.length > this.#buffer.length) this.#queue(bytes);
    else {
      this.#buffer.set(bytes, this.#used);
      this.#used += bytes.length;
      this.#armTimer();
    }
  }

  #armTimer(): void {
    if (this.#used > 0) this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushMs);
  }

  /** Writes what is queued; resolves when it (and every earlier write) is in the file. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#used > 0) {
      const data = this.#buffer.subarray(0, this.#used);
      // The buffer belongs to the write now; later lines go to a fresh one.
      this.#buffer = new Uint8Array(this.#options.bufferBytes);
      this.#used = 0;
      this.#queue(data);
    }
    return this.#writing;
  }

  /** Encodes the text after what the buffer holds; false (and nothing counted) when it does not fit whole. */
  #encode(text: string): boolean {
    const { read, written } = encoder.encodeInto(text, this.#buffer.subarray(this.#used));
    if (read < text.length) return false;
    this.#used += written;
    return true;
  }

  #queue(bytes: Uint8Array): void {
    this.#writing = this.#writing.then(() => this.#write(bytes)).catch((error) =>
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)), bytes.length)
    );
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.#file?.close();
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.#size > 0 && this.#size + bytes.length > this.#options.maxSize) await this.#rotate();
    const file = this.#file ??= await openAppend(this.#path);
    for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
    this.#size += bytes.length;
  }

  /** Bytes in the file now (what is queued not counted). */
  get size(): number {
    return this.#size;
  }

  /** Moves the file aside as a rotation does, after every queued write; later lines start a new file. */
  rotate(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#rotate());
    return this.#writing;
  }

  async #rotate(): Promise<void> {
    this.#file?.close();
    this.#file = undefined;
    await Deno.rename(this.#path, `${this.#path}.${++this.#last}`).catch(() => {});
    const { maxFiles } = this.#options;
    if (maxFiles !== undefined) {
      this.#kept.push(this.#last);
      while (this.#kept.length > maxFiles) {
        await Deno.remove(`${this.#path}.${this.#kept.shift()}`).catch(() => {});
      }
    }
    this.#size = 0;
    this.#file = await openAppend(this.#path);
  }
}

/** The numbers of the rotated files of `path` on disk (`name.{n}`), in ascending order. */
function rotatedNumbers(path: string): number[] {
  const slash = path.lastIndexOf("/");
  const [dir, prefix] = [slash < 0 ? "." : path.slice(0, slash) || "/", `${path.slice(slash + 1)}.`];
  const numbers: number[] = [];
  for (const { name } of Deno.readDirSync(dir)) {
    const suffix = name.startsWith(prefix) ? name.slice(prefix.length) : "";
    if (/^[1-9][0-9]{0,14}$/.test(suffix)) numbers.push(Number(suffix));
  }
  return numbers.sort((a, b) => a - b);
}
