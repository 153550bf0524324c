import assert from "node:assert/strict";
import { launchIdentity } from "../../src/backends/identity.ts";
import type { HttpServerConfig, StdioServerConfig } from "../../src/config/types.ts";

const common = {
  isolation: "shared",
  protocolVersion: "auto",
  pins: "enforce",
  scan: "enforce",
  rateLimitThreshold: 3,
  rateLimitCooldown: 60,
} as const;

Deno.test("a server's launch as the lock records it: its command, its URL, its image", async () => {
  const command: StdioServerConfig = {
    ...common,
    id: "c",
    type: "stdio",
    env: [],
    launch: { kind: "command", command: "deno", args: ["run", "server.ts"] },
  };
  assert.equal(await launchIdentity(command), "command deno run server.ts");
  const remote: HttpServerConfig = {
    ...common,
    id: "r",
    type: "http",
    url: "https://mcp.example.com/mcp",
    headers: {},
    connectTimeout: 30,
  };
  assert.equal(await launchIdentity(remote), "url https://mcp.example.com/mcp");
  const image: StdioServerConfig = {
    ...common,
    id: "i",
    type: "stdio",
    env: [],
    launch: {
      kind: "container",
      image: "awmg-test/absent:never",
      entrypointArgs: [],
      dockerArgs: [],
      mounts: [],
    },
  };
  // No digest docker could tell (no docker, or no such image): the name as configured.
  assert.equal(await launchIdentity(image), "image awmg-test/absent:never");
});
