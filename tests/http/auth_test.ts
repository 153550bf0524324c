import assert from "node:assert/strict";
import { authChecker } from "../../src/http/auth.ts";

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
