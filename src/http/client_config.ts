/**
 * The client configuration written to stdout once all backends are up, so an orchestrator can point its
 * agent at the gateway.
 */

/**
 * Builds `{"mcpServers": {"<id>": {"type": "http", "url": ..., "headers": ...}}}`: one entry per server in
 * routed mode, one entry named "awmg" for `/mcp` in unified mode.
 */
export function clientConfig(
  serverIds: readonly string[],
  origin: {
    readonly domain: string;
    readonly port: number;
    readonly mode: "routed" | "unified";
    /** "https" when the gateway serves TLS. */
    readonly scheme?: "http" | "https";
  },
  apiKey: string | undefined,
): { mcpServers: Record<string, Record<string, unknown>> } {
  const base = `${origin.scheme ?? "http"}://${origin.domain}:${origin.port}`;
  const entries = origin.mode === "unified"
    ? [["awmg", `${base}/mcp`]]
    : serverIds.map((id) => [id, `${base}/mcp/${id}`]);
  return {
    mcpServers: Object.fromEntries(entries.map(([id, url]) => [id, {
      type: "http",
      url,
      ...(apiKey === undefined ? {} : { headers: { Authorization: apiKey } }),
    }])),
  };
}
