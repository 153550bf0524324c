import assert from "node:assert/strict";
import { Exchange } from "../../src/gateway/exchange.ts";

Deno.test("an exchange yields its notifications in order, then the response with its text, then ends", async () => {
  const exchange = new Exchange();
  const progress = { jsonrpc: "2.0" as const, method: "notifications/progress", params: { progress: 1 } };
  const response = { jsonrpc: "2.0" as const, id: 1, result: {} };
  setTimeout(() => {
    exchange.push(progress);
    assert.equal(exchange.finish(response, '{"jsonrpc":"2.0","id":1,"result":{}}'), true);
    assert.equal(exchange.finish(response), false);
    exchange.push(progress);
  }, 5);
  assert.deepEqual(await Array.fromAsync(exchange), [
    { message: progress },
    { message: response, text: '{"jsonrpc":"2.0","id":1,"result":{}}' },
  ]);
  assert.equal(exchange.finished, true);
});
