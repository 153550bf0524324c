/**
 * The client configuration written to stdout once all backends are up (`--config-stdin`), so an
 * orchestrator can point its agent at the gateway.
 */

/** Builds `{"mcpServers": {"<id>": {"type": "http", "url": ..., "headers": ...}}}`. */
export function clientConfig(
  serverIds: readonly string[],
  origin: { readonly domain: string; readonly port: number },
  apiKey: string | undefined,
): { mcpServers: Record<string, Record<string, unknown>> } {
  const base = `http://${origin.domain}:${origin.port}`;
  return {
    mcpServers: Object.fromEntries(serverIds.map((id) => [id, {
      type: "http",
      url: `${base}/mcp/${id}`,
      ...(apiKey === undefined ? {} : { headers: { Authorization: apiKey } }),
    }])),
  };
}
