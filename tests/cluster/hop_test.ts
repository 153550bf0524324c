/**
 * The hop between replicas is signed over everything the owner acts on: a hop it cannot verify (forged,
 * altered, stale, from another key, from itself) is refused, one signed under the current or the previous
 * key is taken. The sender's side is run for real: `forward` posts to a listener that checks it.
 */
import assert from "node:assert/strict";
import { HOP_HEADER, ReplicaHop } from "../../src/cluster/hop.ts";

const KEY = "k".repeat(32);
const OLD = "o".repeat(32);
const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ask" } });

/** What the owner receives from `sender`'s forward: the request as it arrived, its body read. */
async function received(
  sender: ReplicaHop,
  headers: Record<string, string> = {},
): Promise<[Request, string]> {
  let got: Promise<[Request, string]> | undefined;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    // A served request is closed once answered: keep a copy of what arrived.
    const copy = new Request(request.url, { method: request.method, headers: new Headers(request.headers) });
    got = request.text().then((text) => [copy, text]);
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  const replicas = { urlOf: () => `http://127.0.0.1:${server.addr.port}`, live: () => [] };
  const forwarding = new ReplicaHop(sender.self, [KEY], replicas);
  const request = new Request("http://front/mcp/asking?x=1", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "secret", ...headers },
    body,
  });
  const answer = await forwarding.forward("owner", request, body);
  assert.equal(answer?.status, 200);
  await answer?.body?.cancel();
  await server.shutdown();
  return await got!;
}

const none = { urlOf: () => undefined, live: () => [] };

Deno.test("a hop signed by another replica under the shared key verifies; no hop header is no hop", async () => {
  const owner = new ReplicaHop("owner", [KEY], none);
  const [request, text] = await received(new ReplicaHop("r2", [KEY], none));
  assert.equal(request.headers.get("authorization"), "secret", "the client's key goes with it");
  assert.deepEqual(await owner.verify(request, text), { ok: true });
  assert.equal(await owner.verify(new Request("http://x/mcp", { method: "POST" }), ""), undefined);
});

Deno.test("a hop altered in its body, path, headers or sender, or signed under another key, is refused", async () => {
  const owner = new ReplicaHop("owner", [KEY], none);
  const [request, text] = await received(new ReplicaHop("r2", [KEY], none), { "x-agent-id": "a" });
  const hop = request.headers.get(HOP_HEADER)!;
  const copy = (url: string, change: Record<string, string> = {}) =>
    new Request(url, { method: "POST", headers: { ...Object.fromEntries(request.headers), ...change } });
  const reasons = await Promise.all([
    owner.verify(copy(request.url), text.replace("ask", "ask2")),
    owner.verify(copy(request.url.replace("asking", "other")), text),
    owner.verify(copy(request.url, { "x-agent-id": "b" }), text),
    owner.verify(copy(request.url, { [HOP_HEADER]: hop.replace(/^r2\./, "r3.") }), text),
    owner.verify(copy(request.url, { [HOP_HEADER]: "owner." + hop.slice(3) }), text),
    new ReplicaHop("owner", ["z".repeat(32)], none).verify(copy(request.url), text),
    owner.verify(copy(request.url, { [HOP_HEADER]: "r2.1.AAAA" }), text),
  ]);
  assert.deepEqual(reasons.map((check) => check?.ok === false && check.reason), [
    "the hop's signature does not verify",
    "the hop's signature does not verify",
    "the hop's signature does not verify",
    "the hop's signature does not verify",
    "the hop names this replica as its sender",
    "the hop's signature does not verify",
    "the hop header is malformed",
  ]);
});

Deno.test("a stale hop is refused; during a rotation the previous key still verifies", async () => {
  const [request, text] = await received(new ReplicaHop("r2", [KEY], none));
  const rotated = new ReplicaHop("owner", ["n".repeat(32), KEY], none);
  assert.deepEqual(await rotated.verify(request, text), { ok: true }, "the previous key is accepted");
  assert.deepEqual(await rotated.verify(request, text, Date.now() + 60_000), {
    ok: false,
    reason: "the hop is stale",
  });
  assert.equal((await new ReplicaHop("owner", [OLD], none).verify(request, text))?.ok, false);
});

Deno.test("a hop to a replica that is gone is no answer, so the client is told to start over", async () => {
  const request = new Request("http://front/mcp/asking", { method: "POST", body });
  assert.equal(await new ReplicaHop("r2", [KEY], none).forward("gone", request, body), undefined);
  const dead = { urlOf: () => "http://127.0.0.1:9", live: () => [] };
  assert.equal(await new ReplicaHop("r2", [KEY], dead).forward("dead", request, body), undefined);
});
