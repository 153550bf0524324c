import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { eventually } from "../support/deadline.ts";
import { EVERYTHING, initialize, PROBE, type RunningGateway, startGateway } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const texts = (result: { content?: unknown }) =>
  (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("\n");

/** The probe server's count of cancelled waits, once it has passed `seen` (or after five seconds). */
async function cancellationsPast(client: Client, seen: number): Promise<number> {
  const read = async () => Number(texts(await client.callTool({ name: "cancellations", arguments: {} })));
  return await eventually(read, (count) => count !== seen);
}

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
      assert.equal(await cancellationsPast(client, 0), 1);
      await client.close();
    });

    await t.step(
      "a client that drops its connection mid-call gets the call cancelled at the backend",
      async () => {
        const controller = new AbortController();
        const call = fetch(`${gateway.url}/mcp/probe`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "wait" } }),
          signal: controller.signal,
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        controller.abort();
        await assert.rejects(call);
        const client = await gateway.client("probe");
        // The gateway watches a client's connection once its call outlives a sweep (up to a second).
        assert.equal(await cancellationsPast(client, 1), 2);
        await client.close();
      },
    );
  } finally {
    await gateway.stop();
  }
});

/** Reads SSE events from a response until `count` message events have arrived. */
async function readEvents(response: Response, count: number): Promise<{ id?: string; data: string }[]> {
  const events: { id?: string; data: string }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      const id = block.split("\n").find((l) => l.startsWith("id: "))?.slice(4);
      if (data !== "") events.push({ id, data });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

Deno.test("the GET stream resumes after Last-Event-ID without losing a message", e2e, async () => {
  const gateway = await startGateway({ toml: PROBE() });
  try {
    const init = await gateway.post("/mcp/probe", initialize(1));
    await init.body?.cancel();
    const session = { "mcp-session-id": init.headers.get("mcp-session-id")! };
    const addTool = (id: number) =>
      gateway.post("/mcp/probe", {
        jsonrpc: "2.0",
        id,
        method: "tools/call",
        params: { name: "add-tool", arguments: {} },
      }, session)
        .then((r) => r.json());
    const open = (lastEventId?: string) =>
      fetch(`${gateway.url}/mcp/probe`, {
        headers: {
          ...session,
          accept: "text/event-stream",
          ...(lastEventId ? { "last-event-id": lastEventId } : {}),
        },
      });
    const first = await open();
    await addTool(2);
    const [seen] = await readEvents(first, 1);
    assert.equal(JSON.parse(seen.data).method, "notifications/tools/list_changed");
    assert.equal(seen.id, "1");
    await addTool(3);
    await addTool(4);
    const resumed = await readEvents(await open(seen.id), 2);
    assert.deepEqual(resumed.map((e) => e.id), ["2", "3"]);
    assert.ok(resumed.every((e) => JSON.parse(e.data).method === "notifications/tools/list_changed"));
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  'sampling with two sessions in flight: refused rather than guessed; isolation = "session" relays it',
  e2e,
  async () => {
    for (const isolation of ["shared", "session"] as const) {
      const gateway = await startGateway({
        toml: EVERYTHING("everything") + `isolation = "${isolation}"\n`,
      });
      try {
        const a = await capableClient(gateway, "/mcp/everything");
        const b = await capableClient(gateway, "/mcp/everything");
        const busy = a.client.callTool({
          name: "trigger-long-running-operation",
          arguments: { duration: 2, steps: 2 },
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const sampled = await b.client.callTool({
          name: "trigger-sampling-request",
          arguments: { prompt: "whose?", maxTokens: 10 },
        }).then(texts, (error: Error) => error.message);
        await busy;
        assert.deepEqual(a.asked, [], `${isolation}: the other client never sees the prompt`);
        if (isolation === "shared") {
          assert.deepEqual(b.asked, []);
          assert.match(sampled, /2 clients have requests in flight on everything/);
          assert.match(gateway.stderr, /Refused sampling\/createMessage from everything: 2 clients/);
        } else {
          assert.deepEqual(b.asked, ["sampling"]);
          assert.match(sampled, /sampled 1 message\(s\)/);
        }
        await a.client.close();
        await b.client.close();
      } finally {
        await gateway.stop();
      }
    }
  },
);
