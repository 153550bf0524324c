/**
 * A child process spoken to with newline-delimited JSON-RPC over stdin/stdout.
 */
import { readLines } from "../jsonrpc/framer.ts";
import { classify, type JsonRpcMessage } from "../jsonrpc/messages.ts";
import type { LaunchSpec } from "./launch.ts";
import type { ExitStatus, MessagePipe, PipeEvents } from "./pipe.ts";

const encoder = new TextEncoder();

/** A running stdio server. */
export class StdioPipe implements MessagePipe {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Resolves when the process has exited and its stdout has been read to the end. */
  readonly exited: Promise<ExitStatus>;
  readonly pid: number;
  #batch: string[] = [];

  private constructor(child: Deno.ChildProcess, events: PipeEvents) {
    this.#child = child;
    this.pid = child.pid;
    this.#writer = child.stdin.getWriter();
    this.#writer.closed.catch(() => {});
    const stdout = (async () => {
      for await (const line of readLines(child.stdout)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          events.noise(line);
          continue;
        }
        const classified = classify(parsed);
        if (classified.kind === "invalid") events.noise(line);
        else events.message(classified.message, line);
      }
    })().catch(() => {});
    const stderr = (async () => {
      for await (const line of readLines(child.stderr)) events.stderr(line);
    })().catch(() => {});
    this.exited = Promise.all([child.status, stdout, stderr]).then(([status]) => ({
      code: status.signal === null ? status.code : null,
      signal: status.signal,
    }));
  }

  /** Starts the process; throws Deno's error when the program cannot be started. */
  static spawn(spec: LaunchSpec, events: PipeEvents): StdioPipe {
    const child = new Deno.Command(spec.command, {
      args: [...spec.args],
      env: { ...spec.env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new StdioPipe(child, events);
  }

  /**
   * Writes one message, in order. Messages sent in the same turn of the event loop go out in one write;
   * a write to a dead process is dropped.
   */
  send(message: JsonRpcMessage, text = JSON.stringify(message)): string {
    this.#batch.push(text);
    if (this.#batch.length === 1) queueMicrotask(() => this.#flush());
    return text;
  }

  #flush(): void {
    const lines = this.#batch.length === 1 ? this.#batch[0] + "\n" : this.#batch.join("\n") + "\n";
    this.#batch = [];
    this.#writer.write(encoder.encode(lines)).catch(() => {});
  }

  /** Closes stdin, then SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs: number): Promise<ExitStatus> {
    await this.#writer.close().catch(() => {});
    this.#signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#signal("SIGKILL");
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return await this.exited;
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }
}
