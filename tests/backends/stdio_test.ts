import assert from "node:assert/strict";
import { StdioPipe } from "../../src/backends/stdio.ts";
import type { JsonRpcMessage } from "../../src/jsonrpc/messages.ts";

/** A pipe to `cat`, which sends every line back: what comes back is exactly what was written. */
function echoPipe(received: string[]): StdioPipe {
  return StdioPipe.spawn(
    { command: "cat", args: [], env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" }, envNames: [] },
    {
      message: (_message, text) => void received.push(text),
      noise: (line) => assert.fail(`noise: ${line.slice(0, 80)}`),
      stderr: () => {},
      oversized: () => assert.fail("oversized"),
    },
    { maxMessageSize: 64 * 1024 * 1024, maxUnsentBytes: 64 * 1024 * 1024 },
  );
}

function request(id: number, message: string): JsonRpcMessage {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message } } };
}

Deno.test("stdio: batched writes of every size arrive whole and in order, multi-byte text included", async () => {
  const received: string[] = [];
  const pipe = echoPipe(received);
  const echoed = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (received.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  // Small writes share the reused 64 KiB buffer; larger ones (possibly over it once encoded: 3 bytes a
  // UTF-16 unit at most) get bytes of their own. A request makes what follows wait for one batched write.
  const sent = [pipe.send(request(1, "first"))];
  // 40,000 UTF-16 units alone in a write, 90,000 bytes in UTF-8: more than the buffer holds.
  sent.push(pipe.send(request(2, "é€😀".repeat(10_000))));
  await echoed(2);
  for (const message of ["small", "x".repeat(300_000), "ünïcödé"].map((text, i) => request(3 + i, text))) {
    sent.push(pipe.send(message));
  }
  await echoed(sent.length);
  await pipe.stop(1000);
  assert.deepEqual(received, sent);
});
