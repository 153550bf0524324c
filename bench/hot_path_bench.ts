/**
 * `deno task bench:micro`: the pieces on the hot path, one by one.
 */
import { readLines } from "../src/jsonrpc/framer.ts";
import { classify } from "../src/jsonrpc/messages.ts";
import { withId } from "../src/jsonrpc/splice.ts";
import { splitName } from "../src/gateway/names.ts";
import { presentTools } from "../src/gateway/tools.ts";
import { type RpcFacts, rpcJsonLine, rpcLine, rpcMarkdown } from "../src/observability/format.ts";
import { makeRedactor } from "../src/observability/redact.ts";

const encoder = new TextEncoder();
const small = JSON.stringify({
  result: { content: [{ type: "text", text: "Echo: hello" }] },
  jsonrpc: "2.0",
  id: 42,
});
const large = JSON.stringify({
  result: { content: [{ type: "text", text: "x".repeat(256 * 1024) }] },
  jsonrpc: "2.0",
  id: 42,
});
const manySmall = encoder.encode(`${small}\n`.repeat(100));
const largeChunks = Array.from(
  { length: Math.ceil(large.length / 65536) },
  (_, i) => encoder.encode(large.slice(i * 65536, (i + 1) * 65536)),
);
largeChunks.push(encoder.encode("\n"));

Deno.bench("framing: 100 small messages in one chunk", async () => {
  await readLines(ReadableStream.from([manySmall]), () => {});
});
Deno.bench("framing: one 256 KiB message in 64 KiB chunks", async () => {
  await readLines(ReadableStream.from(largeChunks), () => {});
});
Deno.bench("parse + classify a small response", () => {
  classify(JSON.parse(small));
});
Deno.bench("id rewrite by splicing (256 KiB response)", () => {
  withId(large, 42, "client-7");
});
Deno.bench("id rewrite by serializing again (256 KiB response)", () => {
  const message = JSON.parse(large);
  message.id = "client-7";
  JSON.stringify(message);
});
Deno.bench("unified routing: split a prefixed tool name", () => {
  splitName("everything___echo");
});
const tools = Array.from({ length: 50 }, (_, i) => ({ name: `tool-${i}`, inputSchema: { type: "object" } }));
Deno.bench("tool list: allow-list and schema fixes for 50 tools", () => {
  presentTools(tools, undefined, () => {});
});
const redact = makeRedactor(["a-secret-value", "another-secret"]);
const line = `[2026-01-08T23:00:00Z] [DEBUG] [rpc] everything→tools/call 120b ${small}`;
Deno.bench("redaction of an RPC log line", () => {
  redact(line);
});
const facts: RpcFacts = {
  direction: "inbound",
  server: "everything",
  session: "3b1f6a0e-8f4c-4a49-9d6c-0f0e1b2c3d4e",
  method: "tools/call",
  id: 42,
  text: small,
  size: small.length,
  duration: 3,
  tool: "echo",
};
Deno.bench("RPC log: the text line", () => {
  rpcLine(facts, Date.now());
});
Deno.bench("RPC log: the JSONL line", () => {
  rpcJsonLine(facts, Date.now());
});
Deno.bench("RPC log: the Markdown entry", () => {
  rpcMarkdown(facts);
});
