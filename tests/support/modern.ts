/**
 * Clients of the SDK 2.x line (`@modelcontextprotocol/client`), which speaks 2026-07-28 when asked to: pinned
 * to it, in `auto` mode (probe with server/discover, fall back to initialize), or in its default legacy mode.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { ROOT } from "./awmg.ts";
import { freePort } from "./gateway.ts";

/** How the client picks its revision. */
export type Negotiation = "pinned" | "auto" | "legacy";

/** What the client's own handlers were asked, by method. */
export type Asked = Record<string, number>;

/** The answers the client gives a server that asks: a model's reply, a form with a name, one root. */
const ANSWERS = {
  "sampling/createMessage": () => ({
    role: "assistant",
    content: { type: "text", text: "hi from the model" },
    model: "test-model",
  }),
  "elicitation/create": () => ({ action: "accept", content: { name: "Ada", color: "red", context: "work" } }),
  "roots/list": () => ({ roots: [{ uri: "file:///work", name: "work" }] }),
} as const;

/** Options of a modern client. */
export interface ModernClientOptions {
  /** The capabilities it declares (default: sampling, elicitation and roots, answered by ANSWERS). */
  readonly capabilities?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/** A connected SDK 2.x client at `url`, and a count of what its handlers were asked. */
export function modernClient(
  url: string,
  negotiation: Negotiation,
  options: ModernClientOptions = {},
): Promise<{ client: Client; asked: Asked }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
  });
  return modernClientOver(transport, negotiation, options);
}

/** A connected SDK 2.x client over `transport` (stdio, to talk to a server directly). */
export async function modernClientOver(
  transport: Parameters<Client["connect"]>[0],
  negotiation: Negotiation,
  options: ModernClientOptions = {},
): Promise<{ client: Client; asked: Asked }> {
  const capabilities = options.capabilities ?? { sampling: {}, elicitation: {}, roots: {} };
  const client = new Client({ name: `sdk2-${negotiation}`, version: "2.4.0" }, {
    capabilities,
    ...(negotiation === "legacy"
      ? {}
      : { versionNegotiation: { mode: negotiation === "auto" ? "auto" : { pin: "2026-07-28" } } }),
  });
  const asked: Asked = {};
  for (const [method, answer] of Object.entries(ANSWERS)) {
    if (capabilities[method.split("/")[0]] === undefined) continue;
    client.setRequestHandler(method as "roots/list", () => {
      asked[method] = (asked[method] ?? 0) + 1;
      return answer() as never;
    });
  }
  await client.connect(transport);
  return { client, asked };
}

/**
 * The conformance fixture (tests/fixtures/conformance_server.ts) served over HTTP on a free loopback port,
 * with `args` (`--modern-only`); its MCP endpoint, and how to stop it.
 */
export async function conformanceOverHttp(
  args: string[] = [],
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort();
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      `${ROOT}tests/fixtures/conformance_server.ts`,
      "--http",
      String(port),
      ...args,
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
  for (let said = ""; !said.includes("listening");) said += (await reader.read()).value ?? "";
  reader.releaseLock();
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: async () => {
      process.kill();
      await process.status;
      await process.stderr.cancel().catch(() => {});
    },
  };
}

/** The envelope and headers of a 2026-07-28 request, as a conforming client sends them. */
export function modernRequest(
  id: number,
  method: string,
  params: Record<string, unknown> = {},
  capabilities: Record<string, unknown> = { elicitation: {}, sampling: {}, roots: {} },
) {
  const body = {
    jsonrpc: "2.0",
    id,
    method,
    params: {
      ...params,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": capabilities,
      },
    },
  };
  const name = params.name ?? params.uri;
  const headers: Record<string, string> = {
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
    accept: "application/json, text/event-stream",
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
  };
  return { body, headers };
}

/** A JSON value the test reads as it expects it to be (a failed expectation fails the test). */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** The one JSON-RPC response of an answer, JSON or SSE. */
export async function answerOf(response: Response): Promise<{ id?: unknown; result?: Json; error?: Json }> {
  const body = await response.text();
  if (!response.headers.get("content-type")?.includes("text/event-stream")) return JSON.parse(body);
  const messages = body.split("\n").filter((line) => line.startsWith("data: ")).map((line) =>
    JSON.parse(line.slice(6))
  );
  return messages.find((message) => !("method" in message));
}
