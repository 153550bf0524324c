import assert from "node:assert/strict";
import { AwaitedRequests } from "../../src/backends/awaited.ts";

const call = (id: number | string) => ({ jsonrpc: "2.0" as const, id, method: "tools/call" });
const cancelled = (requestId: unknown) => ({
  jsonrpc: "2.0" as const,
  method: "notifications/cancelled",
  params: { requestId, reason: "timed out" },
});

Deno.test("awaited requests: a request is awaited until it is answered or cancelled, whatever comes after", () => {
  const awaited = new AwaitedRequests();
  awaited.sent(call(1));
  awaited.sent(call("awmg-2"));
  assert.equal(awaited.busy, true);
  awaited.answered(1);
  assert.equal(awaited.busy, true, "one request is still waiting");
  // The server will not answer a request it was told to drop; the cancellation ends the wait.
  awaited.sent(cancelled("awmg-2"));
  assert.equal(awaited.busy, false, "a cancelled request leaves the server idle");
  // An answer that crossed the cancellation, or one to an id never sent, does not hide a later request.
  awaited.sent(call(3));
  awaited.answered("awmg-2");
  awaited.answered(99);
  awaited.answered(null);
  assert.equal(awaited.busy, true, "request 3 is still waiting");
  awaited.answered(3);
  assert.equal(awaited.busy, false);
});

Deno.test("awaited requests: notifications, responses of ours, malformed cancellations and listens keep a server idle", () => {
  const awaited = new AwaitedRequests();
  awaited.sent({ jsonrpc: "2.0", method: "notifications/initialized" });
  awaited.sent({ jsonrpc: "2.0", id: 7, result: {} });
  awaited.sent({ jsonrpc: "2.0", id: "awmg-listen-1", method: "subscriptions/listen" });
  assert.equal(awaited.busy, false);
  awaited.sent(call(4));
  for (const requestId of [undefined, null, { id: 4 }, [4]]) awaited.sent(cancelled(requestId));
  awaited.sent({ jsonrpc: "2.0", method: "notifications/cancelled" });
  assert.equal(awaited.busy, true, "only a cancellation naming request 4 ends its wait");
});
