import assert from "node:assert/strict";
import { clientConfig } from "../../src/http/client_config.ts";

Deno.test("client config names each server's routed URL, with the key only when auth is on", () => {
  assert.deepEqual(
    clientConfig(["github", "serena"], { domain: "localhost", port: 8000, mode: "routed" }, "key-1"),
    {
      mcpServers: {
        github: {
          type: "http",
          url: "http://localhost:8000/mcp/github",
          headers: { Authorization: "key-1" },
        },
        serena: {
          type: "http",
          url: "http://localhost:8000/mcp/serena",
          headers: { Authorization: "key-1" },
        },
      },
    },
  );
  assert.deepEqual(
    clientConfig(["a"], { domain: "host.docker.internal", port: 3000, mode: "routed" }, undefined),
    {
      mcpServers: { a: { type: "http", url: "http://host.docker.internal:3000/mcp/a" } },
    },
  );
});

Deno.test("client config in unified mode has one entry for /mcp", () => {
  assert.deepEqual(clientConfig(["a", "b"], { domain: "localhost", port: 3000, mode: "unified" }, "k"), {
    mcpServers: { awmg: { type: "http", url: "http://localhost:3000/mcp", headers: { Authorization: "k" } } },
  });
});
