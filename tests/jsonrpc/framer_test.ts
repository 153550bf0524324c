import assert from "node:assert/strict";
import {
  type Oversized,
  readDeclared,
  readLimited,
  readLines,
  readPreview,
  readSized,
} from "../../src/jsonrpc/framer.ts";
import { classify } from "../../src/jsonrpc/messages.ts";

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c));
}

/** A byte stream, as a child's stdout is: read with BYOB reads into one reused buffer. */
function byteStreamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const queue = chunks.map((c) => typeof c === "string" ? encoder.encode(c) : c);
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) {
        controller.close();
        // A read waiting on the buffer it gave is answered with nothing (the stream's end).
        controller.byobRequest?.respond(0);
      } else controller.enqueue(next.slice());
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>, limit?: number): Promise<(string | Oversized)[]> {
  const found: (string | Oversized)[] = [];
  await readLines(stream, (line) => found.push(line), limit);
  return found;
}

async function lines(chunks: (string | Uint8Array)[], limit?: number): Promise<(string | Oversized)[]> {
  return await collect(byteStreamOf(chunks), limit);
}

Deno.test("framing: a stream without BYOB reads is read plainly, to the same lines", async () => {
  const chunks = ['{"a":1}\n{"b"', ':2}\n{"c":3}'];
  assert.deepEqual(await collect(streamOf(chunks)), await lines(chunks));
});

Deno.test("framing: a line that spans reads of the reused buffer keeps its bytes while the next reads fill it", async () => {
  const first = JSON.stringify({ a: "p".repeat(100 * 1024) });
  const second = JSON.stringify({ b: "q".repeat(70 * 1024) });
  const text = `${first}\n${second}\n{"c":3}\n`;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 50_000) chunks.push(text.slice(i, i + 50_000));
  assert.deepEqual(await lines(chunks), [first, second, '{"c":3}']);
});

Deno.test("framing: each line that spans chunks is read whole, whichever was longer before it", async () => {
  // Read into one buffer that the next lines reuse (a longer one grows it; past 1 MiB it is let go).
  const sizes = [200_000, 70_000, 1_500_000, 100_000, 65_537, 10];
  const sent = sizes.map((size, i) => JSON.stringify({ [i]: String.fromCharCode(97 + i).repeat(size) }));
  const text = `${sent.join("\n")}\n`;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 65_536) chunks.push(text.slice(i, i + 65_536));
  assert.deepEqual(await lines(chunks), sent);
});

Deno.test("framing: several messages in one chunk, partial reads, CRLF, blank lines, no final newline", async () => {
  assert.deepEqual(await lines(['{"a":1}\n{"b":2}\n', '{"c"', ":3}\r\n\n", '{"d":4}']), [
    '{"a":1}',
    '{"b":2}',
    '{"c":3}',
    '{"d":4}',
  ]);
});

Deno.test("framing: a multi-byte character split across chunks", async () => {
  const bytes = new TextEncoder().encode('{"x":"é€"}\n');
  assert.deepEqual(await lines([bytes.slice(0, 8), bytes.slice(8)]), ['{"x":"é€"}']);
});

Deno.test("framing: a single message of many megabytes in small chunks", async () => {
  const big = JSON.stringify({ data: "y".repeat(8 * 1024 * 1024) });
  const chunks: string[] = [];
  for (let i = 0; i < big.length; i += 65536) chunks.push(big.slice(i, i + 65536));
  chunks.push("\n");
  const [line] = await lines(chunks);
  assert.equal((line as string).length, big.length);
  assert.equal(line, big);
});

