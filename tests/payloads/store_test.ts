import assert from "node:assert/strict";
import { payloadSchema, SCHEMA_DEPTH } from "../../src/payloads/schema.ts";
import { PayloadStore, resultText, safeSegment, utf8Length } from "../../src/payloads/store.ts";

Deno.test("payload schema: leaves become type names, arrays their first element's schema", () => {
  assert.deepEqual(
    payloadSchema({ content: [{ type: "text", text: "x" }, { other: 1 }], isError: false, n: null }),
    {
      content: [{ type: "string", text: "string" }],
      isError: "boolean",
      n: "null",
    },
  );
  assert.deepEqual(payloadSchema([]), []);
});

Deno.test("payload schema: containers past SCHEMA_DEPTH are named, so no nesting exhausts the stack", () => {
  const nested = (levels: number, inner: string) =>
    JSON.parse(`${"[".repeat(levels)}${inner}${"]".repeat(levels)}`);
  /** The schema's first element `levels` times down. */
  const down = (schema: unknown, levels: number) => {
    for (let i = 0; i < levels; i++) schema = (schema as unknown[])[0];
    return schema;
  };
  assert.equal(down(payloadSchema(nested(200_000, "")), SCHEMA_DEPTH), "array");
  assert.equal(down(payloadSchema(nested(SCHEMA_DEPTH, "{}")), SCHEMA_DEPTH), "object");
  assert.deepEqual(down(payloadSchema(nested(SCHEMA_DEPTH - 1, '{"a":1}')), SCHEMA_DEPTH - 1), {
    a: "number",
  });
});

Deno.test("session ids become safe path segments", () => {
  assert.equal(safeSegment("9b2c-AF_01"), "9b2c-AF_01");
  assert.equal(safeSegment("../../etc"), "______etc");
  assert.equal(safeSegment("../.."), "no-session");
  assert.equal(safeSegment(undefined), "no-session");
});

Deno.test("UTF-8 sizes and the threshold (strictly greater is stored)", () => {
  assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
  const store = new PayloadStore({ dir: "/unused", threshold: 6 });
  assert.equal(store.exceeds("abcdef"), false);
  assert.equal(store.exceeds("abcdefg"), true);
  assert.equal(store.exceeds("ab€€"), true, "8 bytes in 4 characters");
});

Deno.test("the result text is sliced from the response text when the envelope allows", () => {
  const result = { content: [{ type: "text", text: "hi" }] };
  const sdkOrder = JSON.stringify({ result, jsonrpc: "2.0", id: 4 });
  assert.equal(resultText(sdkOrder, 4, result), JSON.stringify(result));
  const envelopeFirst = JSON.stringify({ jsonrpc: "2.0", id: "x", result });
  assert.equal(resultText(envelopeFirst, "x", result), JSON.stringify(result));
  assert.equal(resultText('{"id":4,"result":{},"jsonrpc":"2.0"}', 4, result), JSON.stringify(result));
});

Deno.test("a stored payload: 0700 directories, a 0600 file with the exact text, metadata with prefix", async () => {
  const dir = await Deno.makeTempDir();
  const store = new PayloadStore({ dir, threshold: 10, pathPrefix: "/mnt/payloads/" });
  const result = { content: [{ type: "text", text: "é".repeat(600_000) }] };
  const text = JSON.stringify(result);
  const metadata = await store.store("session-1", text, result);
  const relative = metadata.payloadPath.slice("/mnt/payloads/".length);
  assert.match(relative, /^session-1\/[0-9a-f-]{36}\/payload\.json$/);
  const file = `${dir}/${relative}`;
  assert.equal(await Deno.readTextFile(file), text);
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(`${dir}/session-1`)).mode! & 0o777, 0o700);
  assert.equal(metadata.originalSize, utf8Length(text));
  assert.equal(metadata.payloadPreview, text.slice(0, 500));
  assert.equal(metadata.payloadPathPrefix, "/mnt/payloads/");
  assert.deepEqual(metadata.payloadSchema, { content: [{ type: "string", text: "string" }] });
  await Deno.remove(dir, { recursive: true });
});
