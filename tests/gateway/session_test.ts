import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { JsonRpcMessage } from "../../src/jsonrpc/messages.ts";
import { type MessageSink, ReplayLog, Session, SessionStore } from "../../src/gateway/session.ts";

function sink(): MessageSink & { got: [number | undefined, string][] } {
  const got: [number | undefined, string][] = [];
  return {
    got,
    send: (message: JsonRpcMessage, id?: number) =>
      got.push([id, "method" in message ? message.method : "?"]),
    close: () => {},
  };
}
const note = (method: string): JsonRpcMessage => ({ jsonrpc: "2.0", method });

Deno.test("a session keeps what arrives with no stream open, and replays after Last-Event-ID", () => {
  const session = new Session("s", 0);
  session.deliver(note("a"));
  const first = sink();
  session.attach(first);
  const [[a]] = first.got;
  assert.deepEqual(first.got, [[a, "a"]]);
  session.deliver(note("b"));
  assert.deepEqual(first.got.map(([, m]) => m), ["a", "b"]);
  const [, [b]] = first.got;
  assert.ok(b! > a!, "event ids grow");
  session.detach(first);
  session.deliver(note("c"));
  const resumed = sink();
  session.attach(resumed, b);
  assert.deepEqual(resumed.got.map(([, m]) => m), ["c"]);
  const second = sink();
  session.attach(second);
  assert.deepEqual(second.got, [], "a second stream gets only new messages");
});

Deno.test("a backend's broadcasts are kept once for all its sessions and replayed in order with their own", () => {
  const log = new ReplayLog();
  const early = log.append(note("before"), 10);
  const [one, two] = [new Session("s", 0), new Session("s", 0)];
  for (const session of [one, two]) session.listen(log);
  const broadcast = (method: string) => {
    const id = log.append(note(method), 10);
    for (const session of [one, two]) session.push(note(method), id);
  };
  broadcast("x");
  one.deliver(note("own"));
  broadcast("y");
  const stream = sink();
  one.attach(stream);
  assert.deepEqual(stream.got.map(([, m]) => m), ["x", "own", "y"], "merged by event id");
  assert.ok(stream.got.every(([id]) => id! > early), "a broadcast before the session opened is not replayed");
  const other = sink();
  two.attach(other);
  assert.deepEqual(other.got.map(([, m]) => m), ["x", "y"], "another session's own message stays its own");
});

Deno.test("the session store is bounded: the least recently used idle session goes first, busy ones stay", () => {
  const ended: string[] = [];
  const store = new SessionStore(60_000, 2, (session, why) => ended.push(`${session.endpoint}:${why}`));
  try {
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => new Session(name, 0));
    assert.ok(store.add(a) && store.add(b));
    store.touch(a.id);
    assert.ok(store.add(c), "b, used least recently, makes room");
    assert.deepEqual(ended, ["b:evicted"]);
    a.track(1, () => {});
    c.track(1, () => {});
    assert.equal(store.add(d), false, "every session is busy: the new one is refused, none is dropped");
    assert.equal(store.size, 2);
  } finally {
    store.close();
  }
});

Deno.test("at the bound, sessions used since they were queued get a second chance: the order of use decides", () => {
  const ended: string[] = [];
  const store = new SessionStore(60_000, 3, (session) => ended.push(session.endpoint));
  try {
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((name) => new Session(name, 0));
    for (const session of [a, b, c]) store.add(session);
    store.touch(a.id);
    store.touch(b.id);
    store.add(d);
    assert.deepEqual(ended, ["c"], "c, never used, goes before a and b, created earlier but used since");
    store.add(e);
    assert.deepEqual(ended, ["c", "a"], "then a, used before b, and b before d was made");
    assert.equal(store.size, 3);
  } finally {
    store.close();
  }
});

Deno.test("the replay kept for a session without a stream is bounded in bytes, not only in count", () => {
  const session = new Session("s", 0);
  for (const name of ["a", "b", "c"]) session.deliver(note(name), 512 * 1024);
  session.deliver(note("huge"), 2 * 1024 * 1024);
  const late = sink();
  session.attach(late);
  assert.deepEqual(
    late.got.map(([, m]) => m),
    ["b", "c"],
    "1.5 MiB of notifications leave only what fits in 1 MiB; one larger than the bound is not kept at all",
  );
  const log = new ReplayLog();
  for (let i = 0; i < 250; i++) log.append(note(`n${i}`), 1);
  assert.equal([...log.since(0, Date.now())].length, 200, "and in count");
});

Deno.test("a session keeps which capabilities the client declared, not the declaration: its size is the client's choice", async () => {
  setFlagsFromString("--expose-gc");
  const collectGarbage = runInNewContext("gc") as () => void;
  let declaration: Record<string, unknown> | undefined = {
    sampling: { padding: "x".repeat(1024 * 1024) },
    experimental: { more: "y".repeat(1024 * 1024) },
  };
  const declarationRef = new WeakRef(declaration);
  const session = new Session("s", 0, declaration);
  declaration = undefined;
  // A WeakRef holds its target until the current job ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  collectGarbage();
  assert.equal(declarationRef.deref(), undefined, "the 2 MB declaration is garbage once the session is made");
  assert.ok(session.declared("sampling"));
  assert.ok(!session.declared("roots") && !session.declared("elicitation"));
});
