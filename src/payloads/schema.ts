/**
 * The shape of a JSON value for an agent: every leaf replaced by its type name, every array by the schema
 * of its first element.
 */

/**
 * How deep the schema goes: a container nested deeper is described by its type name alone (`"array"`,
 * `"object"`). The value comes from a backend, and one nested a hundred thousand levels deep would otherwise
 * exhaust the stack (and make a schema as large as the payload it stands for).
 */
export const SCHEMA_DEPTH = 64;

/** Describes `value`'s structure; cheap for large arrays (only the first element is looked at). */
export function payloadSchema(value: unknown): unknown {
  return schemaAt(value, 0);
}

function schemaAt(value: unknown, depth: number): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    if (depth === SCHEMA_DEPTH) return "array";
    return value.length === 0 ? [] : [schemaAt(value[0], depth + 1)];
  }
  if (typeof value === "object") {
    if (depth === SCHEMA_DEPTH) return "object";
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, schemaAt(item, depth + 1)]));
  }
  return typeof value;
}
