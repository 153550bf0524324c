import assert from "node:assert/strict";
import { makeRedactor } from "../../src/observability/redact.ts";

Deno.test("redaction hides known secrets and token shapes", () => {
  const redact = makeRedactor(["my-api-key-123", "abc"]);
  assert.equal(redact("key=my-api-key-123 short=abc"), "key=[REDACTED] short=abc");
  assert.equal(redact("token ghp_abcdefghijklmnopqrstuvwxyz012345"), "token [REDACTED]");
  assert.equal(redact("github_pat_11ABCDEFG0123456789_abcdefghijklmnop"), "[REDACTED]");
  assert.equal(redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x"), "Authorization: Bearer [REDACTED]");
});