Deno.test("framing: large chunks, searched as text when ASCII, give the lines that small ones give", async () => {
  // ASCII, multi-byte characters, invalid bytes, byte order marks, in chunks on both sides of 4 KiB.
  const pieces = [
    new TextEncoder().encode("plain ascii text "),
    new TextEncoder().encode("é€😀 "),
    Uint8Array.of(0xff, 0xfe, 0x80),
    Uint8Array.of(0xe2, 0x41),
    Uint8Array.of(0xef, 0xbb, 0xbf),
    Uint8Array.of(10),
    Uint8Array.of(13, 10),
  ];
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let round = 0; round < 40; round++) {
    // Every other round is ASCII alone, so that most of its large chunks are searched as text.
    const kinds = round % 2 === 0 ? [0, 5, 6] : pieces.map((_, i) => i);
    const parts: number[] = [];
    while (parts.length < 20_000) parts.push(...pieces[kinds[random(kinds.length)]]);
    const bytes = Uint8Array.from(parts);
    const [large, small]: Uint8Array[][] = [[], []];
    for (let at = 0; at < bytes.length;) {
      const size = 1 + random(12_000);
      large.push(bytes.slice(at, at + size));
      at += size;
    }
    for (let at = 0; at < bytes.length; at += 1000) small.push(bytes.slice(at, at + 1000));
    const expected = await lines(small);
    assert.ok(expected.length > 100);
    assert.deepEqual(await lines(large), expected, `round ${round}`);
  }
});

Deno.test("classification of requests, notifications, responses and invalid messages", () => {
  assert.equal(classify({ jsonrpc: "2.0", id: 1, method: "x" }).kind, "request");
  assert.equal(classify({ jsonrpc: "2.0", method: "x" }).kind, "notification");
  assert.equal(classify({ jsonrpc: "2.0", id: 1, result: {} }).kind, "response");
  assert.equal(
    classify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "p" } }).kind,
    "response",
  );
  assert.deepEqual(classify([]), {
    kind: "invalid",
    reason: "a JSON-RPC message must be a JSON object",
    id: null,
  });
  assert.deepEqual(classify({ jsonrpc: "2.0", id: {}, method: "x" }), {
    kind: "invalid",
    reason: 'the "id" member must be a string or a number',
    id: null,
  });
  assert.deepEqual(classify({ jsonrpc: "2.0", id: 3, method: "x", params: 5 }), {
    kind: "invalid",
    reason: 'the "params" member must be an object or an array',
    id: 3,
  });
});

Deno.test("framing: a line over the limit is reported once, at the limit, and skipped to its newline", async () => {
  const out = await lines(['{"a":1}\n', "x".repeat(40), "y".repeat(40), "z".repeat(100), '\n{"b":2}\n'], 64);
  assert.equal(out.length, 3);
  assert.equal(out[0], '{"a":1}');
  const marker = out[1] as Oversized;
  assert.equal(marker.oversized, true);
  assert.equal(marker.bytes, 80, "reported as soon as the limit was passed, not at the newline");
  assert.ok(marker.preview.startsWith("x".repeat(40)));
  assert.equal(out[2], '{"b":2}', "the next message is read as usual");
});

Deno.test("readLimited: the whole body within the limit, undefined past it", async () => {
  assert.equal(await readLimited(streamOf(["ab", "cd"]), 4), "abcd");
  assert.equal(await readLimited(streamOf(["ab", "cde"]), 4), undefined);
  assert.equal(await readLimited(null, 4), "");
});

Deno.test("readLimited: a body over the limit is cancelled, not left unread", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull(controller) {
      controller.enqueue(new Uint8Array(1024));
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await readLimited(stream, 4096), undefined);
  assert.ok(cancelled);
});

/** `text` sent in chunks of `size` bytes (a multi-byte character may be cut), read as a body of its length. */
async function sized(text: string, size: number): Promise<string | undefined> {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return await readSized(byteStreamOf(chunks), bytes.length);
}

Deno.test("readSized: each body whole, though its buffer was another body's, and several at once", async () => {
  const body = (char: string, size: number) => `"${"é€".repeat(7)}${char.repeat(size)}"`;
  // A shorter body after a longer one reads into the longer one's buffer.
  for (const text of [body("a", 200_000), body("b", 70_000), body("c", 150_000), body("d", 2_000_000)]) {
    assert.equal(await sized(text, 50_001), text);
  }
  // More at once than the four buffers kept.
  const many = Array.from({ length: 6 }, (_, i) => body(String(i), 100_000 + 1000 * i));
  assert.deepEqual(await Promise.all(many.map((text) => sized(text, 30_000))), many);
});

