/**
 * The label stores keep one contract: the bound on agents, `label_agent`'s labels once ever, taints that only
 * move one way, counts that never pass their limit. The Redis store runs it against a real redis-server, and
 * is attacked where memory cannot be: concurrent replicas, odd agent ids, the store going away.
 */
import assert from "node:assert/strict";
import { RedisLabelStore } from "../../src/cluster/labels.ts";
import { Store } from "../../src/cluster/redis.ts";
import { type LabelStore, MemoryLabelStore, StoreFailure } from "../../src/difc/store.ts";
import { sortedTags } from "../../src/difc/labels.ts";
import { hasRedis, RunningRedis } from "../support/redis.ts";

const ignore = !hasRedis;
if (ignore) console.log("Redis store tests ignored: redis-server is not installed");

/** Runs `fn` with a Redis store of `maxAgents` (and its connection), the server stopped after. */
async function withRedis(
  maxAgents: number,
  fn: (labels: RedisLabelStore, redis: RunningRedis) => Promise<void>,
): Promise<void> {
  const redis = await new RunningRedis().start();
  const store = await Store.connect(redis.url);
  try {
    await fn(await RedisLabelStore.of(store, maxAgents), redis);
  } finally {
    await store.close();
    await redis.stop();
  }
}

async function contract(store: LabelStore): Promise<void> {
  assert.ok(await store.labels("a"));
  assert.ok(await store.labels("b:c}d"), "an id with the key separator is an agent like any other");
  assert.equal(await store.labels("third"), undefined, "the bound of two agents");
  await store.labelOnce("a", "github", ["private:o/r"], ["approved:o/r", "unapproved:o/r"]);
  await store.labelOnce("a", "github", [], ["merged:o/r"]);
  assert.deepEqual(sortedTags((await store.labels("a"))!), {
    secrecy: ["private:o/r"],
    integrity: ["approved:o/r", "unapproved:o/r"],
  }, "a server's label_agent labels apply once ever");
  const after = await store.taint("a", { secrecy: ["private:x/y"], integrity: ["approved:o/r"] });
  assert.deepEqual(sortedTags(after), {
    secrecy: ["private:o/r", "private:x/y"],
    integrity: ["unapproved:o/r"],
  });
  const takes = await Promise.all(Array.from({ length: 12 }, () => store.take("a", "github", "add", 5)));
  assert.equal(takes.filter(Boolean).length, 5, "exactly the limit passes, however many ask at once");
  assert.equal(await store.take("b:c}d", "github", "add", 5), true, "counts are per agent");
  const snapshot = await store.snapshot();
  assert.deepEqual(Object.keys(snapshot).sort(), ["a", "b:c}d"]);
  assert.deepEqual(snapshot.a.integrity, ["unapproved:o/r"]);
}

Deno.test("the memory store keeps the label store's contract", () => contract(new MemoryLabelStore(2)));

Deno.test({
  name: "the Redis store keeps the label store's contract",
  ignore,
  fn: () => withRedis(2, (labels) => contract(labels)),
});

Deno.test({
  name: "two replicas tainting one agent at once both land: secrecy only grows, integrity only shrinks",
  ignore,
  fn: () =>
    withRedis(10, async (first, redis) => {
      const other = await Store.connect(redis.url);
      try {
        const second = await RedisLabelStore.of(other, 10);
        await first.labels("agent");
        await first.labelOnce("agent", "s", [], ["a", "b", "c"]);
        await Promise.all([
          ...["x", "y", "z"].map((tag) => first.taint("agent", { secrecy: [tag], integrity: [] })),
          second.taint("agent", { secrecy: [], integrity: ["a"] }),
          second.taint("agent", { secrecy: ["w"], integrity: ["b"] }),
          second.labelOnce("agent", "s", [], ["a", "b"]),
        ]);
        assert.deepEqual(sortedTags((await second.labels("agent"))!), {
          secrecy: ["w", "x", "y", "z"],
          integrity: ["c"],
        });
      } finally {
        await other.close();
      }
    }),
});

Deno.test({
  name: "a store that is gone fails each call at once with a StoreFailure, and serves again once it is back",
  ignore,
  fn: () =>
    withRedis(10, async (labels, redis) => {
      await labels.taint("agent", { secrecy: ["kept"], integrity: [] });
      await redis.stop();
      const started = performance.now();
      await assert.rejects(labels.labels("agent"), (error: Error) => {
        assert.ok(error instanceof StoreFailure);
        assert.match(error.message, /the store redis:\/\/127\.0\.0\.1:\d+\/? did not answer/);
        return true;
      });
      assert.ok(performance.now() - started < 2500, "no wait for a reconnect");
      await redis.start();
      let labelsNow;
      for (let i = 0; i < 40 && labelsNow === undefined; i++) {
        labelsNow = await labels.labels("agent").catch(() => undefined);
        if (labelsNow === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(labelsNow, "the store answers again after its restart");
      assert.deepEqual(sortedTags(labelsNow).secrecy, [], "a restarted Redis without persistence is empty");
    }),
});

Deno.test({
  name: "an unreachable store at start is an error naming it, its password hidden",
  ignore,
  fn: async () => {
    const redis = new RunningRedis();
    await assert.rejects(
      Store.connect(`redis://:hunter2@127.0.0.1:${redis.port}`),
      (error: Error) => {
        assert.ok(error instanceof StoreFailure);
        assert.match(error.message, /cannot reach the store redis:\/\/127\.0\.0\.1/);
        assert.ok(!error.message.includes("hunter2"));
        return true;
      },
    );
  },
});
