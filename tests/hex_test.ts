import assert from "node:assert/strict";
import { hex, randomHex } from "../src/hex.ts";

Deno.test("hex: two lowercase digits a byte, leading zeros kept", () => {
  assert.equal(hex(new Uint8Array([0, 1, 15, 16, 171, 255])), "00010f10abff");
  assert.equal(hex(new Uint8Array(0)), "");
});

Deno.test("randomHex: 2 × count digits, not the same twice", () => {
  const [first, second] = [randomHex(16), randomHex(16)];
  assert.match(first, /^[0-9a-f]{32}$/);
  assert.notEqual(first, second);
});
