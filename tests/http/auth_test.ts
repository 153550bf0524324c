import assert from "node:assert/strict";
import { agentOf, authChecker, sameKey } from "../../src/http/auth.ts";

Deno.test("auth accepts the plain key and Bearer, names the identity, rejects the rest", () => {
  const check = authChecker(["first", "second"]);
  assert.deepEqual(check("first"), { kind: "ok", identity: 0 });
  assert.deepEqual(check("Bearer second"), { kind: "ok", identity: 1 });
  assert.deepEqual(check("bearer   second "), { kind: "ok", identity: 1 });
  assert.deepEqual(check(undefined), { kind: "missing" });
  assert.deepEqual(check("third"), { kind: "invalid" });
  for (const near of ["firs", "firstx", "fir\u0000t", "firsT", "\u0166irst", "secon"]) {
    assert.deepEqual(check(near), { kind: "invalid" }, `${JSON.stringify(near)} is not a key`);
  }
  assert.deepEqual(check("Bearer"), {
    kind: "malformed",
    reason: "the Authorization header holds no API key",
  });
  assert.deepEqual(check("Basic a b"), {
    kind: "malformed",
    reason: 'expected "Authorization: <api-key>" (or "Bearer <api-key>")',
  });
});

Deno.test("keys are compared in constant time: a guess wrong at its first character takes as long as one wrong at its last", () => {
  const expected = "k".repeat(1 << 20);
  const guesses = { first: `x${expected.slice(1)}`, last: `${expected.slice(0, -1)}x` };
  const time = (guess: string) => {
    const started = performance.now();
    for (let i = 0; i < 3; i++) assert.equal(sameKey(expected, guess), false);
    return performance.now() - started;
  };
  const rounds: Record<keyof typeof guesses, number[]> = { first: [], last: [] };
  for (let round = 0; round < 15; round++) {
    rounds.first.push(time(guesses.first));
    rounds.last.push(time(guesses.last));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  // An early exit makes the first guess a thousand times faster; the margin is for a busy machine.
  const ratio = median(rounds.first) / median(rounds.last);
  assert.ok(ratio > 0.4 && ratio < 2.5, `first/last = ${ratio.toFixed(3)}`);
  assert.equal(sameKey(expected, expected.slice()), true);
});

Deno.test("the guards' agent: X-Agent-ID within the key's identity, refused when malformed", () => {
  assert.deepEqual(agentOf(undefined, 0), { agent: "key0" });
  assert.deepEqual(agentOf("", 1), { agent: "key1" }, "an empty header counts as absent");
  assert.deepEqual(agentOf("reviewer-1", 0), { agent: "key0/reviewer-1" });
  assert.deepEqual(
    agentOf("reviewer-1", 1),
    { agent: "key1/reviewer-1" },
    "another key's agent of that name",
  );
  assert.deepEqual(agentOf("with\ttab", 0), { agent: "key0/with\ttab" }, "tab passes, as in Go");
  for (
    const bad of [
      "a/b",
      "a\\b",
      ".",
      "..",
      "nul\u0000",
      "esc\u001b[31m",
      "del\u007f",
      " padded",
      "x".repeat(257),
    ]
  ) {
    assert.ok("refused" in agentOf(bad, 0), JSON.stringify(bad));
  }
});
