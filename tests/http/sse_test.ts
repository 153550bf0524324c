import assert from "node:assert/strict";
import { openSse, sseEvent } from "../../src/http/sse.ts";

const note = { jsonrpc: "2.0" as const, method: "notifications/message", params: { data: "x".repeat(40) } };

Deno.test("an SSE stream nobody reads is ended once its unsent bytes pass the bound; one event always fits", async () => {
  const overflows: number[] = [];
  const stream = openSse(100, (unsent) => overflows.push(unsent));
  stream.send(note);
  assert.deepEqual(overflows, [], "the first event goes in even though it is near the bound");
  stream.send(note);
  assert.equal(overflows.length, 1);
  assert.deepEqual(overflows, [sseEvent(note).byteLength], "the bytes left unread: the first event");
  stream.send(note);
  assert.equal(overflows.length, 1, "reported once");
  await stream.closed;
  const reader = stream.body.getReader();
  await assert.rejects(async () => {
    while (!(await reader.read()).done);
  }, /did not read/);
});

Deno.test("an SSE stream that is read never overflows", async () => {
  const overflows: number[] = [];
  const stream = openSse(100, (unsent) => overflows.push(unsent));
  const reader = stream.body.getReader();
  for (let i = 0; i < 20; i++) {
    stream.send(note);
    await reader.read();
  }
  stream.close();
  assert.deepEqual(overflows, []);
  await stream.closed;
});

Deno.test("an SSE stream takes a call's answer whatever was left unread before it", async () => {
  const overflows: number[] = [];
  const stream = openSse(100, (unsent) => overflows.push(unsent));
  stream.send(note);
  const answer = {
    jsonrpc: "2.0" as const,
    id: 7,
    result: { content: [{ type: "text", text: "y".repeat(500) }] },
  };
  stream.send(answer);
  assert.deepEqual(overflows, [], "the answer went in past the bound");
  const reader = stream.body.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /notifications\/message/);
  assert.match(new TextDecoder().decode((await reader.read()).value), /"id":7/);
  stream.close();
  await stream.closed;
});
