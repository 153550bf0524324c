/**
 * The reference monitor's decisions around one guarded tool call: before it (may the call reach the
 * backend?) and after it (what of the result may the agent see, and how does reading it taint the agent).
 */
import type { LabeledResult } from "./items.ts";
import {
  evaluate,
  type LabeledResource,
  type Labels,
  type Mode,
  type Operation,
  type Verdict,
} from "./labels.ts";

/** What a guard said about the resource a call names. */
export interface Labelled {
  readonly resource: LabeledResource;
  readonly operation: Operation;
}

/** The decision before the call. */
export type Admission =
  | { readonly kind: "refuse"; readonly verdict: Exclude<Verdict, { decision: "allow" }> }
  | {
    readonly kind: "proceed";
    /** The coarse verdict on the whole resource; a denied read is settled item by item afterwards. */
    readonly verdict: Verdict;
    /** Whether the guard labels the response (`label_response`) before the agent sees it. */
    readonly labelResponse: boolean;
  };

/** An item the agent may not see, and why. */
export interface FilteredItem {
  readonly data: unknown;
  readonly labels: LabeledResource;
  readonly reason: string;
  readonly secrecy: boolean;
}

/** The decision after the call. */
export type Release =
  & (
    | { readonly kind: "pass" }
    | { readonly kind: "refuse"; readonly message: string; readonly filtered: readonly FilteredItem[] }
    | {
      readonly kind: "filter";
      readonly result: Record<string, unknown>;
      readonly filtered: readonly FilteredItem[];
      readonly total: number;
    }
  )
  & {
    /**
     * What the agent read, in propagate mode, for its labels to absorb (empty otherwise). The caller
     * applies it: the labels may live in a store shared by replicas, where the change is one atomic step.
     */
    readonly absorbed: readonly Labels[];
  };

/** Decides whether a call may reach the backend. A write that breaks the flow rules never does. */
export function admit(agent: Labels, labelled: Labelled, mode: Mode): Admission {
  const verdict = evaluate(agent, labelled.resource, labelled.operation, mode);
  if (verdict.decision === "deny" && labelled.operation !== "read") return { kind: "refuse", verdict };
  const labelResponse = labelled.operation === "read" ||
    (labelled.operation === "read-write" && mode !== "strict");
  return { kind: "proceed", verdict, labelResponse };
}

/** Tools that return one resource (`get_*`, `*_read`), as opposed to `list_*` and `search_*`. */
export function isSingularTool(tool: string): boolean {
  return !tool.startsWith("list_") && !tool.startsWith("search_");
}

function policyName(filtered: readonly FilteredItem[]): string {
  const secrecy = filtered.filter((item) => item.secrecy).length;
  if (secrecy === filtered.length) return "secrecy policy";
  return secrecy === 0 ? "integrity policy" : "access policy";
}

/** The text appended to a filtered result, so the agent knows items exist that it was not shown. */
export function filteredNotice(filtered: readonly FilteredItem[]): string {
  const policy = policyName(filtered);
  const head =
    `[Filtered] ${filtered.length} item(s) in this response were removed by ${policy} and are not shown`;
  if (filtered.length > 5) return `${head}.`;
  return `${head}: ${filtered.map((item) => `${item.labels.description} (${item.reason})`).join("; ")}.`;
}

/**
 * Decides what the agent sees of a result and what it absorbs by propagation. `labeled` is the guard's per-item
 * labelling, when it gave one. A read the coarse check denied and the guard did not label item by item is
 * judged as one item with the resource's labels: it is never let through unjudged.
 */
export function release(
  agent: Labels,
  labelled: Labelled,
  admission: Extract<Admission, { kind: "proceed" }>,
  labeled: LabeledResult | undefined,
  mode: Mode,
  tool: string,
): Release {
  const propagate = mode === "propagate" && labelled.operation !== "write";
  const items = labeled?.items ??
    (admission.verdict.decision === "deny" ? [{ data: undefined, labels: labelled.resource }] : undefined);
  if (items === undefined || !admission.labelResponse) {
    return { kind: "pass", absorbed: propagate ? [labelled.resource] : [] };
  }
  const keep: number[] = [];
  const filtered: FilteredItem[] = [];
  items.forEach((item, i) => {
    const verdict = evaluate(agent, item.labels, labelled.operation, mode);
    if (verdict.decision === "deny") {
      filtered.push({ ...item, reason: verdict.reason, secrecy: verdict.secrecyToAdd.length > 0 });
    } else keep.push(i);
  });
  const absorbed = propagate ? keep.map((i) => items[i].labels) : [];
  if (filtered.length === 0) return { kind: "pass", absorbed };
  if (mode === "strict") {
    const message = labeled === undefined
      ? `DIFC policy violation: ${filtered[0].reason}`
      : `DIFC policy violation: ${filtered.length} of ${items.length} items in response are not accessible to the agent`;
    return { kind: "refuse", message, filtered, absorbed };
  }
  if (keep.length === 0 && filtered.length === 1 && (isSingularTool(tool) || labeled?.collection === false)) {
    const [item] = filtered;
    return {
      kind: "refuse",
      message: `[Filtered] ${item.labels.description} exists but is not accessible — filtered by ${
        policyName(filtered)
      } (${item.reason})`,
      filtered,
      absorbed,
    };
  }
  const rebuilt = labeled?.rebuild(keep) ?? { content: [] };
  const content = [...(rebuilt.content as unknown[]), { type: "text", text: filteredNotice(filtered) }];
  return { kind: "filter", result: { ...rebuilt, content }, filtered, total: items.length, absorbed };
}
