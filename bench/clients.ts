/**
 * The two ways the benchmark talks MCP: straight to a stdio server (the baseline no gateway can beat),
 * and over Streamable HTTP to awmg. Both call one tool and return its first text.
 */

/** Calls a tool and resolves with the text of its first content item. */
export interface ToolClient {
  call(tool: string, args: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();

function textOf(
  response: { result?: { content?: { text?: string }[] }; error?: { message: string } },
): string {
  if (response.error !== undefined) throw new Error(`JSON-RPC error: ${response.error.message}`);
  const text = response.result?.content?.[0]?.text;
  if (text === undefined) throw new Error("the result has no text");
  return text;
}

/** A stdio MCP server driven with newline-delimited JSON-RPC. */
export class StdioClient implements ToolClient {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pending = new Map<number, (message: Record<string, unknown>) => void>();
  #nextId = 0;

  private constructor(command: string[]) {
    this.#child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const stdout = this.#child.stdout;
    (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n");
        while (end !== -1) {
          const message = JSON.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 1);
          if (typeof message.id === "number") this.#pending.get(message.id)?.(message);
          this.#pending.delete(message.id);
          end = buffer.indexOf("\n");
        }
      }
    })();
  }

  /** Starts the server and completes the MCP handshake. */
  static async start(command: string[]): Promise<StdioClient> {
    const client = new StdioClient(command);
    await client.#request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "awmg-bench", version: "1" },
    });
    await client.#writer.write(encoder.encode('{"jsonrpc":"2.0","method":"notifications/initialized"}\n'));
    return client;
  }

  /** The server's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  #request(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = ++this.#nextId;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.#pending.set(id, resolve));
    this.#writer.write(encoder.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"));
    return answer;
  }

  async call(tool: string, args: Record<string, unknown>): Promise<string> {
    return textOf(await this.#request("tools/call", { name: tool, arguments: args }) as never);
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    this.#child.kill("SIGTERM");
    await this.#child.status;
  }
}

/** The `_meta` envelope of a 2026-07-28 request from the bench client. */
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "awmg-bench", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** An MCP client over Streamable HTTP (JSON or SSE answers): a 2025 session, or stateless 2026-07-28 requests. */
export class HttpClient implements ToolClient {
  #session = "";
  #nextId = 0;

  private constructor(
    readonly url: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly modern: boolean,
  ) {}

  /**
   * Opens a session at `url`, sending `headers` (the API key) on every request; with `revision` 2026-07-28
   * there is no session to open, and every request carries the revision's envelope and headers.
   */
  static async open(
    url: string,
    headers: Record<string, string> = {},
    revision: "2025-06-18" | "2026-07-28" = "2025-06-18",
  ): Promise<HttpClient> {
    const client = new HttpClient(url, headers, revision === "2026-07-28");
    if (client.modern) return client;
    const init = await client.#post({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "awmg-bench", version: "1" },
      },
    });
    if (init.error !== undefined) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
    await client.#post({ jsonrpc: "2.0", method: "notifications/initialized" });
    return client;
  }

  async #post(message: Record<string, unknown>): Promise<Record<string, never>> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        ...this.headers,
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        ...(this.#session ? { "mcp-session-id": this.#session, "mcp-protocol-version": "2025-06-18" } : {}),
        ...(this.modern
          ? {
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": String(message.method),
            "mcp-name": String((message.params as { name?: unknown }).name),
          }
          : {}),
      },
      body: JSON.stringify(message),
    });
    this.#session ||= response.headers.get("mcp-session-id") ?? "";
    if (response.status === 202) {
      await response.body?.cancel();
      return {};
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    const body = await response.text();
    if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) return JSON.parse(body);
    for (const event of body.split("\n\n")) {
      const data = event.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (data === "") continue;
      const parsed = JSON.parse(data);
      if (parsed.id === message.id) return parsed;
    }
    throw new Error("the SSE answer had no response");
  }

  async call(tool: string, args: Record<string, unknown>): Promise<string> {
    const id = ++this.#nextId;
    const response = await this.#post({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: tool, arguments: args, ...(this.modern ? { _meta: ENVELOPE } : {}) },
    });
    if ((response as { id?: unknown }).id !== id) {
      throw new Error("the answer's id does not match the request's");
    }
    return textOf(response);
  }

  async close(): Promise<void> {
    if (this.modern) return;
    await fetch(this.url, { method: "DELETE", headers: { ...this.headers, "mcp-session-id": this.#session } })
      .then((r) => r.body?.cancel());
  }
}
