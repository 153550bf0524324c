/**
 * A GitHub answer with only the items the agent may see, in the shape the client asked for, as the Go
 * gateway's proxy rebuilds it: a REST list stays a list, a search envelope is recounted, a GraphQL answer
 * keeps its envelope with its `nodes` or `edges` replaced and `totalCount` recounted. Pure functions.
 */

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Replaces the first `nodes` or `edges` array found (depth first) with `items`; false when there is none. */
function replaceNodes(value: Json, items: readonly Json[]): boolean {
  if (!isObject(value)) return false;
  for (const key of ["nodes", "edges"]) {
    if (!(key in value)) continue;
    value[key] = [...items];
    if ("totalCount" in value) value.totalCount = items.length;
    return true;
  }
  return Object.values(value).some((child) => replaceNodes(child, items));
}

/** A GraphQL answer with only `kept` as its items; `{"data": null}` when none is kept or none can be placed. */
function graphqlWith(original: Record<string, Json>, kept: readonly Json[]): Json {
  if (kept.length === 0) return { data: null };
  const cloned = structuredClone(original);
  return replaceNodes(cloned.data, kept) ? cloned : { data: null };
}

/**
 * The answer to send when the guard kept `kept` of the items of `original` (the upstream's JSON). A single
 * object stays an object when its one item is kept.
 */
export function rebuildAnswer(original: Json, kept: readonly Json[]): Json {
  if (Array.isArray(original)) return kept;
  if (!isObject(original)) return kept;
  if ("data" in original) return graphqlWith(original, kept);
  if ("total_count" in original) {
    const key = "items" in original ? "items" : "repositories" in original ? "repositories" : undefined;
    return {
      ...original,
      ...(key === undefined ? {} : { [key]: kept }),
      total_count: kept.length,
      incomplete_results: false,
    };
  }
  return kept.length === 1 ? kept[0] : kept;
}

/** Is this answer GraphQL's (an object with `data`)? Such an answer keeps its envelope when emptied. */
export function isGraphqlAnswer(value: Json): boolean {
  return isObject(value) && "data" in value;
}
