import assert from "node:assert/strict";
import { Subscription } from "../../src/gateway/subscription.ts";
import type { JsonRpcMessage } from "../../src/jsonrpc/messages.ts";
import { openSse } from "../../src/http/sse.ts";

const listen = (notifications: unknown, id = 7) => ({
  jsonrpc: "2.0" as const,
  id,
  method: "subscriptions/listen",
  params: { notifications },
});
const OFFERED = [{ tools: { listChanged: true }, resources: { subscribe: true } }];

function sink() {
  const sent: JsonRpcMessage[] = [];
  return { sent, send: (message: JsonRpcMessage) => sent.push(message), close: () => {} };
}

Deno.test("subscriptions/listen acknowledges what the servers offer and tags what it forwards", () => {
  const opened = Subscription.open(
    listen({ toolsListChanged: true, promptsListChanged: true, resourceSubscriptions: ["a://1"] }),
    "",
    0,
    OFFERED,
  );
  assert.ok(opened instanceof Subscription);
  assert.deepEqual(opened.acknowledged, { toolsListChanged: true, resourceSubscriptions: ["a://1"] });
  const out = sink();
  opened.attach(out);
  const tools = { jsonrpc: "2.0" as const, method: "notifications/tools/list_changed" };
  opened.push(tools);
  opened.push({ jsonrpc: "2.0", method: "notifications/prompts/list_changed" });
  opened.push({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "a://2" } });
  opened.push({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "a://1" } });
  opened.push({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } });
  opened.push({ jsonrpc: "2.0", id: 1, method: "sampling/createMessage", params: {} });
  assert.deepEqual(out.sent.map((m) => "method" in m && m.method), [
    "notifications/subscriptions/acknowledged",
    "notifications/tools/list_changed",
    "notifications/resources/updated",
  ]);
  for (const message of out.sent) {
    assert.equal(
      (message as unknown as { params: { _meta: Record<string, unknown> } }).params
        ._meta["io.modelcontextprotocol/subscriptionId"],
      7,
    );
  }
  assert.equal("params" in tools, false, "the broadcast other listeners share is not changed");
  opened.end();
  assert.deepEqual(out.sent.at(-1), {
    jsonrpc: "2.0",
    id: 7,
    result: { resultType: "complete", _meta: { "io.modelcontextprotocol/subscriptionId": 7 } },
  });
});

Deno.test("subscriptions/listen refuses a malformed filter", () => {
  for (
    const filter of [[], "all", { toolsListChanged: "yes" }, { resourceSubscriptions: [1] }, {
      resourceSubscriptions: Array.from({ length: 300 }, (_, i) => `a://${i}`),
    }]
  ) {
    const refused = Subscription.open(listen(filter), "", 0, OFFERED);
    assert.ok(!(refused instanceof Subscription) && "error" in refused, JSON.stringify(filter).slice(0, 40));
    assert.equal(refused.error.code, -32602);
  }
});

Deno.test("a subscription nobody reads is held to the unread-bytes bound and then ends", async () => {
  const opened = Subscription.open(listen({ toolsListChanged: true }), "", 0, OFFERED) as Subscription;
  let overflow = 0;
  const stream = openSse(4096, (unsent) => overflow = unsent);
  opened.attach(stream);
  stream.closed.then(() => opened.detach());
  for (let i = 0; i < 1000; i++) opened.push({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  await opened.closed;
  assert.ok(overflow > 0 && overflow <= 4096, `${overflow} bytes were waiting`);
  await stream.body.cancel().catch(() => {});
});
