/**
 * A minimal remote MCP server (Streamable HTTP, JSON answers) on a loopback port, for tests that need to see
 * or shape what the gateway sends to a remote server: headers, status codes, tool answers.
 */

/** How the fake server behaves. */
export interface FakeRemoteOptions {
  /** The one tool it lists. */
  readonly tool: string;
  /** Answers a tools/call: a result, or a whole Response (an HTTP error). */
  readonly call: (request: Request) => unknown;
  /** Looks at every request first; a Response returned here is the answer (a 401, say). */
  readonly screen?: (request: Request) => Response | undefined;
}

/** A running fake remote server. */
export interface FakeRemote {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a fake remote MCP server. */
export function fakeRemote(options: FakeRemoteOptions): FakeRemote {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const screened = options.screen?.(request);
    if (screened !== undefined) return screened;
    const message = await request.json();
    if (message.id === undefined) return new Response(null, { status: 202 });
    const reply = (result: unknown) => Response.json({ jsonrpc: "2.0", id: message.id, result });
    switch (message.method) {
      case "initialize":
        return reply({
          protocolVersion: "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "fake-remote", version: "1" },
        });
      case "tools/list":
        return reply({ tools: [{ name: options.tool, inputSchema: { type: "object", properties: {} } }] });
      case "tools/call": {
        const answer = options.call(request);
        return answer instanceof Response ? answer : reply(answer);
      }
      default:
        // A 2025 server: server/discover (the gateway's probe) is a method it does not know.
        return Response.json({
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32601, message: "Method not found" },
        });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/mcp`, close: () => server.shutdown() };
}

/** A tool result of one text item. */
export const textResult = (text: string) => ({ content: [{ type: "text", text }] });
