import assert from "node:assert/strict";
import { jwtExpiry } from "../../src/backends/oidc.ts";

Deno.test("jwtExpiry reads exp from a JWT's payload (base64url, no padding), or gives up", () => {
  const payload = btoa(JSON.stringify({ exp: 1_900_000_000, sub: "repo:o/r??" })).replace(/=+$/, "")
    .replace(/\+/g, "-").replace(/\//g, "_");
  assert.equal(jwtExpiry(`h.${payload}.s`), 1_900_000_000_000);
  assert.equal(jwtExpiry("not-a-jwt"), undefined);
  assert.equal(jwtExpiry("h.!!!.s"), undefined);
  assert.equal(jwtExpiry(`h.${btoa('{"sub":"x"}')}.s`), undefined);
});
