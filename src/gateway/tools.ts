/**
 * What clients see of a backend's tools: only the allowed ones, with input schemas strict clients accept.
 */

/** A tool as a backend lists it; only `name` and `inputSchema` are looked at. */
export type Tool = Record<string, unknown> & { name: string; inputSchema?: Record<string, unknown> };

/** True when the allow-list (undefined means all) permits the tool. */
export function isAllowed(allowList: readonly string[] | undefined, name: string): boolean {
  return allowList === undefined || allowList.includes(name);
}

/**
 * Filters a tool list by the allow-list and gives every object schema without `properties` an empty one.
 * Calls `normalized(name)` for each tool it fixed. The input is not modified.
 */
export function presentTools(
  tools: readonly Tool[],
  allowList: readonly string[] | undefined,
  normalized: (name: string) => void,
): Tool[] {
  const out: Tool[] = [];
  for (const tool of tools) {
    if (!isAllowed(allowList, tool.name)) continue;
    const schema = tool.inputSchema;
    if (schema !== undefined && schema.type === "object" && schema.properties === undefined) {
      normalized(tool.name);
      out.push({ ...tool, inputSchema: { ...schema, properties: {} } });
    } else {
      out.push(tool);
    }
  }
  return out;
}
