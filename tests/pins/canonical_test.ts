import assert from "node:assert/strict";
import { canonicalHash, canonicalJson } from "../../src/pins/canonical.ts";

Deno.test("canonical JSON sorts members by UTF-16 code units and drops white space (RFC 8785 examples)", () => {
  // RFC 8785 section 3.2.3's sorting example: the names in their canonical order.
  const names = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
  };
  const order = [...canonicalJson(names).matchAll(/"([^"]*)":"[^"]*"/g)].map((match) =>
    JSON.parse(`"${match[1]}"`)
  );
  assert.deepEqual(order, ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  assert.equal(
    canonicalJson({
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      literals: [null, true, false],
    }),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
  );
  assert.equal(
    canonicalJson({ b: { y: 1, x: [2, { d: 1, c: 0 }] }, a: "\u2028\n" }),
    '{"a":"\u2028\\n","b":{"x":[2,{"c":0,"d":1}],"y":1}}',
  );
  assert.equal(canonicalJson({ kept: 1, gone: undefined }), '{"kept":1}');
  assert.throws(() => canonicalJson({ n: NaN }), /no JSON form/);
});

Deno.test("the hash of a definition does not depend on key order or spacing", async () => {
  const one = await canonicalHash(
    JSON.parse('{"name":"add","inputSchema":{"type":"object","properties":{"a":{"type":"number"}}}}'),
  );
  const two = await canonicalHash(
    JSON.parse(
      '{ "inputSchema": { "properties": { "a": { "type": "number" } }, "type": "object" },\n "name": "add" }',
    ),
  );
  assert.equal(one, two);
  assert.match(one, /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(one, await canonicalHash({ name: "add" }));
});
