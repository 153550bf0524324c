import assert from "node:assert/strict";
import { negotiateVersion } from "../../src/gateway/handshake.ts";

Deno.test("protocol negotiation keeps the client's revision when the backend speaks it", () => {
  assert.equal(negotiateVersion("2025-06-18", "2025-11-25"), "2025-06-18");
  assert.equal(negotiateVersion("2025-11-25", "2025-06-18"), "2025-06-18");
  assert.equal(negotiateVersion("1999-01-01", "2025-06-18"), "2025-06-18");
  assert.equal(negotiateVersion(undefined, "2025-03-26"), "2025-03-26");
});
