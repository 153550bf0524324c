import assert from "node:assert/strict";
import { withId } from "../../src/jsonrpc/splice.ts";

Deno.test("withId rewrites the envelope id in the usual positions, and only there", () => {
  assert.equal(
    withId('{"result":{"n":1},"jsonrpc":"2.0","id":1}', 1, "c-9"),
    '{"result":{"n":1},"jsonrpc":"2.0","id":"c-9"}',
  );
  assert.equal(
    withId('{"jsonrpc":"2.0","id":"a","method":"x"}', "a", 7),
    '{"jsonrpc":"2.0","id":7,"method":"x"}',
  );
  assert.equal(withId('{"id":3,"result":{}}', 3, 4), '{"id":4,"result":{}}');
  assert.equal(
    withId('{"result":{"x":{"id":1}},"jsonrpc":"2.0"}', 1, 2),
    undefined,
    "an inner id is left alone",
  );
  assert.equal(withId('{"result":"\\"id\\":1}","id":1}', 1, 2), '{"result":"\\"id\\":1}","id":2}');
  assert.equal(withId('{"method":"x","id":11}', 1, 2), undefined, "11 is not 1");
  for (
    const [text, from, to] of [['{"a":1,"id":5}', 5, "x"], [
      '{"jsonrpc":"2.0","id":"q","b":[]}',
      "q",
      0,
    ]] as const
  ) {
    assert.deepEqual(JSON.parse(withId(text, from, to)!), { ...JSON.parse(text), id: to });
  }
});

Deno.test("withId refuses text with a second id, wherever it is: a peer's parser might keep that one", () => {
  for (
    const text of [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{},"id":1}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{},"id":7}',
      '{"id":7,"jsonrpc":"2.0","method":"x","id":1}',
      '{"result":{"id":1},"jsonrpc":"2.0","id":1}',
      '{"id":1,"method":"x","params":{"name":"id"}}',
    ]
  ) {
    assert.equal(withId(text, 1, 99), undefined, text);
  }
});
