/**
 * Both protocol revisions on one gateway: SDK 2.x clients pinned to 2026-07-28, in auto mode and in legacy
 * mode, beside the SDK 1.x client, in front of 2025-11-25 servers; the bridge that turns a server's
 * sampling, elicitation and roots requests into input_required rounds.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { ASKING, EVERYTHING, PROBE, startGateway, text } from "../support/gateway.ts";
import { modernClient } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
type Named = { name: string };

Deno.test("routed mode: 2026-07-28, auto, legacy and 1.x clients on one gateway at once", e2e, async (t) => {
  const gateway = await startGateway({ toml: EVERYTHING() + ASKING() + PROBE() });
  const url = (server: string) => `${gateway.url}/mcp/${server}`;
  try {
    await t.step("each client gets the revision it asked for", async () => {
      const [pinned, auto, legacy, v1] = await Promise.all([
        modernClient(url("everything"), "pinned"),
        modernClient(url("everything"), "auto"),
        modernClient(url("everything"), "legacy"),
        gateway.client("everything"),
      ]);
      assert.equal(pinned.client.getProtocolEra(), "modern");
      assert.equal(auto.client.getProtocolEra(), "modern");
      assert.equal(legacy.client.getProtocolEra(), "legacy");
      const [a, b, c, d] = await Promise.all(
        [pinned.client, auto.client, legacy.client, v1].map((client) =>
          client.callTool({ name: "echo", arguments: { message: "both eras" } })
        ),
      );
      for (const result of [a, b, c, d]) assert.equal(text(result), "Echo: both eras");
      assert.equal(pinned.client.getServerVersion()?.name, "mcp-servers/everything");
      await Promise.all([pinned.client.close(), auto.client.close(), legacy.client.close(), v1.close()]);
    });

    await t.step("a pinned client lists and reads tools, resources, prompts and completions", async () => {
      const { client } = await modernClient(url("everything"), "pinned");
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool: Named) => tool.name === "echo"));
      const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
      assert.match(text(sum), /5/);
      const resources = await client.listResources();
      assert.ok(resources.resources.length > 0);
      const read = await client.readResource({ uri: resources.resources[0].uri });
      assert.ok(read.contents.length > 0);
      const templates = await client.listResourceTemplates();
      assert.ok(templates.resourceTemplates.length > 0);
      const prompts = await client.listPrompts();
      assert.ok(prompts.prompts.some((p: Named) => p.name === "simple-prompt"));
      const prompt = await client.getPrompt({ name: "args-prompt", arguments: { city: "Paris" } });
      assert.match(JSON.stringify(prompt.messages), /Paris/);
      const completion = await client.complete({
        ref: { type: "ref/prompt", name: "completable-prompt" },
        argument: { name: "department", value: "Eng" },
      });
      assert.deepEqual(completion.completion.values, ["Engineering"]);
      await client.close();
    });

    await t.step("sampling, elicitation and roots reach a pinned client as input_required", async () => {
      const { client, asked } = await modernClient(url("everything"), "pinned");
      const sampled = await client.callTool({
        name: "trigger-sampling-request",
        arguments: { prompt: "hi", maxTokens: 10 },
      });
      assert.match(text(sampled), /hi from the model/);
      const elicited = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
      assert.match(JSON.stringify(elicited.content), /Favorite Color: red/);
      const roots = await client.callTool({ name: "get-roots-list", arguments: {} });
      assert.match(text(roots), /file:\/\/\/work/);
      assert.deepEqual(asked, { "sampling/createMessage": 1, "elicitation/create": 1, "roots/list": 1 });
      await client.close();
    });

    await t.step("two rounds in a row, two questions at once, and a prompt that asks", async () => {
      const { client, asked } = await modernClient(url("asking"), "pinned");
      const twice = await client.callTool({ name: "ask-twice", arguments: {} });
      assert.equal(text(twice), "name=Ada; sampled=hi from the model");
      const together = await client.callTool({ name: "ask-together", arguments: {} });
      assert.equal(text(together), "name=Ada; roots=file:///work");
      const prompt = await client.getPrompt({ name: "greeting" });
      assert.match(JSON.stringify(prompt.messages), /Greet Ada/);
      assert.deepEqual(asked, { "elicitation/create": 3, "sampling/createMessage": 1, "roots/list": 1 });
      await client.close();
    });

    await t.step("the same server asks a 1.x client on its session as before", async () => {
      const v1 = new Client({ name: "sdk1", version: "1.32.2" }, {
        capabilities: { elicitation: {}, sampling: {} },
      });
      v1.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { name: "Grace" } }));
      v1.setRequestHandler(CreateMessageRequestSchema, () => ({
        role: "assistant",
        content: { type: "text", text: "hello from 1.x" },
        model: "m",
      }));
      await v1.connect(new StreamableHTTPClientTransport(new URL(url("asking"))));
      const twice = await v1.callTool({ name: "ask-twice", arguments: {} });
      assert.equal(text(twice), "name=Grace; sampled=hello from 1.x");
      await v1.close();
    });

    await t.step(
      "a client without the capability gets -32021, and the server's request an error",
      async () => {
        const { client } = await modernClient(url("asking"), "pinned", { capabilities: {} });
        await assert.rejects(
          client.callTool({ name: "ask-twice", arguments: {} }),
          (error: Error & { code?: number; data?: { requiredCapabilities?: unknown } }) => {
            assert.equal(error.code, -32021);
            assert.deepEqual(error.data?.requiredCapabilities, { elicitation: {} });
            return true;
          },
        );
        // The server's call was cancelled, so it serves the next one at once.
        const touched = await client.callTool({ name: "touch", arguments: {} });
        assert.match(text(touched), /^\d+$/);
        await client.close();
      },
    );

    await t.step("progress and log lines flow on the answer of the call they belong to", async () => {
      const { client } = await modernClient(url("asking"), "pinned");
      const lines: string[] = [];
      client.setNotificationHandler("notifications/message", (note) => {
        lines.push(String(note.params.data));
      });
      await client.callTool({
        name: "log",
        arguments: {},
        _meta: { "io.modelcontextprotocol/logLevel": "warning" },
      });
      assert.deepEqual(lines, ["a warning line", "a error line"]);
      lines.length = 0;
      await client.callTool({ name: "log", arguments: {} });
      assert.deepEqual(lines, [], "no log level asked, no log lines");
      const everything = await modernClient(url("everything"), "pinned");
      const progress: number[] = [];
      const done = await everything.client.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      assert.match(text(done), /completed/i);
      assert.deepEqual(progress, [1, 2, 3]);
      await Promise.all([client.close(), everything.client.close()]);
    });

    await t.step("closing the answer's stream cancels the call at the server", async () => {
      const { client } = await modernClient(url("probe"), "pinned");
      const aborted = new AbortController();
      const waiting = client.callTool({ name: "wait", arguments: {} }, { signal: aborted.signal });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      aborted.abort();
      await assert.rejects(waiting);
      let count = "0";
      for (let i = 0; i < 50 && count === "0"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        count = text(await client.callTool({ name: "cancellations", arguments: {} }));
      }
      assert.equal(count, "1");
      await client.close();
    });

    await t.step("list changes and resource updates arrive through subscriptions/listen", async () => {
      const { client } = await modernClient(url("asking"), "pinned");
      const updates: string[] = [];
      client.setNotificationHandler("notifications/resources/updated", (note) => {
        updates.push(note.params.uri);
      });
      const subscription = await client.listen({ resourceSubscriptions: ["asking://counter"] });
      assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, ["asking://counter"]);
      await client.callTool({ name: "touch", arguments: {} });
      for (let i = 0; i < 50 && updates.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(updates, ["asking://counter"]);
      await subscription.close();

      const probe = await modernClient(url("probe"), "pinned");
      let changed = 0;
      probe.client.setNotificationHandler("notifications/tools/list_changed", () => {
        changed++;
      });
      const tools = await probe.client.listen({ toolsListChanged: true });
      assert.equal(tools.honoredFilter.toolsListChanged, true);
      await probe.client.callTool({ name: "add-tool", arguments: {} });
      for (let i = 0; i < 50 && changed === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(changed, 1);
      await tools.close();
      await Promise.all([client.close(), probe.client.close()]);
    });
  } finally {
    await gateway.stop();
  }
});
