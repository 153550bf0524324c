import assert from "node:assert/strict";
import { isRateLimitResult, RateLimitBreaker } from "../../src/gateway/breaker.ts";

Deno.test("the breaker opens after the threshold, fails fast for the cooldown, then lets one trial through", () => {
  const changes: string[] = [];
  const breaker = new RateLimitBreaker(3, 1000, (from, to) => changes.push(`${from}->${to}`));
  breaker.record(true, 0);
  breaker.record(false, 1);
  breaker.record(true, 2);
  breaker.record(true, 3);
  assert.deepEqual(
    breaker.allow(4),
    { allowed: true, trial: false },
    "a success in between resets the count",
  );
  breaker.record(true, 5);
  assert.deepEqual(breaker.state, { kind: "open", reopensAt: 1005 });
  assert.deepEqual(breaker.allow(500), { allowed: false, reopensAt: 1005, trialInFlight: false });
  assert.deepEqual(breaker.allow(1005), { allowed: true, trial: true });
  assert.equal(breaker.allow(1006).allowed, false, "only one trial call at a time");
  breaker.record(true, 1010);
  assert.deepEqual(breaker.state, { kind: "open", reopensAt: 2010 }, "a rate-limited trial opens it again");
  assert.equal(breaker.allow(2010).allowed, true);
  breaker.release(2011);
  assert.deepEqual(
    breaker.allow(2012),
    { allowed: true, trial: true },
    "a trial without an answer frees the slot",
  );
  breaker.record(false, 2013);
  assert.deepEqual(breaker.state, { kind: "closed", failures: 0 });
  assert.deepEqual(changes, [
    "closed->open",
    "open->half-open",
    "half-open->open",
    "open->half-open",
    "half-open->open",
    "open->half-open",
    "half-open->closed",
  ]);
});

Deno.test("rate-limit tool results: GitHub's phrasings in an error result, nothing else", () => {
  const error = (text: string) => ({ isError: true, content: [{ type: "text", text }] });
  for (
    const text of [
      "403 API rate limit exceeded for user",
      "You have exceeded a secondary rate limit",
      "429 Too Many Requests",
      "rate limit hit (HTTP 403)",
    ]
  ) assert.equal(isRateLimitResult(error(text)), true, text);
  assert.equal(isRateLimitResult(error("404 Not Found")), false);
  assert.equal(isRateLimitResult({ content: [{ type: "text", text: "API rate limit exceeded" }] }), false);
  assert.equal(isRateLimitResult(undefined), false);
  assert.equal(
    isRateLimitResult(error(`403 API rate limit exceeded ${"rate limit ".repeat(100_000)}`)),
    true,
    "a huge text is searched in its first 4 KB only, where the message is",
  );
  assert.equal(isRateLimitResult(error(`${"x".repeat(10_000)} API rate limit exceeded`)), false);
});
