import assert from "node:assert/strict";
import { EVERYTHING, HOSTILE, startGateway } from "../support/gateway.ts";
import { SCHEMA_DEPTH } from "../../src/payloads/schema.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "large results are stored per session and answered with metadata; small ones pass untouched",
  e2e,
  async () => {
    const payloadDir = `/tmp/jq-payloads/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({ toml: EVERYTHING(), args: ["--payload-dir", payloadDir] });
    try {
      const [first, second] = await Promise.all([gateway.client("everything"), gateway.client("everything")]);
      const small = await first.callTool({ name: "echo", arguments: { message: "x".repeat(9000) } });
      assert.equal((small.content as { text: string }[])[0].text, `Echo: ${"x".repeat(9000)}`);

      const message = "y".repeat(20_000);
      const stored = await Promise.all(
        [first, second].map((client) => client.callTool({ name: "echo", arguments: { message } })),
      );
      const metadata = stored.map((r: { content?: unknown }) =>
        JSON.parse((r.content as { text: string }[])[0].text)
      );
      const expected = JSON.stringify({ content: [{ type: "text", text: `Echo: ${message}` }] });
      for (const meta of metadata) {
        assert.equal(meta.originalSize, expected.length);
        assert.equal(meta.payloadPreview, expected.slice(0, 500));
        assert.deepEqual(meta.payloadSchema, { content: [{ type: "string", text: "string" }] });
        assert.match(meta.agentInstructions, /too large to return inline/);
        assert.ok(meta.payloadPath.startsWith(`${payloadDir}/`));
        assert.equal(await Deno.readTextFile(meta.payloadPath), expected);
        assert.equal((await Deno.stat(meta.payloadPath)).mode! & 0o777, 0o600);
      }
      const sessionDirs = metadata.map((meta: { payloadPath: string }) =>
        meta.payloadPath.split("/").slice(0, -2).join("/")
      );
      assert.notEqual(sessionDirs[0], sessionDirs[1], "two sessions must not share a payload directory");
      for (const dir of sessionDirs) assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
      await Promise.all([first.close(), second.close()]);
    } finally {
      await gateway.stop();
      await Deno.remove(payloadDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("a 10 MiB result passes intact inline when the threshold is raised", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING(), args: ["--payload-size-threshold", "100000000"] });
  try {
    const message = "z".repeat(10 * 1024 * 1024 - 100);
    const response = await gateway.post("/mcp/everything", {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { message } },
    }, { accept: "application/json, text/event-stream" });
    const body = await response.json();
    assert.equal(body.result.content[0].text, `Echo: ${message}`);
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "payloadPathPrefix from the environment replaces the directory in the path agents get",
  e2e,
  async () => {
    const payloadDir = `/tmp/jq-payloads/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({
      toml: EVERYTHING(),
      args: ["--payload-dir", payloadDir, "--payload-size-threshold", "100"],
      env: { MCP_GATEWAY_PAYLOAD_PATH_PREFIX: "/workspace/payloads" },
    });
    try {
      const response = await gateway.post("/mcp/everything", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "w".repeat(500) } },
      });
      const meta = JSON.parse((await response.json()).result.content[0].text);
      assert.equal(meta.payloadPathPrefix, "/workspace/payloads");
      assert.match(meta.payloadPath, /^\/workspace\/payloads\/no-session\/[0-9a-f-]{36}\/payload\.json$/);
      const onDisk = `${payloadDir}${meta.payloadPath.slice("/workspace/payloads".length)}`;
      assert.match(
        await Deno.readTextFile(onDisk),
        /^\{"content":\[\{"type":"text","text":"Echo: w+"\}\]\}$/,
      );
    } finally {
      await gateway.stop();
      await Deno.remove(payloadDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("a result nested 200,000 levels deep is stored, its schema cut at SCHEMA_DEPTH", e2e, async () => {
  const payloadDir = `/tmp/jq-payloads/test-${crypto.randomUUID()}`;
  const gateway = await startGateway({
    toml: HOSTILE(),
    args: ["--payload-dir", payloadDir, "--payload-size-threshold", "1000"],
  });
  try {
    const response = await gateway.post("/mcp/hostile", {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "nested", arguments: { depth: 200_000 } },
    });
    const text = (await response.json()).result.content[0].text;
    assert.match(text, /"payloadPath"/, "stored, not returned inline");
    const meta = JSON.parse(text);
    let schema = meta.payloadSchema.structuredContent.deep;
    for (let level = 2; level < SCHEMA_DEPTH; level++) schema = schema[0];
    assert.equal(schema, "array");
    const stored = await Deno.readTextFile(meta.payloadPath);
    assert.equal(stored.length, meta.originalSize);
    assert.ok(stored.endsWith(`${"]".repeat(200_000)}}}`));
    const health = await (await fetch(`${gateway.url}/health`)).json();
    assert.equal(health.servers.hostile.status, "running");
  } finally {
    await gateway.stop();
    await Deno.remove(payloadDir, { recursive: true }).catch(() => {});
  }
});
