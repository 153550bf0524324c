import assert from "node:assert/strict";
import type { JsonRpcMessage } from "../../src/jsonrpc/messages.ts";
import { type MessageSink, Session } from "../../src/gateway/session.ts";

function sink(): MessageSink & { got: [number | undefined, string][] } {
  const got: [number | undefined, string][] = [];
  return {
    got,
    send: (message: JsonRpcMessage, id?: number) =>
      got.push([id, "method" in message ? message.method : "?"]),
    close: () => {},
  };
}
const note = (method: string): JsonRpcMessage => ({ jsonrpc: "2.0", method });

Deno.test("a session keeps what arrives with no stream open, and replays after Last-Event-ID", () => {
  const session = new Session("s", 0);
  session.deliver(note("a"));
  const first = sink();
  session.attach(first);
  assert.deepEqual(first.got, [[1, "a"]]);
  session.deliver(note("b"));
  assert.deepEqual(first.got, [[1, "a"], [2, "b"]]);
  session.streams.delete(first);
  session.deliver(note("c"));
  const resumed = sink();
  session.attach(resumed, 2);
  assert.deepEqual(resumed.got, [[3, "c"]]);
  const second = sink();
  session.attach(second);
  assert.deepEqual(second.got, [], "a second stream gets only new messages");
});
