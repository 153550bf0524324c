/**
 * The "decision seen" hook: each guarded tool call's DIFC decision, and each item a filter removed, go to
 * rpc-messages.jsonl beside the messages they concern (the text logs get them through logtape).
 */

/** Labels as logs show them. */
export interface TagFacts {
  readonly secrecy: readonly string[];
  readonly integrity: readonly string[];
}

/** One guarded tool call's decision. */
export interface DecisionFacts {
  readonly server: string;
  readonly session: string;
  readonly tool: string;
  readonly guard: string;
  readonly operation: string;
  /** allowed: as is; refused: not forwarded or not shown; filtered: items removed; propagated: agent tainted. */
  readonly decision: "allowed" | "refused" | "filtered" | "propagated";
  readonly phase: "request" | "response";
  readonly mode: string;
  readonly resource: TagFacts & { readonly description: string };
  /** The agent's labels after the decision. */
  readonly agent: TagFacts;
  readonly reason?: string;
  readonly filtered?: number;
  readonly total?: number;
}

/** One item a filter removed, with what identifies it (the Go gateway's difc_filtered event). */
export interface FilteredFacts {
  readonly server_id: string;
  readonly tool_name: string;
  readonly description: string;
  readonly reason: string;
  readonly secrecy_tags: readonly string[];
  readonly integrity_tags: readonly string[];
  readonly author_association?: string;
  readonly author_login?: string;
  readonly html_url?: string;
  readonly number?: string;
  readonly sha?: string;
}

/** A request the proxy forwarded unjudged because its route table does not know the path. */
export interface PassthroughFacts {
  readonly method: string;
  readonly path: string;
}

/** Where decision records go; set by the log setup. */
export interface DecisionSinks {
  readonly decision: (facts: DecisionFacts, at: number) => void;
  readonly filtered: (facts: FilteredFacts, at: number) => void;
  readonly passthrough: (facts: PassthroughFacts, at: number) => void;
}

let sinks: DecisionSinks | undefined;

/** Installs the sinks (called by the log setup); undefined drops records. */
export function routeDecisions(to: DecisionSinks | undefined): void {
  sinks = to;
}

/** Records a decision. */
export function recordDecision(facts: DecisionFacts): void {
  sinks?.decision(facts, Date.now());
}

/** Records an item a filter removed. */
export function recordFiltered(facts: FilteredFacts): void {
  sinks?.filtered(facts, Date.now());
}

/** Records an unjudged passthrough of the proxy. */
export function recordPassthrough(facts: PassthroughFacts): void {
  sinks?.passthrough(facts, Date.now());
}

/** The JSONL line of an unjudged passthrough, in the Go gateway's shape. */
export function passthroughJsonLine(facts: PassthroughFacts, at: number): string {
  return `${
    JSON.stringify({
      timestamp: new Date(at).toISOString(),
      event: "unrecognized_endpoint_passthrough",
      _schema: "difc-event/v1",
      ...facts,
      action: "passthrough_with_empty_labels",
      note:
        "Endpoint not in route table or metadata allowlist -- forwarded with no integrity and no secrecy labels",
    })
  }\n`;
}

/** The JSONL line of a decision. */
export function decisionJsonLine(facts: DecisionFacts, at: number): string {
  return `${JSON.stringify({ timestamp: new Date(at).toISOString(), event: "difc_decision", ...facts })}\n`;
}

/** The JSONL line of a filtered item, in the Go gateway's `difc-filtered/v2` shape. */
export function filteredJsonLine(facts: FilteredFacts, at: number): string {
  return `${
    JSON.stringify({
      timestamp: new Date(at).toISOString(),
      event: "difc_filtered",
      _schema: "difc-filtered/v2",
      ...facts,
    })
  }\n`;
}
