/**
 * The shape of a JSON value for an agent: every leaf replaced by its type name, every array by the schema
 * of its first element.
 */

/** Describes `value`'s structure; cheap for large arrays (only the first element is looked at). */
export function payloadSchema(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? [] : [payloadSchema(value[0])];
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, payloadSchema(item)]));
  }
  return typeof value;
}
