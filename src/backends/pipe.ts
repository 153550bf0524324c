/**
 * What a backend connection talks through: a stdio child or a remote Streamable HTTP server.
 */
import type { JsonRpcMessage } from "../jsonrpc/messages.ts";

/** How a pipe ended: a process's exit code or signal; both null for a closed remote connection. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: Deno.Signal | null;
}

/** How long a process is given to exit after its stdin closes and it gets SIGTERM, before SIGKILL. */
export const STOP_GRACE_MS = 10_000;

/** The backend cannot take a message now: not running, or not reading what it was sent. */
export class Unavailable extends Error {}

/** What a pipe reports. */
export interface PipeEvents {
  /** A well-formed JSON-RPC message from the backend, with the text it arrived as. */
  message(message: JsonRpcMessage, text: string): void;
  /** Output that is not JSON-RPC; logged and skipped. */
  noise(line: string): void;
  /** One line of diagnostics (a process's stderr). */
  stderr(line: string): void;
  /** The backend sent a message larger than the limit; `preview` is its start. */
  oversized(bytes: number, preview: string): void;
}

/** A two-way JSON-RPC channel to one backend. */
export interface MessagePipe {
  /** The process id, for stdio pipes. */
  readonly pid?: number;
  /** Resolves when the pipe has ended (process exit, or stop() of a remote connection). */
  readonly exited: Promise<ExitStatus>;
  /**
   * Sends one message (as `text` when it is already serialized) and returns the text sent; a remote server
   * gets `traceparent` as a header (a process has nowhere to carry it). Throws
   * `Unavailable` only when the backend has stopped reading and too much is waiting for it.
   */
  send(message: JsonRpcMessage, text?: string, traceparent?: string): string;
  /** Ends the pipe; a process gets SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<ExitStatus>;
}

/** Describes an exit for a log line or an error. */
export function describeExit(status: ExitStatus): string {
  if (status.signal !== null) return `was killed by ${status.signal}`;
  return status.code === null ? "was closed" : `exited with code ${status.code}`;
}
