import assert from "node:assert/strict";
import { BufferedFile, type BufferedFileOptions } from "../../src/observability/file_sink.ts";

/** `a.log` in `dir`, with small defaults and the options a test cares about. */
function openIn(dir: string, options: Partial<BufferedFileOptions>): BufferedFile {
  return new BufferedFile(`${dir}/a.log`, {
    maxSize: 1 << 20,
    maxFiles: 2,
    bufferBytes: 1024,
    flushMs: 10_000,
    ...options,
  });
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "awmg-sink-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("buffered file: every line arrives whole and in order, multi-byte text and lines larger than the buffer too", async () => {
  await withDir(async (dir) => {
    const file = openIn(dir, { bufferBytes: 16 });
    const lines = ["short\n", "ünïcödé → 😀 line\n", `${"x".repeat(100)}\n`, "é\n", "last line\n"];
    for (const line of lines) file.append(line);
    await file.close();
    assert.equal(await Deno.readTextFile(`${dir}/a.log`), lines.join(""));
  });
});

Deno.test("buffered file: flushed on its timer without being asked", async () => {
  await withDir(async (dir) => {
    const file = openIn(dir, { flushMs: 5 });
    file.append("one\n");
    let text = "";
    for (let i = 0; i < 200 && text === ""; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      text = await Deno.readTextFile(`${dir}/a.log`);
    }
    assert.equal(text, "one\n");
    await file.close();
  });
});

Deno.test("buffered file: rotated by size, and no line is split between two files", async () => {
  await withDir(async (dir) => {
    const file = openIn(dir, { maxSize: 64, bufferBytes: 40 });
    const lines = Array.from({ length: 12 }, (_, i) => `line number ${String(i).padStart(2, "0")}\n`);
    for (const line of lines) file.append(line);
    await file.close();
    const parts = [`${dir}/a.log.2`, `${dir}/a.log.1`, `${dir}/a.log`];
    const texts = await Promise.all(parts.map((path) => Deno.readTextFile(path)));
    for (const text of texts) {
      assert.ok(text.endsWith("\n"), JSON.stringify(text));
      assert.ok(new TextEncoder().encode(text).length <= 64, JSON.stringify(text));
    }
    assert.ok(lines.join("").endsWith(texts.join("")));
  });
});
