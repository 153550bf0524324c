import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { EVERYTHING, PROBE, type RunningGateway, startGateway } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const texts = (result: { content?: unknown }) =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("\n");

async function capableClient(
  gateway: RunningGateway,
  path: string,
): Promise<{ client: Client; asked: string[] }> {
  const asked: string[] = [];
  const client = new Client({ name: "capable", version: "1.0.0" }, {
    capabilities: { sampling: {}, elicitation: {} },
  });
  client.setRequestHandler(CreateMessageRequestSchema, (request: { params: { messages: unknown[] } }) => {
    asked.push("sampling");
    return {
      role: "assistant",
      content: { type: "text", text: `sampled ${request.params.messages.length} message(s)` },
      model: "test-model",
      stopReason: "endTurn",
    };
  });
  client.setRequestHandler(ElicitRequestSchema, () => {
    asked.push("elicitation");
    return {
      action: "accept",
      content: { name: "Ada", check: true, firstLine: "x", email: "ada@example.com" },
    };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}${path}`)));
  return { client, asked };
}

Deno.test("server-to-client requests and cancellation pass through the gateway", e2e, async (t) => {
  const gateway = await startGateway({ toml: EVERYTHING() + PROBE() });
  try {
    await t.step(
      "sampling reaches the client that caused it and its answer reaches the backend",
      async () => {
        const { client, asked } = await capableClient(gateway, "/mcp/everything");
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool: { name: string }) => tool.name === "trigger-sampling-request"));
        const result = await client.callTool({
          name: "trigger-sampling-request",
          arguments: { prompt: "hi", maxTokens: 10 },
        });
        assert.deepEqual(asked, ["sampling"]);
        assert.match(texts(result), /sampled 1 message\(s\)/);
        await client.close();
      },
    );

    await t.step("elicitation reaches the client and its answer reaches the backend", async () => {
      const { client, asked } = await capableClient(gateway, "/mcp/everything");
      const result = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
      assert.deepEqual(asked, ["elicitation"]);
      assert.match(texts(result), /Ada/);
      await client.close();
    });

    await t.step("a client without the capability gets the backend an error, not a hang", async () => {
      const response = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "trigger-sampling-request", arguments: { prompt: "hi" } },
      });
      const body = await response.json();
      assert.equal(body.id, 1);
      assert.ok(body.error !== undefined || body.result?.isError === true, JSON.stringify(body));
    });

    await t.step("a cancelled call reaches the backend as notifications/cancelled", async () => {
      const client = new Client({ name: "canceller", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/probe`)));
      const controller = new AbortController();
      const call = client.callTool({ name: "wait", arguments: {} }, undefined, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort("changed my mind");
      await assert.rejects(call);
      let count = "0";
      for (let i = 0; i < 40 && count === "0"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        count = texts(await client.callTool({ name: "cancellations", arguments: {} }));
      }
      assert.equal(count, "1");
      await client.close();
    });
  } finally {
    await gateway.stop();
  }
});
