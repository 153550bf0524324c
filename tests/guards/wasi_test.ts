import assert from "node:assert/strict";
import { type WasiHost, wasiImports } from "../../src/guards/wasi.ts";

/** One page of guest memory and a host that records what the guest logged and which calls failed. */
function guest() {
  const memory = new ArrayBuffer(65536);
  const failures: string[] = [];
  const logs: string[] = [];
  const host: WasiHost = {
    memory: () => memory,
    log: (_level, message) => logs.push(message),
    deadline: () => Date.now() + 1000,
    failed: (call, errno) => failures.push(`${call} ${errno}`),
  };
  const wasi = wasiImports(host, (fn) => fn as unknown as WebAssembly.ImportValue);
  const call = (name: string, ...args: (number | bigint)[]) =>
    (wasi[name] as (...args: (number | bigint)[]) => number)(...args);
  return { memory, failures, logs, call };
}

Deno.test("wasi: a pointer outside the guest's memory answers EFAULT (21), never a host error", () => {
  const { memory, failures, logs, call } = guest();
  assert.equal(call("random_get", 65530, 100), 21, "random bytes past the end");
  assert.equal(call("fd_write", 1, 70_000, 1, 0), 21, "an iovec list past the end");
  const view = new DataView(memory);
  view.setUint32(0, 65_500, true);
  view.setUint32(4, 100, true);
  assert.equal(call("fd_write", 1, 0, 1, 16), 21, "an iovec whose bytes run past the end");
  assert.equal(call("clock_time_get", 0, 0n, 65_535), 21, "a time written past the end");
  assert.equal(call("args_sizes_get", 65_534, 0), 21, "a size written past the end");
  assert.deepEqual(failures, [
    "random_get 21",
    "fd_write 21",
    "fd_write 21",
    "clock_time_get 21",
    "args_sizes_get 21",
  ]);
  // The same calls inside memory still answer: the guest may go on.
  new TextEncoder().encodeInto("hello", new Uint8Array(memory, 100));
  view.setUint32(0, 100, true);
  view.setUint32(4, 5, true);
  assert.equal(call("fd_write", 1, 0, 1, 16), 0);
  assert.equal(view.getUint32(16, true), 5);
  assert.deepEqual(logs, ["hello"]);
});
