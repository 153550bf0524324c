/**
 * The reference monitor's session state across guard restarts. The guard here is scripted in the test (the
 * WebAssembly test guard cannot fail `label_agent` only after a restart); every other path runs the real
 * guard in tests/e2e/guards_test.ts.
 */
import assert from "node:assert/strict";
import { GuardedCalls } from "../../src/gateway/guarded.ts";
import { labels } from "../../src/difc/labels.ts";
import { type LabelStore, MemoryLabelStore, StoreFailure } from "../../src/difc/store.ts";
import type { AgentLabelling, Guard } from "../../src/guards/guard.ts";
import { GuardFailure } from "../../src/guards/host.ts";
import type { ServerGuard } from "../../src/guards/registry.ts";

/** A guard whose label_agent answers as scripted, one answer per call. */
function scripted(
  answers: (AgentLabelling | "fail")[],
  delayMs = 0,
): Guard & { generation: number; dropped: string[]; unanswered: () => number } {
  const dropped: string[] = [];
  return {
    dropped,
    unanswered: () => answers.length,
    name: "scripted",
    generation: 0,
    labelAgent() {
      const answer = answers.shift();
      return new Promise((resolve, reject) =>
        setTimeout(
          () =>
            answer === "fail" || answer === undefined
              ? reject(new GuardFailure("scripted", "label_agent", "refused"))
              : resolve(answer),
          delayMs,
        )
      );
    },
    labelResource(tool: string) {
      const untrusted = tool === "read_untrusted";
      return Promise.resolve({
        resource: {
          description: tool,
          ...labels([], untrusted ? ["unapproved"] : ["unapproved", "approved"]),
        },
        operation: tool.startsWith("read") ? "read" as const : "write" as const,
      });
    },
    labelResponse: () => Promise.resolve(undefined),
    drop(agent: string) {
      dropped.push(agent);
    },
    close() {},
  };
}

/** The monitor of one server "s" guarded by `guard`, in propagate mode, with the given bounds. */
function monitorOf(
  guard: Guard,
  bounds: { maxAgents: number; liveInstances: number },
  store: LabelStore = new MemoryLabelStore(bounds.maxAgents),
): GuardedCalls {
  const server: ServerGuard = { guard, policy: undefined, toolCallLimits: {}, origin: "test" };
  return new GuardedCalls({
    guards: new Map([["s", server]]),
    mode: "propagate",
    modeChosen: true,
    store,
    ...bounds,
    timeoutMs: () => 1000,
  });
}

Deno.test("a restarted guard's label_agent never gives back integrity a read took away, even after it failed", async () => {
  const trusted: AgentLabelling = { secrecy: [], integrity: ["unapproved", "approved"], mode: "propagate" };
  const guard = scripted([trusted, "fail", trusted]);
  const monitor = monitorOf(guard, { maxAgents: 10, liveInstances: 10 });
  const noBackend = () => Promise.reject(new Error("no backend"));
  const call = async (tool: string) => {
    const checked = await monitor.check("s", "agent", tool, {}, noBackend);
    return checked.kind === "forward"
      ? await checked.after({ content: [] }, '{"content":[]}')
      : checked.shown;
  };
  assert.deepEqual(await call("read_untrusted"), { result: { content: [] } });
  assert.deepEqual((await monitor.reflect()).agents.agent.integrity, ["unapproved"], "tainted by the read");
  guard.generation++;
  assert.ok("error" in await call("write_issue"), "label_agent failed after the restart: refused");
  const again = await call("write_issue");
  assert.ok(
    "result" in again && (again.result as { isError?: boolean }).isError,
    "the write is refused by DIFC",
  );
  assert.deepEqual(
    (await monitor.reflect()).agents.agent.integrity,
    ["unapproved"],
    "integrity was not given back",
  );
});

Deno.test("agents are bounded: past gateway.maxAgents a new agent is refused, known ones keep their labels", async () => {
  const trusted: AgentLabelling = { secrecy: [], integrity: ["unapproved", "approved"], mode: "propagate" };
  const guard = scripted([trusted, trusted, trusted]);
  const monitor = monitorOf(guard, { maxAgents: 2, liveInstances: 10 });
  const noBackend = () => Promise.reject(new Error("no backend"));
  const kind = async (agent: string) =>
    (await monitor.check("s", agent, "read_untrusted", {}, noBackend)).kind;
  assert.equal(await kind("key0/a"), "forward");
  assert.equal(await kind("key0/b"), "forward");
  const refused = await monitor.check("s", "key0/c", "read_untrusted", {}, noBackend);
  assert.ok(refused.kind === "answer" && "error" in refused.shown);
  assert.equal(refused.shown.error.message, "Too many agents");
  assert.match(String((refused.shown.error.data as { detail: string }).detail), /gateway\.maxAgents/);
  assert.equal(await kind("key0/a"), "forward", "a known agent still calls");
  assert.deepEqual(Object.keys((await monitor.reflect()).agents).sort(), ["key0/a", "key0/b"]);
});

