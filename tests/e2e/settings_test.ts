/**
 * The newer gateway settings end to end: per-server timeouts and the startup lines.
 */
import assert from "node:assert/strict";
import { HOSTILE, startGateway, text } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test("a server's own toolTimeout wins over the gateway's, for that server only", e2e, async () => {
  const gateway = await startGateway({
    toml: HOSTILE("quick") + HOSTILE("patient", "tool_timeout = 10\n") + "[gateway]\ntool_timeout = 1\n",
  });
  try {
    const slow = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "slow-echo", arguments: { message: "done", ms: 2500 } },
    };
    const [quick, patient] = await Promise.all(
      ["quick", "patient"].map((id) => gateway.post(`/mcp/${id}`, slow).then((r) => r.json())),
    );
    assert.equal(quick.error.code, -32002, "the gateway's 1 s applies to quick");
    assert.equal(text(patient.result), "done", "patient has 10 s of its own");
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "the startup lines say where awmg listens, in which mode, and each server's endpoint",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    try {
      assert.match(
        gateway.stderr,
        new RegExp(`Listening on http://127\\.0\\.0\\.1:${gateway.port} in routed mode`),
      );
      assert.match(
        gateway.stderr,
        new RegExp(`Server hostile: http://localhost:${gateway.port}/mcp/hostile \\(7 tools\\)`),
      );
    } finally {
      await gateway.stop();
    }
  },
);
