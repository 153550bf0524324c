import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, nameProblem, prefixName, splitName } from "../../src/gateway/names.ts";
import { presentTools } from "../../src/gateway/tools.ts";

Deno.test("prefixed names split at the first separator", () => {
  assert.equal(prefixName("github", "search_code"), "github___search_code");
  assert.deepEqual(splitName("github___search___code"), { serverId: "github", name: "search___code" });
  assert.equal(splitName("plain"), undefined);
  assert.equal(splitName("___x"), undefined);
});

Deno.test("names clients may reject are explained", () => {
  assert.equal(nameProblem("github___search_code"), undefined);
  assert.equal(
    nameProblem(`s___${"x".repeat(61)}`),
    "it is 65 characters long (many clients accept at most 64)",
  );
  assert.equal(nameProblem("s___a.b"), "it has characters outside [A-Za-z0-9_-]");
});

Deno.test("combined cursors round-trip and reject foreign ones", () => {
  assert.deepEqual(decodeCursor(encodeCursor({ server: 2, cursor: "abc" })), { server: 2, cursor: "abc" });
  assert.deepEqual(decodeCursor(encodeCursor({ server: 1 })), { server: 1 });
  assert.equal(decodeCursor("not-ours"), undefined);
});

Deno.test("tools are filtered by the allow-list and schemas without properties fixed, input untouched", () => {
  const tools = [
    { name: "a", inputSchema: { type: "object" } },
    { name: "b", inputSchema: { type: "object", properties: { x: { type: "string" } } } },
    { name: "c", inputSchema: { type: "object" } },
  ];
  const fixed: string[] = [];
  const shown = presentTools(tools, ["a", "b"], (name) => fixed.push(name));
  assert.deepEqual(shown.map((t) => t.name), ["a", "b"]);
  assert.deepEqual(shown[0].inputSchema, { type: "object", properties: {} });
  assert.equal(shown[1], tools[1]);
  assert.deepEqual(tools[0].inputSchema, { type: "object" });
  assert.deepEqual(fixed, ["a"]);
});
