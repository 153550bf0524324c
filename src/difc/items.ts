/**
 * Per-item labels of a tool result, in the path-based shape guards answer `label_response` with
 * (`labeled_paths`, `default_labels`, `items_path`), and the result rebuilt without the items an agent
 * may not see. A result whose first text content is JSON is labelled on that JSON, as the Go gateway does.
 */
import { type LabeledResource, labels as makeLabels, type Tag } from "./labels.ts";

/** Labels a guard gives one item. */
export interface ItemLabels {
  readonly description?: string;
  readonly secrecy: readonly Tag[];
  readonly integrity: readonly Tag[];
}

/** A guard's `label_response` answer in the path-based format. */
export interface PathLabels {
  readonly labeledPaths: readonly { readonly path: string; readonly labels: ItemLabels }[];
  readonly defaultLabels?: ItemLabels;
  /** JSON Pointer to the array of items; the labelled data itself when absent. */
  readonly itemsPath?: string;
}

/** One item of a result with its labels. */
export interface LabeledItem {
  readonly data: unknown;
  readonly labels: LabeledResource;
}

/** A result cut into labelled items. */
export interface LabeledResult {
  readonly items: readonly LabeledItem[];
  /** Whether the result holds a collection (an array of items), not one item. */
  readonly collection: boolean;
  /** Rebuilds the result with only the items at `keep` (indexes into `items`). */
  readonly rebuild: (keep: readonly number[]) => Record<string, unknown>;
}

type Json = unknown;

/** The JSON inside a result's first text content, or the result itself. */
function unwrap(result: Record<string, unknown>): { data: Json; wrapped: boolean } {
  const content = result.content;
  const first = Array.isArray(content)
    ? content.find((c) => (c as { type?: unknown } | null)?.type === "text")
    : undefined;
  const text = (first as { text?: unknown } | undefined)?.text;
  if (typeof text === "string") {
    try {
      return { data: JSON.parse(text), wrapped: true };
    } catch {
      // Not JSON: the result itself is what was labelled.
    }
  }
  return { data: result, wrapped: false };
}

function pointer(path: string): string[] {
  return path.replace(/^\//, "").split("/").filter((part) => part !== "").map((part) =>
    part.replaceAll("~1", "/").replaceAll("~0", "~")
  );
}

/** The container of the items and the key under which the array sits, or an error in words. */
function locate(
  data: Json,
  itemsPath: string | undefined,
): { parent?: Record<string, Json> | Json[]; key?: string | number; array: Json[] } | string | undefined {
  if (itemsPath === undefined || itemsPath === "") return Array.isArray(data) ? { array: data } : undefined;
  let parent: Record<string, Json> | Json[] | undefined;
  let key: string | number | undefined;
  let current: Json = data;
  for (const part of pointer(itemsPath)) {
    if (Array.isArray(current)) {
      const index = Number(part);
      if (!Number.isInteger(index) || index < 0 || index >= current.length) {
        return `items_path ${itemsPath}: no array index ${part}`;
      }
      [parent, key, current] = [current, index, current[index]];
    } else if (typeof current === "object" && current !== null && Object.hasOwn(current, part)) {
      const object = current as Record<string, Json>;
      [parent, key, current] = [object, part, object[part]];
    } else {
      return `items_path ${itemsPath} is not in the result`;
    }
  }
  return Array.isArray(current) ? { parent, key, array: current } : `items_path ${itemsPath} is not an array`;
}

function resource(entry: ItemLabels | undefined, fallback: string): LabeledResource {
  return { description: entry?.description ?? fallback, ...makeLabels(entry?.secrecy, entry?.integrity) };
}

/** The item index a labelled path names, relative to the items path. */
function indexOf(path: string, itemsPath: string): number | undefined {
  const base = pointer(itemsPath);
  const parts = pointer(path);
  if (parts.length <= base.length || base.some((part, i) => parts[i] !== part)) return undefined;
  const index = Number(parts[base.length]);
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}

/**
 * Applies a guard's path labels to a tool result. An item no path names gets the default labels (none:
 * public, no integrity). Returns the problem in words when the labels do not fit the result.
 */
export function labelResult(result: Record<string, unknown>, paths: PathLabels): LabeledResult | string {
  const { data, wrapped } = unwrap(result);
  const found = locate(data, paths.itemsPath);
  if (typeof found === "string") return found;
  const fallback = resource(paths.defaultLabels, "result");
  if (found === undefined) {
    return { items: [{ data, labels: fallback }], collection: false, rebuild: () => ({ content: [] }) };
  }
  const byIndex = new Map<number, ItemLabels>();
  for (const { path, labels } of paths.labeledPaths) {
    const index = indexOf(path, paths.itemsPath ?? "");
    if (index !== undefined) byIndex.set(index, labels);
  }
  const items = found.array.map((item, i) => ({
    data: item,
    labels: byIndex.has(i) ? resource(byIndex.get(i), `item ${i}`) : fallback,
  }));
  const rebuild = (keep: readonly number[]): Record<string, unknown> => {
    const kept = keep.map((i) => found.array[i]);
    const replaced = found.parent === undefined ? kept : structuredClone(data);
    if (found.parent !== undefined) {
      let target = replaced as Record<string, Json> | Json[];
      const parts = pointer(paths.itemsPath ?? "");
      for (const part of parts.slice(0, -1)) {
        target = (Array.isArray(target) ? target[Number(part)] : target[part]) as Record<string, Json>;
      }
      (target as Record<string | number, Json>)[found.key!] = kept;
    }
    // Only the kept data goes back, as JSON text: other content blocks or structuredContent of the
    // original could repeat the removed items.
    const shown = wrapped ? replaced : { ...(replaced as Record<string, unknown>), content: undefined };
    return { content: [{ type: "text", text: JSON.stringify(shown) }] };
  };
  return { items, collection: true, rebuild };
}

/**
 * Items a guard listed with their data (the legacy `items` answer, which the github guard gives for single
 * resources). What the agent is shown of them when some are removed is the kept items' data.
 */
export function labelListed(
  listed: readonly { readonly data: unknown; readonly labels: ItemLabels }[],
): LabeledResult {
  return {
    items: listed.map((item, i) => ({ data: item.data, labels: resource(item.labels, `item ${i}`) })),
    collection: listed.length !== 1,
    rebuild: (keep) => ({
      content: [{ type: "text", text: JSON.stringify(keep.map((i) => listed[i].data)) }],
    }),
  };
}
