import assert from "node:assert/strict";
import { guardedRefusal, questionWithText, toolsOnly, withoutMessage } from "../../src/gateway/unjudged.ts";

Deno.test("a guarded server's progress note keeps its numbers, not its text; a note without params stays whole", () => {
  assert.deepEqual(
    withoutMessage({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: 1, progress: 2, message: "secret" },
    }),
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 2 } },
  );
  assert.deepEqual(withoutMessage({ jsonrpc: "2.0", method: "notifications/progress" }), {
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: {},
  });
});

Deno.test("a guarded server is shown with its tools; its questions with text and its reads are refused", () => {
  assert.deepEqual(
    toolsOnly({
      protocolVersion: "2025-11-25",
      capabilities: { tools: {}, prompts: {}, resources: {}, completions: {}, logging: {} },
    }),
    { protocolVersion: "2025-11-25", capabilities: { tools: {}, logging: {} } },
  );
  assert.equal(
    questionWithText({
      resultType: "input_required",
      inputRequests: { a: { method: "roots/list" }, b: { method: "sampling/createMessage" } },
    }),
    "sampling/createMessage",
  );
  assert.equal(
    questionWithText({ resultType: "input_required", inputRequests: { a: { method: "roots/list" } } }),
    undefined,
  );
  const code = (method: string) =>
    (guardedRefusal("s", { jsonrpc: "2.0", id: 1, method }) as { error?: { code: number } } | undefined)
      ?.error?.code;
  assert.equal(code("resources/read"), -32600);
  assert.equal(code("prompts/list"), -32601);
  assert.equal(guardedRefusal("s", { jsonrpc: "2.0", id: 1, method: "tools/list" }), undefined);
});
