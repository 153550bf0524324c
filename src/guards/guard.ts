/**
 * What the gateway asks of a guard around one tool call, whatever the guard is: a WebAssembly module with
 * the Go gateway's ABI, or one of the built-in guards (write-sink, noop).
 */
import type { LabeledResult } from "../difc/items.ts";
import type { Labelled } from "../difc/decide.ts";
import type { Mode } from "../difc/labels.ts";
import type { BackendCaller, GuardLog } from "./host.ts";

/** Who is calling and how a guard reaches the backend and the logs. */
export interface GuardContext {
  /** The session (agent) the call belongs to; each has its own guard instance. */
  readonly session: string;
  /** How long one guard export call may take. */
  readonly timeoutMs: number;
  readonly backend: BackendCaller;
  readonly log: GuardLog;
}

/** What `label_agent` gave a session. */
export interface AgentLabelling {
  readonly secrecy: readonly string[];
  readonly integrity: readonly string[];
  /** The mode the guard asks for (`difc_mode`); the operator's explicit choice wins over it. */
  readonly mode: Mode;
  readonly normalizedPolicy?: unknown;
}

/** A guard. Its methods reject with a `GuardFailure` when the guard cannot answer. */
export interface Guard {
  /** The guard's name, for messages and logs. */
  readonly name: string;
  /** Bumped whenever the guard's per-session instances were lost (a restarted worker). */
  readonly generation: number;
  labelAgent(context: GuardContext): Promise<AgentLabelling>;
  labelResource(tool: string, args: unknown, context: GuardContext): Promise<Labelled>;
  /**
   * Per-item labels of a result. `resultJson` is the result as it arrived. Undefined when the guard gives
   * none; a string when its labels do not fit the result.
   */
  labelResponse(
    tool: string,
    args: unknown,
    result: Record<string, unknown>,
    resultJson: string,
    context: GuardContext,
  ): Promise<LabeledResult | string | undefined>;
  /** Frees an agent's instance (its labels are the gateway's and stay); the next call starts a new one. */
  drop(session: string): void;
  close(): void;
}
