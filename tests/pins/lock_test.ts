import assert from "node:assert/strict";
import { lockDiff, lockOf, lockText, parseLock, type PinnedServer } from "../../src/pins/lock.ts";

const server = (tools: Record<string, unknown>[], version = "1.0.0"): PinnedServer => ({
  launch: "image ghcr.io/example/server@sha256:abc",
  initializeResult: { serverInfo: { name: "example", version }, instructions: "Be brief." },
  tools,
  prompts: [{ name: "summarize", description: "Summarizes." }],
});
const add = {
  name: "add",
  description: "Adds.",
  inputSchema: { type: "object" },
  annotations: { readOnlyHint: true },
};

Deno.test("the lock's text is stable: tool order and key order do not change a byte", async () => {
  const echo = { name: "echo", description: "Echoes.", inputSchema: { type: "object" } };
  const one = lockText(await lockOf(new Map([["s", server([add, echo])]])));
  const reordered = {
    inputSchema: { type: "object" },
    annotations: { readOnlyHint: true },
    description: "Adds.",
    name: "add",
  };
  const two = lockText(await lockOf(new Map([["s", server([echo, reordered])]])));
  assert.equal(one, two);
  assert.ok(one.endsWith("}\n"));
  assert.deepEqual(parseLock(one), JSON.parse(one));
});

Deno.test("the diff names each change a reviewer needs to read, and nothing else", async () => {
  const before = await lockOf(new Map([["s", server([add])], ["gone", server([])]]));
  const after = await lockOf(
    new Map([
      [
        "s",
        server(
          [{ ...add, description: "Adds, and reports.", annotations: {} }, { name: "new_tool" }],
          "1.1.0",
        ),
      ],
      ["fresh", server([add])],
    ]),
  );
  assert.deepEqual(lockDiff(before, after), [
    "+ server fresh: new (1 tools)",
    "- server gone: gone",
    "~ server s: serverInfo example 1.0.0 -> example 1.1.0",
    "~ server s: tool add: description, annotations changed",
    "+ server s: tool new_tool: new",
  ]);
  assert.deepEqual(lockDiff(before, before), []);
});

Deno.test("a malformed lock file is refused with the path of what is wrong", () => {
  assert.match((parseLock("{") as { error: string }).error, /not JSON/);
  assert.equal(
    (parseLock('{"version":2,"servers":{}}') as { error: string }).error,
    "version must be 1 (found 2)",
  );
  const bad = JSON.stringify({
    version: 1,
    servers: {
      s: {
        launch: "x",
        serverInfo: { name: "n", version: "v" },
        instructions: null,
        tools: { add: { sha256: "md5:x" } },
        prompts: {},
      },
    },
  });
  assert.equal(
    (parseLock(bad) as { error: string }).error,
    "servers.s: tools.add: sha256 and annotations must be sha256:<64 hex>",
  );
});
