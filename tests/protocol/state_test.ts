import assert from "node:assert/strict";
import { type StateClaims, StateSeal } from "../../src/protocol/state.ts";

const claims: StateClaims = {
  hold: "h1",
  identity: 0,
  server: "github",
  method: "tools/call",
  name: "create_issue",
  expires: 10_000,
};
const expected = { identity: 0, server: "github", method: "tools/call", name: "create_issue" };

Deno.test("a sealed state opens for the request it was given to, until it expires", async () => {
  const seal = new StateSeal();
  const state = await seal.seal(claims);
  assert.deepEqual(await seal.open(state, expected, 5_000), { kind: "ok", claims });
  assert.match(await reason(seal.open(state, expected, 10_001)), /expired/);
});

Deno.test("a state is refused when altered, foreign, from another run or for another request", async () => {
  const seal = new StateSeal();
  const state = await seal.seal(claims);
  const [body, mac] = state.split(".");
  const forged = btoa(JSON.stringify({ ...claims, server: "other" })).replace(/=+$/, "");
  assert.match(await reason(seal.open(`${forged}.${mac}`, expected, 0)), /signature/);
  assert.match(await reason(seal.open(`${body}.${mac.slice(1)}A`, expected, 0)), /signature|not a state/);
  assert.match(await reason(new StateSeal().open(state, expected, 0)), /another gateway run/);
  assert.match(await reason(seal.open(state, { ...expected, identity: 1 }, 0)), /another client/);
  assert.match(await reason(seal.open(state, { ...expected, server: "memory" }, 0)), /server 'github'/);
  assert.match(await reason(seal.open(state, { ...expected, name: "delete_repo" }, 0)), /another request/);
  for (const junk of [42, "", "no-dot", "a.b", "x".repeat(5000), `${body}.${"A".repeat(43)}`]) {
    assert.equal((await seal.open(junk, expected, 0)).kind, "refused", String(junk).slice(0, 20));
  }
});

async function reason(pending: ReturnType<StateSeal["open"]>): Promise<string> {
  const opened = await pending;
  return opened.kind === "refused" ? opened.reason : "opened";
}
