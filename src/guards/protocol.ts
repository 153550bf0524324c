/**
 * Messages between the gateway and a guard worker. A guard module runs in its own worker so that a guest
 * stuck in a loop can be stopped (terminating the worker is the only way to interrupt WebAssembly).
 */

/** The exports of the guard ABI the gateway calls, each `(in_ptr, in_len, out_ptr, out_size) -> i32`. */
export type GuardExport = "label_agent" | "label_resource" | "label_response";

/** Levels of `host_log`, as the Go host reads them. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** What the gateway tells a worker. */
export type ToWorker =
  | {
    readonly type: "load";
    /** Compiled once by the gateway; workers share it. */
    readonly module: WebAssembly.Module;
    readonly maxMemory: number;
  }
  | {
    readonly type: "call";
    readonly id: number;
    /** The session whose instance runs the call. */
    readonly session: string;
    readonly fn: GuardExport;
    readonly input: string;
    /** When the call must have answered, in ms since the epoch (the host's time bound). */
    readonly deadline: number;
  }
  | { readonly type: "backend-result"; readonly id: number; readonly ok: boolean; readonly text: string }
  | { readonly type: "drop"; readonly session: string };

/** What a worker tells the gateway. */
export type FromWorker =
  | { readonly type: "loaded" }
  | { readonly type: "load-failed"; readonly error: string }
  | (
    & { readonly type: "result"; readonly id: number; readonly logs: readonly GuestLog[] }
    & (
      | { readonly ok: true; readonly output: string }
      | {
        readonly ok: false;
        readonly error: string;
        /** The instance trapped and is unusable from now on. */
        readonly trapped: boolean;
      }
    )
  )
  /** The guest called `call_backend`; answered with a "backend-result" of the same id. */
  | {
    readonly type: "backend";
    readonly id: number;
    readonly call: number;
    readonly tool: string;
    readonly args: string;
  }
  /** Log lines written outside an export call (during the call they travel with its result). */
  | { readonly type: "log"; readonly session: string; readonly logs: readonly GuestLog[] };

/** One line a guest logged (`host_log`, or its WASI stdout/stderr), with its level index. */
export interface GuestLog {
  readonly level: number;
  readonly message: string;
}
