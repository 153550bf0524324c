/**
 * The proxy's reference monitor: one agent (the proxy's caller, as the Go gateway's proxy has one), its
 * labels from the guard's `label_agent` at start, and for each judged request the guard's labels before the
 * upstream call (a refused request never leaves) and after it (what of the answer the caller may see, in
 * the mode in force). The answer is given to the guard as github-mcp-server's tool result would be.
 */
import { getLogger } from "@logtape/logtape";
import { AgentLabels } from "../difc/agent.ts";
import { type Admission, admit, type Labelled, release } from "../difc/decide.ts";
import { type Mode, sortedTags } from "../difc/labels.ts";
import type { Guard, GuardContext } from "../guards/guard.ts";
import type { BackendCaller } from "../guards/host.ts";
import { recordDecision } from "../observability/decisions.ts";

/** The agent's name in logs and `/reflect`. */
export const PROXY_AGENT = "proxy";

/** What a judged request may do before it is sent. */
export type Before =
  | { readonly kind: "refuse"; readonly reason: string }
  | { readonly kind: "send"; readonly after: (text: string) => Promise<After> };

/** What the caller sees of an answer: as it came, only the items it may see, or nothing. */
export type After =
  | { readonly kind: "pass" }
  | { readonly kind: "refuse"; readonly message: string }
  | {
    readonly kind: "filter";
    readonly kept: readonly unknown[];
    readonly removed: number;
    readonly total: number;
  };

const log = getLogger(["awmg", "proxy"]);

/** The judge of one proxy run. */
export class ProxyJudge {
  readonly #guard: Guard;
  readonly #labels = new AgentLabels();
  readonly #timeoutMs: number;
  #mode: Mode;

  private constructor(guard: Guard, mode: Mode, timeoutMs: number) {
    this.#guard = guard;
    this.#mode = mode;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `label_agent` with the policy; the operator's chosen mode wins over the guard's. Rejects with the
   * guard's failure: a proxy that cannot label its agent does not start.
   */
  static async start(
    guard: Guard,
    options: {
      readonly mode: Mode;
      readonly modeChosen: boolean;
      readonly timeoutMs: number;
      backend: BackendCaller;
    },
  ): Promise<ProxyJudge> {
    const judge = new ProxyJudge(guard, options.mode, options.timeoutMs);
    const labelling = await guard.labelAgent(judge.#context(options.backend));
    judge.#labels.add(labelling.secrecy, labelling.integrity);
    if (!options.modeChosen) judge.#mode = labelling.mode;
    return judge;
  }

  /** The enforcement mode in force. */
  get mode(): Mode {
    return this.#mode;
  }

  /** The agent's labels, as `/reflect` shows them. */
  reflect(): { secrecy: readonly string[]; integrity: readonly string[] } {
    return this.#labels.snapshot();
  }

  #context(backend: BackendCaller): GuardContext {
    return {
      session: PROXY_AGENT,
      timeoutMs: this.#timeoutMs,
      backend,
      log: (level, message) => log[level]("[guard:{guard}] {message}", { guard: this.#guard.name, message }),
    };
  }

  #record(
    tool: string,
    labelled: Labelled,
    decision: "allowed" | "refused" | "filtered" | "propagated",
    extra: {
      phase: "request" | "response";
      reason?: string;
      filtered?: number;
      total?: number;
    },
  ): void {
    recordDecision({
      server: PROXY_AGENT,
      session: PROXY_AGENT,
      tool,
      guard: this.#guard.name,
      operation: labelled.operation,
      decision,
      mode: this.#mode,
      resource: { description: labelled.resource.description, ...sortedTags(labelled.resource) },
      agent: this.#labels.snapshot(),
      ...extra,
    });
    const line = "DIFC {decision} {operation} {tool}: {resource}{why}";
    const values = {
      decision,
      operation: labelled.operation,
      tool,
      resource: labelled.resource.description,
      why: extra.reason === undefined ? "" : `; ${extra.reason}`,
    };
    if (decision === "refused" || decision === "filtered") log.warn(line, values);
    else log.info(line, values);
  }

  /** Labels a request; rejects with the guard's failure (the caller answers 502). */
  async before(tool: string, args: Record<string, unknown>, backend: BackendCaller): Promise<Before> {
    const context = this.#context(backend);
    const labelled = await this.#guard.labelResource(tool, args, context);
    const mode = this.#mode;
    const admission = admit(this.#labels, labelled, mode);
    if (admission.kind === "refuse") {
      this.#record(tool, labelled, "refused", { phase: "request", reason: admission.verdict.reason });
      return { kind: "refuse", reason: admission.verdict.reason };
    }
    return { kind: "send", after: (text) => this.#after(tool, args, labelled, admission, text, context) };
  }

  async #after(
    tool: string,
    args: Record<string, unknown>,
    labelled: Labelled,
    admission: Extract<Admission, { kind: "proceed" }>,
    text: string,
    context: GuardContext,
  ): Promise<After> {
    // The answer as github-mcp-server's tool result carries it: the guard reads both the same way.
    const result = { content: [{ type: "text", text }] };
    const labeled = admission.labelResponse
      ? await this.#guard.labelResponse(tool, args, result, JSON.stringify(result), context)
      : undefined;
    if (typeof labeled === "string") throw new Error(`the guard's labels do not fit the answer: ${labeled}`);
    const outcome = release(this.#labels, labelled, admission, labeled, this.#mode, tool);
    const tainted = this.#labels.absorbAll(outcome.absorbed);
    if (outcome.kind === "pass") {
      this.#record(tool, labelled, tainted ? "propagated" : "allowed", { phase: "response" });
      return { kind: "pass" };
    }
    const total = labeled?.items.length ?? 1;
    const removed = outcome.filtered.length;
    if (outcome.kind === "refuse") {
      this.#record(tool, labelled, "refused", {
        phase: "response",
        reason: outcome.message,
        filtered: removed,
        total,
      });
      const message = this.#mode === "strict"
        ? `DIFC policy violation: ${removed} of ${total} items not accessible`
        : outcome.message;
      return { kind: "refuse", message };
    }
    const gone = new Set(outcome.filtered.map((item) => item.data));
    const kept = (labeled?.items ?? []).map((item) => item.data).filter((data) => !gone.has(data));
    this.#record(tool, labelled, "filtered", { phase: "response", filtered: removed, total });
    return { kind: "filter", kept, removed, total };
  }

  /** Stops the guard. */
  close(): void {
    this.#guard.close();
  }
}
