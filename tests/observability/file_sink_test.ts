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

Deno.test("buffered file: a line appended with `also` reaches both files whole and in order, whatever fills first", async () => {
  await withDir(async (dir) => {
    const [main, also] = [
      openIn(dir, { bufferBytes: 24 }),
      new BufferedFile(`${dir}/b.log`, {
        maxSize: 1 << 20,
        bufferBytes: 40,
        flushMs: 10_000,
      }),
    ];
    also.append("own line\n");
    const lines = ["short\n", "ünïcödé → 😀 line\n", `${"x".repeat(100)}\n`, "é\n", "last line\n"];
    for (const line of lines) main.append(line, also);
    await Promise.all([main.close(), also.close()]);
    assert.equal(await Deno.readTextFile(`${dir}/a.log`), lines.join(""));
    assert.equal(await Deno.readTextFile(`${dir}/b.log`), "own line\n" + lines.join(""));
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

/** The names of the files in `dir`, sorted. */
async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name).sort();
}

/** The numbers of `a.log`'s rotated files in `dir`, ascending. */
async function rotatedNumbers(dir: string): Promise<number[]> {
  return (await names(dir)).filter((name) => name !== "a.log").map((name) => Number(name.split(".").pop()))
    .sort((a, b) => a - b);
}

/** The texts of `a.log`'s rotated files, oldest (lowest number) first, then `a.log`'s. */
async function texts(dir: string): Promise<string[]> {
  const paths = [...(await rotatedNumbers(dir)).map((n) => `a.log.${n}`), "a.log"];
  return await Promise.all(paths.map((name) => Deno.readTextFile(`${dir}/${name}`)));
}

/** The lines of `a.log` and its rotated files, oldest first. */
async function allLines(dir: string): Promise<string> {
  return (await texts(dir)).join("");
}

Deno.test("buffered file: rotated by size, and no line is split between two files", async () => {
  await withDir(async (dir) => {
    const file = openIn(dir, { maxSize: 64, bufferBytes: 40 });
    const lines = Array.from({ length: 12 }, (_, i) => `line number ${String(i).padStart(2, "0")}\n`);
    for (const line of lines) file.append(line);
    await file.close();
    const kept = await texts(dir);
    assert.equal(kept.length, 3);
    for (const text of kept) {
      assert.ok(text.endsWith("\n"), JSON.stringify(text));
      assert.ok(new TextEncoder().encode(text).length <= 64, JSON.stringify(text));
    }
    assert.ok(lines.join("").endsWith(kept.join("")));
  });
});

Deno.test("buffered file: without maxFiles nothing is deleted, across reopenings too", async () => {
  await withDir(async (dir) => {
    const lines = Array.from({ length: 40 }, (_, i) => `line number ${String(i).padStart(2, "0")}\n`);
    for (const half of [lines.slice(0, 20), lines.slice(20)]) {
      const file = new BufferedFile(`${dir}/a.log`, { maxSize: 64, bufferBytes: 40, flushMs: 10_000 });
      for (const line of half) file.append(line);
      await file.close();
    }
    // More rotated files than the five once kept.
    assert.ok((await names(dir)).length > 6);
    assert.equal(await allLines(dir), lines.join(""));
  });
});

Deno.test("buffered file: maxFiles keeps that many rotated files, the newest, across reopenings too", async () => {
  await withDir(async (dir) => {
    for (let run = 0; run < 2; run++) {
      const file = openIn(dir, { maxSize: 64, bufferBytes: 40, maxFiles: run === 0 ? 5 : 2 });
      for (let i = 0; i < 30; i++) file.append(`run ${run} line ${String(i).padStart(2, "0")}\n`);
      await file.close();
    }
    // The two newest: the numbers count up from the oldest, and go on after a reopening.
    const kept = await rotatedNumbers(dir);
    assert.equal(kept.length, 2);
    assert.equal(kept[1], kept[0] + 1);
    assert.ok(kept[0] > 5, `${kept}`);
    assert.ok((await allLines(dir)).endsWith("run 1 line 29\n"));
  });
});

Deno.test("buffered file: a rotation renames only the file it rotates, however many came before", async () => {
  await withDir(async (dir) => {
    let file = openIn(dir, { maxFiles: undefined });
    file.append("first\n");
    await file.flush();
    await file.rotate();
    const first = await Deno.stat(`${dir}/a.log.1`);
    for (let i = 0; i < 50; i++) {
      if (i === 25) {
        await file.close();
        file = openIn(dir, { maxFiles: undefined });
      }
      file.append(`later ${i}\n`);
      await file.flush();
      await file.rotate();
    }
    await file.close();
    // Renaming every rotated file at each rotation (name.1 the newest) would have moved "first" 50 times.
    const still = await Deno.stat(`${dir}/a.log.1`);
    assert.equal(still.ino, first.ino);
    assert.equal(await Deno.readTextFile(`${dir}/a.log.1`), "first\n");
    assert.deepEqual(await rotatedNumbers(dir), Array.from({ length: 51 }, (_, i) => i + 1));
    assert.equal(await Deno.readTextFile(`${dir}/a.log.51`), "later 49\n");
  });
});