Deno.test("readSized: more bytes than declared is refused and the rest cancelled; fewer give what came", async () => {
  let cancelled = false;
  const endless = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull(controller) {
      controller.enqueue(new Uint8Array(1024).fill(97));
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await readSized(endless, 100_000), undefined);
  assert.ok(cancelled);
  assert.equal(await readSized(byteStreamOf(["abc"]), 100_000), "abc");
  assert.equal(await readSized(null, 100_000), "");
  // A stream without BYOB reads is read within the same bound.
  assert.equal(await readSized(streamOf(["ab", "cd"]), 4), "abcd");
  assert.equal(await readSized(streamOf(["ab", "cde"]), 4), undefined);
});

Deno.test("readSized: a body that declares megabytes and sends a few bytes holds a few", async () => {
  let body!: ReadableStreamController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    start(controller) {
      body = controller;
      controller.enqueue(new Uint8Array(1000));
    },
  });
  const before = Deno.memoryUsage().external;
  const reading = readSized(stream, 8 * 1024 * 1024);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const held = Deno.memoryUsage().external - before;
  assert.ok(held < 512 * 1024, `${held} bytes held for 1,000 sent`);
  body.error(new Error("the client went away"));
  await assert.rejects(reading, /went away/);
});

Deno.test("readSized: a read that fails is an error, and the reads after it are whole", async () => {
  const failing = new ReadableStream<Uint8Array>({
    type: "bytes",
    pull(controller) {
      controller.error(new Error("connection reset"));
    },
  });
  await assert.rejects(readSized(failing, 100_000), /connection reset/);
  const text = "f".repeat(120_000);
  assert.equal(await sized(text, 40_000), text);
});

/** Serves each request `answer`'s body and headers on loopback, for `use`'s fetches. */
async function serving(
  answer: () => { body: BodyInit; headers: Record<string, string> },
  use: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    const { body, headers } = answer();
    return new Response(body, { headers });
  });
  try {
    await use(`http://127.0.0.1:${server.addr.port}/`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("readDeclared: bodies of declared length, inflated, of unknown length, and over the limit", async () => {
  // Random text, so that even compressed it is read as a body of declared length.
  const noise = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(60_000))));
  const text = `{"text":"${"é".repeat(10)}${noise.repeat(4)}"}`;
  const bytes = new TextEncoder().encode(text);
  const compressed = new Uint8Array(
    await new Response(ReadableStream.from([bytes]).pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
  const cases: [
    string,
    () => { body: BodyInit; headers: Record<string, string> },
  ][] = [
    ["declared", () => ({ body: bytes, headers: { "content-length": String(bytes.length) } })],
    // Its Content-Length counts the compressed bytes; fetch hands over the inflated ones.
    [
      "inflated",
      () => ({
        body: compressed,
        headers: { "content-encoding": "gzip", "content-length": String(compressed.length) },
      }),
    ],
    [
      "unknown length",
      () => ({ body: ReadableStream.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), headers: {} }),
    ],
  ];
  for (const [what, answer] of cases) {
    await serving(answer, async (url) => {
      assert.equal(await readDeclared(await fetch(url), 1_000_000), text, what);
      assert.equal(await readDeclared(await fetch(url), 100_000), undefined, `${what}, over the limit`);
    });
  }
});

Deno.test("readPreview: at most the first bytes of a stream, the rest left unread", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull: (c) => {
      pulled++;
      c.enqueue(new TextEncoder().encode("e".repeat(300)));
    },
  });
  assert.equal(await readPreview(endless, 500), "e".repeat(500));
  assert.ok(pulled <= 3, `stopped after ${pulled} chunks`);
  assert.equal(await readPreview(streamOf(["short"])), "short");
  assert.equal(await readPreview(null), "");
});
