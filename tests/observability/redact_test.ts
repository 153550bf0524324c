import assert from "node:assert/strict";
import { makeRedactor, shownUrl } from "../../src/observability/redact.ts";

Deno.test("redaction hides known secrets and token shapes", () => {
  const redact = makeRedactor(["my-api-key-123", "abc"]);
  assert.equal(redact("key=my-api-key-123 short=abc"), "key=[REDACTED] short=abc");
  assert.equal(redact("token ghp_abcdefghijklmnopqrstuvwxyz012345"), "token [REDACTED]");
  assert.equal(redact("github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "[REDACTED]");
  assert.equal(redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x"), "Authorization: Bearer [REDACTED]");
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
