import assert from "node:assert/strict";
import { markdownText, oneLine } from "../../src/observability/format.ts";
import { makeRedactor, shownUrl } from "../../src/observability/redact.ts";

Deno.test("redaction hides known secrets and token shapes", () => {
  const redact = makeRedactor(["my-api-key-123", "abc"]);
  assert.equal(redact("key=my-api-key-123 short=abc"), "key=[REDACTED] short=abc");
  assert.equal(redact("token ghp_abcdefghijklmnopqrstuvwxyz012345"), "token [REDACTED]");
  assert.equal(redact("github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "[REDACTED]");
  assert.equal(redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x"), "Authorization: Bearer [REDACTED]");
});

Deno.test("a secret is hidden in every form the logs show it: escaped, as Markdown, and a line at a time", () => {
  const key = '-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n"q" <x> Zm9vYmFy\r\nend';
  const redact = makeRedactor([key]);
  assert.equal(redact(`raw ${key}`), "raw [REDACTED]");
  assert.equal(redact(JSON.stringify({ text: key })), '{"text":"[REDACTED]"}');
  assert.equal(redact(oneLine(`value ${key}`)), "value [REDACTED]");
  assert.equal(redact(markdownText(`warning ${key}`)), "warning [REDACTED]");
  // Its lines, as a server's stderr writes them; "end" is too short to be told from ordinary text.
  assert.equal(redact("stderr: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw"), "stderr: [REDACTED]");
  assert.equal(redact(JSON.stringify('"q" <x> Zm9vYmFy')), '"[REDACTED]"');
  assert.equal(redact("the end"), "the end");
  // A document of more lines than a key has is found whole only: each log line is not searched for each line.
  const bundle = Array.from({ length: 129 }, (_, i) => `certificate line ${i} of a long bundle`).join("\n");
  const whole = makeRedactor([bundle]);
  assert.equal(whole(`[${bundle}]`), "[[REDACTED]]");
  assert.equal(whole("certificate line 7 of a long bundle"), "certificate line 7 of a long bundle");
});

Deno.test("a URL is shown without its user, its password and its query values", () => {
  assert.equal(
    shownUrl("https://alice:s3cret@example.com:8443/mcp/x?token=t0k&mode=a&mode=b#part"),
    "https://example.com:8443/mcp/x?token=[REDACTED]&mode=[REDACTED]",
  );
  assert.equal(shownUrl("https://example.com/mcp"), "https://example.com/mcp");
  assert.equal(
    shownUrl("rediss://:pw@cache.local:6380/0"),
    "rediss://cache.local:6380/0",
    "a scheme with no origin",
  );
  assert.equal(shownUrl("not a URL, maybe a secret"), "[REDACTED]");
});
