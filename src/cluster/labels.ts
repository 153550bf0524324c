/**
 * Agents' labels and call counts in the shared store, so every replica judges an agent by the same labels.
 * Each operation is one Lua script, atomic in Redis: the bound on agents with the first sight of one, the
 * once-ever `label_agent` labels, a taint (tags added and dropped, as difc computed them), a count below
 * its limit. Keys: `awmg:agents` (the set of agent ids) and `awmg:agent:<id>:<s|i|l|c>` (secrecy,
 * integrity, servers labelled, call counts), the id percent-encoded so no id reaches another's keys.
 */
import { AgentLabels, type LabelChange, type LabelSnapshot } from "../difc/agent.ts";
import type { Labels, Tag } from "../difc/labels.ts";
import { type LabelStore, StoreFailure } from "../difc/store.ts";
import { type Script, script, type Store } from "./redis.ts";

const AGENTS = "awmg:agents";
const AGENT_PREFIX = "awmg:agent:";

/** The keys of one agent's state. */
function keysOf(agent: string) {
  const id = encodeURIComponent(agent);
  const base = `${AGENT_PREFIX}${id}`;
  return { id, secrecy: `${base}:s`, integrity: `${base}:i`, labelled: `${base}:l`, calls: `${base}:c` };
}

const SCRIPTS = {
  /** KEYS: agents, secrecy, integrity; ARGV: encoded agent id, bound. Its tags, or nil past the bound. */
  labels: `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return false end
  redis.call('SADD', KEYS[1], ARGV[1])
end
return {redis.call('SMEMBERS', KEYS[2]), redis.call('SMEMBERS', KEYS[3])}`,
  /** KEYS: labelled, secrecy, integrity; ARGV: server, count of secrecy tags, the tags of both. */
  labelOnce: `
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  local n = tonumber(ARGV[2])
  for j = 3, 2 + n do redis.call('SADD', KEYS[2], ARGV[j]) end
  for j = 3 + n, #ARGV do redis.call('SADD', KEYS[3], ARGV[j]) end
end
return 1`,
  /** KEYS: secrecy, integrity; ARGV: count of secrecy tags to add, those, then integrity tags to drop. */
  taint: `
local n = tonumber(ARGV[1])
for j = 2, 1 + n do redis.call('SADD', KEYS[1], ARGV[j]) end
for j = 2 + n, #ARGV do redis.call('SREM', KEYS[2], ARGV[j]) end
return {redis.call('SMEMBERS', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}`,
  /** KEYS: calls; ARGV: server and tool, limit. 1 when counted, 0 when the limit is used up. */
  take: `
local made = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if made >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1`,
  /** KEYS: agents; ARGV: the key prefix of agents. Each encoded agent id followed by its tags. */
  snapshot: `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local base = ARGV[1] .. id
  table.insert(out, id)
  table.insert(out, redis.call('SMEMBERS', base .. ':s'))
  table.insert(out, redis.call('SMEMBERS', base .. ':i'))
end
return out`,
} as const;

type Scripts = Record<keyof typeof SCRIPTS, Script>;

function tagsOf(reply: unknown): AgentLabels {
  const [secrecy, integrity] = reply as [string[], string[]];
  const labels = new AgentLabels();
  labels.add(secrecy, integrity);
  return labels;
}

/** Labels kept in Redis, bounded in agents across all replicas. */
export class RedisLabelStore implements LabelStore {
  readonly #store: Store;
  readonly #scripts: Scripts;
  readonly #maxAgents: number;

  private constructor(store: Store, scripts: Scripts, maxAgents: number) {
    this.#store = store;
    this.#scripts = scripts;
    this.#maxAgents = maxAgents;
  }

  /** The labels of agents in `store`, at most `maxAgents` of them. */
  static async of(store: Store, maxAgents: number): Promise<RedisLabelStore> {
    const entries = await Promise.all(
      Object.entries(SCRIPTS).map(async ([name, text]) => [name, await script(text)] as const),
    );
    return new RedisLabelStore(store, Object.fromEntries(entries) as Scripts, maxAgents);
  }

  async labels(agent: string): Promise<Labels | undefined> {
    const keys = keysOf(agent);
    const reply = await this.#store.run(this.#scripts.labels, [AGENTS, keys.secrecy, keys.integrity], [
      keys.id,
      String(this.#maxAgents),
    ]);
    return reply === null ? undefined : tagsOf(reply);
  }

  async labelOnce(
    agent: string,
    server: string,
    secrecy: readonly Tag[],
    integrity: readonly Tag[],
  ): Promise<void> {
    const keys = keysOf(agent);
    await this.#store.run(
      this.#scripts.labelOnce,
      [keys.labelled, keys.secrecy, keys.integrity],
      [server, String(secrecy.length), ...secrecy, ...integrity],
    );
  }

  async taint(agent: string, change: LabelChange): Promise<Labels> {
    const keys = keysOf(agent);
    const reply = await this.#store.run(
      this.#scripts.taint,
      [keys.secrecy, keys.integrity],
      [String(change.secrecy.length), ...change.secrecy, ...change.integrity],
    );
    return tagsOf(reply);
  }

  async take(agent: string, server: string, tool: string, limit: number): Promise<boolean> {
    const reply = await this.#store.run(this.#scripts.take, [keysOf(agent).calls], [
      `${server}\u0000${tool}`,
      String(limit),
    ]);
    return reply === 1;
  }

  async snapshot(): Promise<Record<string, LabelSnapshot>> {
    const reply = await this.#store.run(this.#scripts.snapshot, [AGENTS], [AGENT_PREFIX]);
    if (!Array.isArray(reply) || reply.length % 3 !== 0) {
      throw new StoreFailure("the store's answer to a snapshot of the labels is malformed");
    }
    const agents: Record<string, LabelSnapshot> = {};
    for (let i = 0; i < reply.length; i += 3) {
      agents[decodeURIComponent(reply[i] as string)] = tagsOf([reply[i + 1], reply[i + 2]]).snapshot();
    }
    return agents;
  }
}
