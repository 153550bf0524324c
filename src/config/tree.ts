/**
 * Walking a parsed configuration tree: JSONPath strings and the object test.
 */

/** Appends a key to a JSONPath: `a.b` for names, `a[0]` for indexes. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
