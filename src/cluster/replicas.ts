/**
 * The live replicas: each says it is alive with a heartbeat into the shared store (its name, its URL, a
 * deadline by the store's own clock, so replicas' clocks need not agree), and learns the others' from the
 * answer. A replica that stops beating is gone once its deadline passes; one that stops gracefully leaves
 * at once.
 */
import { getLogger } from "@logtape/logtape";
import { StoreFailure } from "../difc/store.ts";
import { type Script, script, type Store } from "./redis.ts";

/** One replica: its name and where the others reach it. */
export interface Replica {
  readonly id: string;
  readonly url: string;
}

/** Milliseconds between heartbeats, and after the last one before a replica counts as gone. */
export const HEARTBEAT_MS = 500;
export const GONE_AFTER_MS = 1500;

const KEYS = ["awmg:replicas", "awmg:replica-urls"];

/**
 * KEYS: deadlines (sorted set), URLs (hash); ARGV: id, URL, lifetime, "claim" on the first beat.
 * The live replicas as id, URL pairs; an error when claiming a name another live replica holds.
 */
const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[4] == 'claim' then
  local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
  local url = redis.call('HGET', KEYS[2], ARGV[1])
  if deadline and tonumber(deadline) > now and url ~= ARGV[2] then
    return redis.error_reply('TAKEN ' .. (url or ''))
  end
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(gone) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[2], id) or '')
end
return out`;

/** KEYS: deadlines, URLs; ARGV: id. */
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;

const log = getLogger(["awmg", "store"]);

/** This replica's heartbeat and what it last learned of the others. */
export class ReplicaRegistry {
  readonly self: Replica;
  readonly #store: Store;
  readonly #beat: Script;
  readonly #leave: Script;
  #live: readonly Replica[] = [];
  #timer?: ReturnType<typeof setInterval>;

  private constructor(store: Store, self: Replica, beat: Script, leave: Script) {
    this.#store = store;
    this.self = self;
    this.#beat = beat;
    this.#leave = leave;
  }

  /** Joins the replicas as `self`; rejects when another live replica has its name. */
  static async join(store: Store, self: Replica): Promise<ReplicaRegistry> {
    const registry = new ReplicaRegistry(store, self, await script(BEAT), await script(LEAVE));
    await registry.#heartbeat("claim").catch((error: StoreFailure) => {
      const taken = /TAKEN (\S*)/.exec(error.message);
      throw taken === null ? error : new StoreFailure(
        `replica name '${self.id}' is taken by the live replica at ${taken[1]}: give each replica its own ` +
          "MCP_GATEWAY_REPLICA_ID (or leave it unset for a random one)",
      );
    });
    registry.#timer = setInterval(() => {
      registry.#heartbeat("beat").catch((error: Error) =>
        log.warn("Heartbeat to the store failed: {detail}", { detail: error.message })
      );
    }, HEARTBEAT_MS);
    return registry;
  }

  async #heartbeat(kind: "claim" | "beat"): Promise<void> {
    const reply = await this.#store.run(this.#beat, KEYS, [
      this.self.id,
      this.self.url,
      String(GONE_AFTER_MS),
      kind,
    ]) as string[];
    const live: Replica[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) live.push({ id: reply[i], url: reply[i + 1] });
    this.#live = live;
  }

  /** The replicas live at the last heartbeat, this one among them. */
  live(): readonly Replica[] {
    return this.#live;
  }

  /** The URL of a live replica; undefined when it is gone (or was never one). */
  urlOf(id: string): string | undefined {
    return this.#live.find((replica) => replica.id === id)?.url;
  }

  /** Stops the heartbeat and leaves at once, so the others stop sending it retries. */
  async leave(): Promise<void> {
    clearInterval(this.#timer);
    await this.#store.run(this.#leave, KEYS, [this.self.id]).catch(() => undefined);
  }
}
