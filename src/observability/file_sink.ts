/**
 * A log file written in the background: lines are collected in memory and written with one plain write
 * per flush (every `flushMs`, or sooner when `bufferBytes` are waiting), never synced to disk on the request
 * path. Rotated by size: `name` → `name.1` → ... → `name.{maxFiles}`.
 */

const encoder = new TextEncoder();

/** How a file is buffered and rotated. */
export interface BufferedFileOptions {
  readonly maxSize: number;
  readonly maxFiles: number;
  readonly bufferBytes: number;
  readonly flushMs: number;
}

/** An append-only, buffered, rotating log file. */
export class BufferedFile {
  readonly #path: string;
  readonly #options: BufferedFileOptions;
  #file: Deno.FsFile;
  #size: number;
  #chunks: string[] = [];
  #pending = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #writing: Promise<void> = Promise.resolve();

  /** Opens (creating or appending to) the file. Called at startup, so it may block. */
  constructor(path: string, options: BufferedFileOptions) {
    this.#path = path;
    this.#options = options;
    this.#file = Deno.openSync(path, { append: true, create: true });
    this.#size = this.#file.statSync().size;
  }

  /** Queues text; it reaches the file within `flushMs`. */
  append(text: string): void {
    this.#chunks.push(text);
    this.#pending += text.length;
    if (this.#pending >= this.#options.bufferBytes) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushMs);
  }

  /** Writes what is queued; resolves when it (and every earlier write) is in the file. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#chunks.length > 0) {
      const data = this.#chunks.join("");
      this.#chunks = [];
      this.#pending = 0;
      this.#writing = this.#writing.then(() => this.#write(data)).catch(() => {});
    }
    return this.#writing;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    this.#file.close();
  }

  async #write(data: string): Promise<void> {
    const bytes = encoder.encode(data);
    if (this.#size > 0 && this.#size + bytes.length > this.#options.maxSize) await this.#rotate();
    for (let written = 0; written < bytes.length;) written += await this.#file.write(bytes.subarray(written));
    this.#size += bytes.length;
  }

  async #rotate(): Promise<void> {
    this.#file.close();
    for (let i = this.#options.maxFiles - 1; i >= 1; i--) {
      await Deno.rename(`${this.#path}.${i}`, `${this.#path}.${i + 1}`).catch(() => {});
    }
    await Deno.rename(this.#path, `${this.#path}.1`).catch(() => {});
    this.#file = await Deno.open(this.#path, { append: true, create: true });
    this.#size = 0;
  }
}
