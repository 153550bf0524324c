/**
 * A child process spoken to with newline-delimited JSON-RPC over stdin/stdout.
 */
import { setImmediate } from "node:timers";
import { AwaitedRequests } from "./awaited.ts";
import { isOversized, KEPT_BUFFER_BYTES, readLines } from "../jsonrpc/framer.ts";
import { classify, type JsonRpcMessage } from "../jsonrpc/messages.ts";
import { removeContainers } from "./containers.ts";
import { LABELS, withLabel } from "./docker.ts";
import type { LaunchSpec } from "./launch.ts";
import { type ExitStatus, type MessagePipe, type PipeEvents, Unavailable } from "./pipe.ts";

const encoder = new TextEncoder();
/** The size of the write buffer a pipe starts with: a write of ordinary size surely fits (3 bytes a UTF-16 unit). */
const FIRST_BUFFER_BYTES = 64 * 1024;
/** A stderr line is diagnostics for a person: longer ones are cut to their start. */
const STDERR_LINE_LIMIT = 16 * 1024;

/** The bounds a stdio pipe keeps. */
export interface StdioLimits {
  /** Largest stdout line (one message) in bytes. */
  readonly maxMessageSize: number;
  /** Bytes written to stdin that the process may leave unread before sends are refused. */
  readonly maxUnsentBytes: number;
}

/** A process started from a spec. */
export interface Spawned {
  readonly child: Deno.ChildProcess;
  /**
   * Resolves once the process has exited, with how many containers were then removed: one that runs a
   * container (a container server, a `docker`/`podman`/`nerdctl run` command) and was killed (SIGKILL) leaves
   * that container running if the server in it ignored SIGTERM and its stdin, and that launch's container
   * alone, found by its label, is removed.
   */
  readonly removedContainers: Promise<number>;
}

