/**
 * Where agents' labels and call counts live: in this process (the default), or in a store every replica
 * shares. The store keeps what it is told; it never judges. Every change only moves one way (secrecy grows,
 * integrity shrinks, counts rise), so replicas that change one agent at once merge safely, each change one
 * atomic step.
 */
import { AgentLabels, type LabelChange, type LabelSnapshot } from "./agent.ts";
import type { Labels, Tag } from "./labels.ts";

/** A store that did not answer (unreachable, timed out, or refused the command); says which and why. */
export class StoreFailure extends Error {
  override readonly name = "StoreFailure";
}

/** The labels and counts of every agent. A store that cannot answer rejects: callers refuse the call. */
export interface LabelStore {
  /** The agent's labels now; undefined when the store keeps its bound of other agents already. */
  labels(agent: string): Promise<Labels | undefined>;
  /** Adds what a guard's `label_agent` gave for `server`, once per agent and server ever. */
  labelOnce(agent: string, server: string, secrecy: readonly Tag[], integrity: readonly Tag[]): Promise<void>;
  /** Applies what a read changed (difc's `changeOf`); the agent's labels after it. */
  taint(agent: string, change: LabelChange): Promise<Labels>;
  /** Counts one call of `tool` on `server` if fewer than `limit` were made; false when they are used up. */
  take(agent: string, server: string, tool: string, limit: number): Promise<boolean>;
  /** Every agent's labels, sorted, as `/reflect` shows them. */
  snapshot(): Promise<Record<string, LabelSnapshot>>;
}

interface MemoryAgent {
  readonly labels: AgentLabels;
  /** The servers whose `label_agent` labels the agent carries. */
  readonly labelled: Set<string>;
  readonly calls: Map<string, number>;
}

/** The labels of this process alone, bounded in agents (forgetting one would give back clean labels). */
export class MemoryLabelStore implements LabelStore {
  readonly #agents = new Map<string, MemoryAgent>();
  readonly #maxAgents: number;

  constructor(maxAgents: number) {
    this.#maxAgents = maxAgents;
  }

  #agent(id: string): MemoryAgent | undefined {
    let agent = this.#agents.get(id);
    if (agent === undefined && this.#agents.size < this.#maxAgents) {
      agent = { labels: new AgentLabels(), labelled: new Set(), calls: new Map() };
      this.#agents.set(id, agent);
    }
    return agent;
  }

  labels(agent: string): Promise<Labels | undefined> {
    return Promise.resolve(this.#agent(agent)?.labels);
  }

  labelOnce(
    agent: string,
    server: string,
    secrecy: readonly Tag[],
    integrity: readonly Tag[],
  ): Promise<void> {
    const state = this.#agent(agent);
    if (state !== undefined && !state.labelled.has(server)) {
      state.labelled.add(server);
      state.labels.add(secrecy, integrity);
    }
    return Promise.resolve();
  }

  taint(agent: string, change: LabelChange): Promise<Labels> {
    const labels = this.#agent(agent)?.labels ?? new AgentLabels();
    labels.apply(change);
    return Promise.resolve(labels);
  }

  take(agent: string, server: string, tool: string, limit: number): Promise<boolean> {
    const calls = this.#agent(agent)?.calls;
    if (calls === undefined) return Promise.resolve(false);
    const key = `${server}\u0000${tool}`;
    const made = calls.get(key) ?? 0;
    if (made >= limit) return Promise.resolve(false);
    calls.set(key, made + 1);
    return Promise.resolve(true);
  }

  snapshot(): Promise<Record<string, LabelSnapshot>> {
    const agents: Record<string, LabelSnapshot> = {};
    for (const [id, agent] of this.#agents) agents[id] = agent.labels.snapshot();
    return Promise.resolve(agents);
  }
}
