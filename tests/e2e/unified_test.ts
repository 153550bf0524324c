import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { EVERYTHING, HOSTILE, MEMORY, PROBE, startGateway, text } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
type Named = { name: string };

/** Every page of a listing through the unified endpoint (ten at most): the `field` of each item. */
async function allPages<K extends string>(
  list: (
    params: { cursor?: string },
  ) => Promise<{ nextCursor?: string } & { [key in K]: Record<string, unknown>[] }>,
  key: K,
  field: string,
): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await list(cursor === undefined ? {} : { cursor });
    seen.push(...page[key].map((item) => String(item[field])));
    cursor = page.nextCursor;
    if (cursor === undefined) break;
  }
  return seen;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("unified mode: one /mcp in front of every server", e2e, async (t) => {
  const gateway = await startGateway({
    toml: EVERYTHING() + MEMORY() + PROBE(),
    args: ["--unified"],
  });
  let client: Client | undefined;
  try {
    client = await gateway.client("", {});
    await t.step("initialize answers as the gateway, merging capabilities", () => {
      assert.equal(client!.getServerVersion()?.name, "awmg");
      const caps = client!.getServerCapabilities() ?? {};
      assert.ok(caps.tools && caps.prompts && caps.resources);
      assert.match(client!.getInstructions() ?? "", /## everything/);
    });

    await t.step(
      "tools/list prefixes every tool with its server; tools/call routes and strips it",
      async () => {
        const { tools } = await client!.listTools();
        const names = tools.map((tool: Named) => tool.name);
        assert.ok(names.includes("everything___echo"));
        assert.ok(names.includes("memory___read_graph"));
        assert.ok(names.includes("probe___schemaless"));
        assert.equal(names.filter((n: string) => !/^(everything|memory|probe)___/.test(n)).length, 0);
        const echo = await client!.callTool({ name: "everything___echo", arguments: { message: "unified" } });
        assert.equal(text(echo), "Echo: unified");
        const graph = await client!.callTool({ name: "memory___read_graph", arguments: {} });
        assert.match(text(graph), /entities/);
        await assert.rejects(
          () => client!.callTool({ name: "nosuch___tool", arguments: {} }),
          /Unknown tool 'nosuch___tool'/,
        );
      },
    );

    await t.step("an object schema without properties gets an empty one, logged once", async () => {
      const { tools } = await client!.listTools();
      const schemaless = tools.find((tool: Named) => tool.name === "probe___schemaless");
      assert.deepEqual(schemaless.inputSchema, { type: "object", properties: {} });
      assert.equal(text(await client!.callTool({ name: "probe___schemaless", arguments: {} })), "ok");
    });

    await t.step(
      "prompts are prefixed and routed; resources keep their URIs; pagination is combined",
      async () => {
        const { prompts } = await client!.listPrompts();
        assert.ok(prompts.some((p: Named) => p.name === "everything___simple-prompt"));
        const prompt = await client!.getPrompt({ name: "everything___simple-prompt" });
        assert.ok(prompt.messages.length > 0);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await client!.listResources(cursor === undefined ? {} : { cursor });
          seen.push(...page.resources.map((r: { uri: string }) => r.uri));
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== undefined && pages < 50);
        assert.ok(pages > 1, "expected several pages across servers");
        assert.ok(seen.some((uri) => uri.startsWith("demo://")), seen.slice(0, 3).join(", "));
        const read = await client!.readResource({ uri: seen.find((uri) => uri.startsWith("demo://"))! });
        assert.ok(read.contents.length > 0);
      },
    );

    await t.step("a backend's list_changed refreshes the aggregate and reaches the client", async () => {
      let changed = 0;
      client!.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      const added = text(await client!.callTool({ name: "probe___add-tool", arguments: {} }));
      await waitFor(() => changed > 0, "tools/list_changed");
      const { tools } = await client!.listTools();
      assert.ok(
        tools.some((tool: Named) => tool.name === `probe___${added}`),
        "the aggregate was not refreshed",
      );
    });
  } finally {
    await client?.close();
    await gateway.stop();
  }
});

Deno.test(
  "allow-list: only listed tools are shown and callable; a blocked call is a clear error",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: EVERYTHING("everything") + 'tools = ["echo", "get-sum"]\n',
      args: ["-v"],
    });
    try {
      const client = await gateway.client("everything");
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool: Named) => tool.name).sort(), ["echo", "get-sum"]);
      const response = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: { name: "get-env", arguments: {} },
      });
      const body = await response.json();
      assert.equal(body.error.code, -32602);
      assert.equal(body.error.message, "Tool 'get-env' is not allowed");
      assert.equal(body.error.data.detail, "server 'everything' allows only: echo, get-sum");
      await client.close();
    } finally {
      await gateway.stop();
    }
    assert.match(gateway.stderr, /Blocked a call to tool get-env on everything/);
  },
);

Deno.test("routed mode fixes schemas too and passes list_changed through", e2e, async () => {
  const gateway = await startGateway({ toml: PROBE(), args: ["-v"] });
  try {
    const client = await gateway.client("probe");
    const { tools } = await client.listTools();
    assert.deepEqual(tools.find((tool: Named) => tool.name === "schemaless").inputSchema, {
      type: "object",
      properties: {},
    });
    await client.listTools();
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const added = text(await client.callTool({ name: "add-tool", arguments: {} }));
    await waitFor(() => changed > 0, "tools/list_changed");
    const after = await client.listTools();
    assert.ok(after.tools.some((tool: Named) => tool.name === added));
    await client.close();
  } finally {
    await gateway.stop();
  }
  assert.equal(gateway.stderr.match(/Normalized schema for tool schemaless of probe/g)?.length, 1);
});

Deno.test(
  "a server cannot take over another's resources on /mcp: the first to list keeps them, two matching templates are refused",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: HOSTILE("first", "", { HOSTILE_NAME: "first" }) +
        HOSTILE("second", "", { HOSTILE_NAME: "second" }),
      args: ["--unified"],
    });
    try {
      const client = await gateway.client("");
      const listed = await allPages((cursor) => client.listResources(cursor), "resources", "uri");
      const templates = await allPages(
        (cursor) => client.listResourceTemplates(cursor),
        "resourceTemplates",
        "uriTemplate",
      );
      assert.deepEqual(listed, ["hostile://shared"], "the second server's copy is left out");
      assert.ok(
        templates.includes("hostile://second-only/{path}") &&
          templates.includes("hostile://first-only/{path}"),
      );
      assert.equal(templates.filter((t) => t === "hostile://{path}").length, 1);
      const read = async (uri: string) => (await client.readResource({ uri })).contents[0].text;
      assert.equal(await read("hostile://shared"), "read by first");
      assert.equal(await read("hostile://first-only/x"), "read by first");
      await assert.rejects(
        read("hostile://second-only/x"),
        /matches resource templates of servers first and second/,
      );
      await assert.rejects(
        read(`slow://${"a".repeat(5000)}`),
        /Unknown resource/,
        "answered at once, not backtracked",
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
    assert.match(gateway.stderr, /leaves out 1 of server second's: another server listed them first/);
  },
);