/** Starts a process with exactly the spec's environment and its three pipes; throws Deno's error when it cannot. */
export function spawnChild(spec: LaunchSpec): Spawned {
  const container = `${LABELS.launch}=${crypto.randomUUID()}`;
  const labelled = withLabel(spec.command, spec.args, container);
  const child = new Deno.Command(spec.command, {
    args: labelled ?? [...spec.args],
    env: { ...spec.env },
    clearEnv: true,
    cwd: spec.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const removedContainers = child.status.then((status) =>
    labelled !== undefined && status.signal === "SIGKILL" ? removeContainers(spec, container) : 0
  );
  return { child, removedContainers };
}

/** Sends a signal to a process that may have exited already. */
export function signalChild(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
}

/** A running stdio server. */
export class StdioPipe implements MessagePipe {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #maxUnsent: number;
  /** Resolves when the process has exited and its stdout has been read to the end. */
  readonly exited: Promise<ExitStatus>;
  readonly pid: number;
  #batch: string[] = [];
  /**
   * What a write's bytes are encoded into; free again when the write has finished (one is in flight at most).
   * It grows with the writes, to KEPT_BUFFER_BYTES at most; a larger write gets bytes of its own. (A fresh
   * buffer for every large write lived until a collection freed it, and under load dozens of them did at once.)
   */
  #buffer = new Uint8Array(FIRST_BUFFER_BYTES);
  #unsent = 0;
  #writing = false;
  /** Requests written whose responses have not been read yet: while there are some, writes wait to share one. */
  readonly #awaited = new AwaitedRequests();
  /** What was removed of the process's container once it ended (Spawned). */
  readonly removedContainers: Promise<number>;

  private constructor(
    child: Deno.ChildProcess,
    events: PipeEvents,
    limits: StdioLimits,
    removedContainers: Promise<number>,
  ) {
    this.#child = child;
    this.removedContainers = removedContainers;
    this.pid = child.pid;
    this.#maxUnsent = limits.maxUnsentBytes;
    this.#writer = child.stdin.getWriter();
    this.#writer.closed.catch(() => {});
    const stdout = readLines(child.stdout, (line) => {
      if (isOversized(line)) return events.oversized(line.bytes, line.preview);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return events.noise(line);
      }
      const classified = classify(parsed);
      if (classified.kind === "invalid") return events.noise(line);
      if (classified.kind === "response") this.#awaited.answered(classified.message.id);
      events.message(classified.message, line);
    }, limits.maxMessageSize).catch(() => {});
    const stderr = readLines(child.stderr, (line) => {
      events.stderr(
        isOversized(line) ? `${line.preview} (a line of more than ${STDERR_LINE_LIMIT} bytes, cut)` : line,
      );
    }, STDERR_LINE_LIMIT).catch(() => {});
    this.exited = Promise.all([child.status, stdout, stderr]).then(([status]) => ({
      code: status.signal === null ? status.code : null,
      signal: status.signal,
    }));
  }

  /**
   * Speaks to the process started early from the spec (head_start.ts), or starts it now; throws Deno's error
   * when it cannot be started.
   */
  static spawn(spec: LaunchSpec, events: PipeEvents, limits: StdioLimits, started?: Spawned): StdioPipe {
    const { child, removedContainers } = started ?? spawnChild(spec);
    return new StdioPipe(child, events, limits, removedContainers);
  }

  /**
   * Writes one message, in order. A message to an idle server goes out in this turn of the event loop; while
   * the server is busy with earlier requests, messages wait for the rest of the turn (an immediate: Deno's
   * zero-delay timers wait a millisecond or more) and share one write, as they could not be served sooner
   * anyway. One write is in flight at a time; what is sent meanwhile goes in the next. A write to a dead
   * process is dropped. A process that has left more than the limit unread gets no more.
   */
  send(message: JsonRpcMessage, text = JSON.stringify(message)): string {
    if (this.#unsent > 0 && this.#unsent + text.length > this.#maxUnsent) {
      throw new Unavailable(
        `the server is not reading its stdin: ${this.#unsent} bytes are waiting (gateway.maxUnsentBytes is ${this.#maxUnsent})`,
      );
    }
    this.#unsent += text.length + 1;
    this.#batch.push(text);
    if (this.#batch.length === 1 && !this.#writing) {
      if (this.#awaited.busy) setImmediate(() => this.#flush());
      else queueMicrotask(() => this.#flush());
    }
    this.#awaited.sent(message);
    return text;
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#writing = true;
    let size = 0;
    for (const text of batch) size += text.length + 1;
    const done = () => {
      this.#unsent -= size;
      this.#writing = false;
      this.#flush();
    };
    this.#writer.write(linesInto(batch, this.#bufferFor(size)) ?? joinedLines(batch)).then(done, done);
  }

  /** A buffer of `units` bytes or more: the pipe's own, grown when that is within what it keeps, or a fresh one. */
  #bufferFor(units: number): Uint8Array {
    if (units <= this.#buffer.length) return this.#buffer;
    if (units > KEPT_BUFFER_BYTES) return new Uint8Array(units);
    this.#buffer = new Uint8Array(Math.min(KEPT_BUFFER_BYTES, Math.max(units, 2 * this.#buffer.length)));
    return this.#buffer;
  }

  /** Closes stdin, then SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs: number): Promise<ExitStatus> {
    // A process that stopped reading never lets the close through; it gets its signal all the same.
    let waited: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#writer.close().catch(() => {}),
      new Promise((resolve) => waited = setTimeout(resolve, Math.min(graceMs, 1000))),
    ]);
    clearTimeout(waited);
    signalChild(this.#child, "SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signalChild(this.#child, "SIGKILL");
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return await this.exited;
  }
}

/**
 * The texts encoded as UTF-8 lines at the start of `bytes`, or undefined when they do not fit. `bytes` holds
 * as many bytes as the texts have UTF-16 units: ASCII (most JSON) always fits, and so does any text in the
 * first buffer of a pipe. Encoding into the buffer allocates nothing and joins no string: joining the texts,
 * or adding the newline to one, would copy a large text twice more in V8's heap (the joined string, then its
 * flattening for the encoder).
 */
function linesInto(texts: readonly string[], bytes: Uint8Array): Uint8Array | undefined {
  let at = 0;
  for (const text of texts) {
    const { read, written } = encoder.encodeInto(text, bytes.subarray(at));
    at += written;
    if (read < text.length || at === bytes.length) return undefined;
    bytes[at++] = 10;
  }
  return bytes.subarray(0, at);
}

/** The texts as lines, each encoded on its own and copied together: for text that did not fit its buffer. */
function joinedLines(texts: readonly string[]): Uint8Array {
  const parts = texts.map((text) => encoder.encode(text));
  const bytes = new Uint8Array(parts.reduce((size, part) => size + part.length + 1, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
    bytes[at++] = 10;
  }
  return bytes;
}
