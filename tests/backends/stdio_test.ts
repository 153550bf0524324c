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
  // Writes are encoded into the pipe's buffer (64 KiB at first, grown by larger writes to 1 MiB at most) as
  // long as their bytes fit; others get bytes of their own. A request makes what follows wait for one
  // batched write.
  const sent = [pipe.send(request(1, "first"))];
  // 40,000 UTF-16 units alone in a write, 90,000 bytes in UTF-8: more than the buffer holds.
  sent.push(pipe.send(request(2, "é€😀".repeat(10_000))));
  await echoed(2);
  // A line whose bytes fill the 64 KiB buffer exactly, with no room left for its newline.
  const wrapper = JSON.stringify(request(3, "")).length;
  sent.push(pipe.send(request(3, `${"é".repeat(32_000)}${"a".repeat(65_536 - wrapper - 64_000)}`)));
  assert.equal(new TextEncoder().encode(sent[2]).length, 65_536);
  await echoed(3);
  // The buffer grows for the 300,000 units and is reused; multi-byte text past its size and a write over
  // what a pipe keeps get bytes of their own.
  const texts = ["small", "x".repeat(300_000), "ünïcödé", "é".repeat(200_000), "z".repeat(1_200_000), "end"];
  for (const message of texts.map((text, i) => request(4 + i, text))) sent.push(pipe.send(message));
  await echoed(sent.length);
  await pipe.stop(1000);
  assert.deepEqual(received, sent);
});