Deno.test("guard instances are bounded: the least recently used agent's are dropped, its labels kept", async () => {
  const trusted: AgentLabelling = { secrecy: [], integrity: ["unapproved", "approved"], mode: "propagate" };
  const guard = scripted([trusted, trusted, trusted, trusted]);
  const monitor = monitorOf(guard, { maxAgents: 10, liveInstances: 2 });
  const noBackend = () => Promise.reject(new Error("no backend"));
  const read = async (agent: string) => {
    const checked = await monitor.check("s", agent, "read_untrusted", {}, noBackend);
    if (checked.kind === "forward") await checked.after({ content: [] }, '{"content":[]}');
  };
  await read("a");
  await read("b");
  assert.deepEqual(guard.dropped, []);
  await read("c");
  assert.deepEqual(guard.dropped, ["a"], "the least recently used agent's instance goes");
  assert.deepEqual(
    (await monitor.reflect()).agents.a.integrity,
    ["unapproved"],
    "its labels stay: the taint is kept",
  );
  await read("a");
  assert.deepEqual(guard.dropped, ["a", "b"]);
  assert.equal(guard.unanswered(), 0, "label_agent ran again in a's new instance (four runs for a, b, c, a)");
  assert.deepEqual(
    (await monitor.reflect()).agents.a.integrity,
    ["unapproved"],
    "and gave back no integrity",
  );
});

/** A memory store whose `fail` methods reject as a store that does not answer. */
function failing(...fail: ("labels" | "taint" | "take")[]): LabelStore {
  const store = new MemoryLabelStore(10);
  const down = () => Promise.reject(new StoreFailure("the store redis://cache did not answer: timed out"));
  return {
    labels: (agent) => fail.includes("labels") ? down() : store.labels(agent),
    labelOnce: (...args) => store.labelOnce(...args),
    taint: (agent, change) => fail.includes("taint") ? down() : store.taint(agent, change),
    take: (...args) => fail.includes("take") ? down() : store.take(...args),
    snapshot: () => store.snapshot(),
  };
}

Deno.test("a store that does not answer: the call is refused, and a read whose taint it cannot keep is not shown", async () => {
  const trusted: AgentLabelling = { secrecy: [], integrity: ["unapproved", "approved"], mode: "propagate" };
  const noBackend = () => Promise.reject(new Error("no backend"));
  const unread = monitorOf(scripted([trusted]), { maxAgents: 10, liveInstances: 10 }, failing("labels"));
  const refused = await unread.check("s", "a", "read_untrusted", {}, noBackend);
  assert.ok(refused.kind === "answer" && "error" in refused.shown, "labels it cannot read: refused");
  assert.equal(
    refused.shown.error.message,
    "The label store is unavailable, so the guarded call was refused",
  );
  assert.match(String((refused.shown.error.data as { detail: string }).detail), /did not answer: timed out/);

  const untainted = monitorOf(scripted([trusted]), { maxAgents: 10, liveInstances: 10 }, failing("taint"));
  const checked = await untainted.check("s", "a", "read_untrusted", {}, noBackend);
  assert.equal(checked.kind, "forward", "labels it can read: the call goes on");
  const shown = checked.kind === "forward" ? await checked.after({ content: ["secret"] }, "{}") : undefined;
  assert.ok(shown !== undefined && "error" in shown, "the read would taint the agent: not shown");
  assert.equal(shown.error.message, "The label store is unavailable, so the guarded call was refused");
});

Deno.test("a call that arrives while label_agent still runs is judged with the labels it gives", async () => {
  const trusted: AgentLabelling = { secrecy: [], integrity: ["unapproved", "approved"], mode: "propagate" };
  const secret: AgentLabelling = { secrecy: ["private:o/r"], integrity: [], mode: "propagate" };
  // Labels read from the store are copies, as Redis gives them: a read before label_agent ended lacks its tags.
  const memory = new MemoryLabelStore(10);
  const copies: LabelStore = {
    labels: async (agent) => {
      const now = await memory.labels(agent);
      return now && labels([...now.secrecy], [...now.integrity]);
    },
    labelOnce: (...args) => memory.labelOnce(...args),
    taint: (...args) => memory.taint(...args),
    take: (...args) => memory.take(...args),
    snapshot: () => memory.snapshot(),
  };
  const server = (guard: Guard): ServerGuard => ({
    guard,
    policy: undefined,
    toolCallLimits: {},
    origin: "test",
  });
  const monitor = new GuardedCalls({
    guards: new Map([["s", server(scripted([trusted]))], ["t", server(scripted([secret], 50))]]),
    mode: "propagate",
    modeChosen: true,
    store: copies,
    maxAgents: 10,
    liveInstances: 10,
    timeoutMs: () => 1000,
  });
  const noBackend = () => Promise.reject(new Error("no backend"));
  assert.equal((await monitor.check("s", "a", "write_issue", {}, noBackend)).kind, "forward", "s trusts a");
  const [read, write] = await Promise.all([
    monitor.check("t", "a", "read_x", {}, noBackend),
    monitor.check("t", "a", "write_issue", {}, noBackend),
  ]);
  assert.equal(read.kind, "forward");
  assert.ok(write.kind === "answer" && "result" in write.shown, "the write is judged by t's secrecy too");
  assert.match(JSON.stringify(write.shown.result), /DIFC Violation/);
});
