import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { EVERYTHING, FILESYSTEM, initialize, MEMORY, startGateway, text } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
type Named = { name: string };

Deno.test("routed mode: three real servers through one gateway", e2e, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "awmg-fs-" });
  await Deno.writeTextFile(`${dir}/hello.txt`, "hello from disk");
  const gateway = await startGateway({ toml: EVERYTHING() + MEMORY() + FILESYSTEM(dir) });
  try {
    await t.step("initialize, tools/list and tools/call on two servers at once", async () => {
      const [everything, memory] = await Promise.all([
        gateway.client("everything"),
        gateway.client("memory"),
      ]);
      assert.equal(everything.getServerVersion()?.name, "mcp-servers/everything");
      assert.equal(memory.getServerVersion()?.name, "memory-server");
      const [tools, memoryTools] = await Promise.all([everything.listTools(), memory.listTools()]);
      assert.ok(tools.tools.some((tool: Named) => tool.name === "echo"));
      assert.ok(memoryTools.tools.some((tool: Named) => tool.name === "create_entities"));
      const [echo, created] = await Promise.all([
        everything.callTool({ name: "echo", arguments: { message: "hi" } }),
        memory.callTool({
          name: "create_entities",
          arguments: { entities: [{ name: "awmg", entityType: "gateway", observations: ["routes MCP"] }] },
        }),
      ]);
      assert.equal(text(echo), "Echo: hi");
      assert.match(text(created), /awmg/);
      const graph = await memory.callTool({ name: "read_graph", arguments: {} });
      assert.match(text(graph), /routes MCP/);
      await Promise.all([everything.close(), memory.close()]);
    });

    await t.step("filesystem server reads a file and resources/prompts pass through", async () => {
      const fs = await gateway.client("filesystem");
      const read = await fs.callTool({ name: "read_text_file", arguments: { path: `${dir}/hello.txt` } });
      assert.equal(text(read), "hello from disk");
      const everything = await gateway.client("everything");
      const resources = await everything.listResources();
      assert.ok(resources.resources.length > 0);
      const resource = await everything.readResource({ uri: resources.resources[0].uri });
      assert.ok(resource.contents.length > 0);
      const prompts = await everything.listPrompts();
      assert.ok(prompts.prompts.some((p: Named) => p.name === "simple-prompt"));
      const prompt = await everything.getPrompt({ name: "simple-prompt" });
      assert.ok(prompt.messages.length > 0);
      await Promise.all([fs.close(), everything.close()]);
    });

    await t.step("the curl-style flow works without a session", async () => {
      const response = await gateway.post("/mcp/everything", { jsonrpc: "2.0", method: "tools/list", id: 1 });
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.id, 1);
      assert.ok(body.result.tools.some((tool: { name: string }) => tool.name === "echo"));
      const call = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        method: "tools/call",
        id: "abc",
        params: { name: "get-sum", arguments: { a: 2, b: 3 } },
      });
      const sum = await call.json();
      assert.equal(sum.id, "abc");
      assert.match(sum.result.content[0].text, /5/);
    });

    await t.step("progress notifications reach the caller", async () => {
      const client = await gateway.client("everything");
      const progress: number[] = [];
      const result = await client.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
        undefined,
        { onprogress: (p: { progress: number }) => progress.push(p.progress) },
      );
      assert.match(text(result), /completed/i);
      assert.deepEqual(progress, [1, 2, 3, 4]);
      await client.close();
    });

    await t.step("20 concurrent clients x 50 calls: every answer matches its request", async () => {
      const clients = await Promise.all(
        Array.from({ length: 20 }, (_, i) => gateway.client("everything", {}, `c${i}`)),
      );
      await Promise.all(clients.map(async (client: Client, c: number) => {
        for (let i = 0; i < 50; i++) {
          const message = `client ${c} call ${i}`;
          const result = await client.callTool({ name: "echo", arguments: { message } });
          assert.equal(text(result), `Echo: ${message}`);
        }
      }));
      await Promise.all(clients.map((client: Client) => client.close()));
    });

    await t.step("the GET stream carries a session's unsolicited notifications", async () => {
      const client = await gateway.client("everything");
      const logged: unknown[] = [];
      client.setNotificationHandler(
        LoggingMessageNotificationSchema,
        (notification: { params: unknown }) => {
          logged.push(notification.params);
        },
      );
      await client.setLoggingLevel("debug");
      await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
      const deadline = Date.now() + 20_000;
      while (logged.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
      assert.ok(logged.length > 0, "no logging notification arrived on the GET stream");
      await client.close();
    });

    await t.step("a deleted session answers 404 so clients re-initialize", async () => {
      const init = await gateway.post("/mcp/everything", initialize(1));
      const session = init.headers.get("mcp-session-id")!;
      assert.equal((await init.json()).result.protocolVersion, "2025-06-18");
      const headers = { "mcp-session-id": session };
      const ok = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 2, method: "ping" }, headers);
      assert.deepEqual(await ok.json(), { jsonrpc: "2.0", id: 2, result: {} });
      const deleted = await fetch(`${gateway.url}/mcp/everything`, { method: "DELETE", headers });
      await deleted.body?.cancel();
      assert.equal(deleted.status, 200);
      const gone = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 3, method: "ping" }, headers);
      assert.equal(gone.status, 404);
      assert.equal((await gone.json()).error.message, "Session not found");
      const elsewhere = await gateway.post("/mcp/memory", { jsonrpc: "2.0", id: 4, method: "ping" }, {
        "mcp-session-id": crypto.randomUUID(),
      });
      assert.equal(elsewhere.status, 404);
      await elsewhere.body?.cancel();
    });

    await t.step("bad input gets precise errors", async () => {
      const cases: [string, string | object, number, number, RegExp][] = [
        ["/mcp/everything", "{not json", 400, -32700, /^Parse error$/],
        [
          "/mcp/everything",
          { jsonrpc: "1.0", id: 1, method: "x" },
          400,
          -32600,
          /"jsonrpc" member must be exactly "2\.0"/,
        ],
        ["/mcp/everything", { jsonrpc: "2.0", id: 1 }, 400, -32600, /needs a "method"/],
        [
          "/mcp/everything",
          [{ jsonrpc: "2.0", id: 1, method: "ping" }],
          400,
          -32600,
          /batches are not supported/,
        ],
        ["/mcp/nope", { jsonrpc: "2.0", id: 1, method: "ping" }, 404, -32001, /Unknown server 'nope'/],
      ];
      for (const [path, body, status, code, message] of cases) {
        const response = await gateway.post(path, body);
        const payload = await response.json();
        assert.equal(response.status, status, path);
        assert.equal(payload.error.code, code);
        assert.match(payload.error.message, message);
      }
      const unknown = await gateway.post("/mcp/nope", { jsonrpc: "2.0", id: 1, method: "ping" });
      assert.equal(
        (await unknown.json()).error.data.detail,
        "configured servers: everything, memory, filesystem",
      );
      const big = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "x".repeat(11 * 1024 * 1024) } },
      });
      assert.equal(big.status, 413);
      assert.match((await big.json()).error.message, /limit is 10485760 bytes/);
      const method = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        id: 9,
        method: "no/such/method",
      });
      const missing = await method.json();
      assert.equal(missing.id, 9);
      assert.equal(missing.error.code, -32601);
    });

    await t.step("health reports every server running", async () => {
      const response = await fetch(`${gateway.url}/health`);
      const health = await response.json();
      assert.equal(response.status, 200);
      assert.equal(health.status, "healthy");
      assert.deepEqual(Object.keys(health.servers), ["everything", "memory", "filesystem"]);
      for (const server of Object.values(health.servers) as { status: string; uptime: number }[]) {
        assert.equal(server.status, "running");
        assert.ok(server.uptime >= 0);
      }
      assert.ok(typeof health.specVersion === "string" && typeof health.gatewayVersion === "string");
    });

    await t.step("a backend's tool error passes through unchanged", async () => {
      const client = await gateway.client("everything");
      const result = await client.callTool({ name: "no-such-tool", arguments: {} });
      assert.equal(result.isError, true);
      assert.match(text(result), /no-such-tool/);
      await client.close();
    });
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
