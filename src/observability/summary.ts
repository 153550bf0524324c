/**
 * gateway.md, the run's step summary: the Markdown blocks of the run's messages and warnings as they come,
 * up to a byte budget, and at shutdown the digest put in front of them (digest.ts) and a last line saying
 * how many blocks were left out. GitHub shows at most 1 MiB of a step summary, so the default budget leaves
 * room; rpc-messages.jsonl holds every message.
 */
import { replaceFile } from "../files.ts";
import { Digest } from "./digest.ts";
import { BufferedFile, type BufferedFileOptions } from "./file_sink.ts";

const encoder = new TextEncoder();

/** UTF-8 length of a short text, without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** gateway.md of one run. */
export class StepSummary {
  /** The figures of the run, counted by the log setup. */
  readonly digest: Digest;
  readonly #path: string;
  readonly #budget: number;
  readonly #file: BufferedFile;
  /** Where each block written ends, in bytes from the start of the file. */
  readonly #ends: number[] = [];
  #written = 0;
  #leftOut = 0;

  private constructor(path: string, budget: number, file: BufferedFile, serverIds: readonly string[]) {
    this.#path = path;
    this.#budget = budget;
    this.#file = file;
    this.digest = new Digest(serverIds);
  }

  /** Opens gateway.md for this run; the file of an earlier run is moved aside as a rotation does. */
  static async open(
    path: string,
    budget: number,
    serverIds: readonly string[],
    buffering: Pick<BufferedFileOptions, "bufferBytes" | "flushMs" | "onError">,
  ): Promise<StepSummary> {
    // The budget bounds the file, so it is never rotated by size while the run writes it.
    const file = new BufferedFile(path, { maxSize: Infinity, ...buffering });
    if (file.size > 0) await file.rotate();
    return new StepSummary(path, budget, file, serverIds);
  }

  /**
   * Appends a block (`block` made only now) while the budget has room. The first block that does not fit
   * closes the summary: it and every later one are only counted, so the file is the run's first blocks in
   * order, and a long run stops formatting blocks it cannot show.
   */
  append(block: string | (() => string)): void {
    if (this.#leftOut > 0) {
      this.#leftOut++;
      return;
    }
    const text = typeof block === "string" ? block : block();
    const bytes = utf8Length(text);
    if (this.#written + bytes > this.#budget) {
      this.#leftOut++;
      return;
    }
    this.#file.append(text);
    this.#written += bytes;
    this.#ends.push(this.#written);
  }

  /** Writes the file whole: the digest, as many blocks as fit the budget with it, and what was left out. */
  async finish(): Promise<void> {
    await this.#file.close();
    const digest = encoder.encode(`${this.digest.markdown()}---\n\n`);
    const ends = this.#ends;
    let kept = ends.length;
    let trailer = this.#trailer(0);
    while (kept > 0 && digest.length + ends[kept - 1] + trailer.length > this.#budget) {
      kept--;
      trailer = this.#trailer(ends.length - kept);
    }
    const blocks = (await Deno.readFile(this.#path)).subarray(0, kept === 0 ? 0 : ends[kept - 1]);
    const whole = new Uint8Array(digest.length + blocks.length + trailer.length);
    whole.set(digest);
    whole.set(blocks, digest.length);
    whole.set(trailer, digest.length + blocks.length);
    await replaceFile(this.#path, whole);
  }

  /** The closing line when blocks were left out (`cut` of them at the end, besides those never written). */
  #trailer(cut: number): Uint8Array {
    const left = this.#leftOut + cut;
    return left === 0 ? new Uint8Array() : encoder.encode(
      `_${left} more ${left === 1 ? "entry was" : "entries were"} left out to keep this summary under ` +
        `${this.#budget} bytes (MCP_GATEWAY_SUMMARY_MAX_SIZE); rpc-messages.jsonl holds every message._\n`,
    );
  }
}
