/**
 * The labels of one agent (a client session): set by the guards' `label_agent`, tainted by reads in
 * propagate mode. The only mutable state of the DIFC engine.
 */
import { type Labels, sortedTags, type Tag, WILDCARD } from "./labels.ts";

/** Sorted copies of an agent's tags, as `/reflect` and the logs show them. */
export interface LabelSnapshot {
  readonly secrecy: readonly Tag[];
  readonly integrity: readonly Tag[];
}

/** How an agent's labels move when it reads: only ever more secrecy and less integrity. */
export interface LabelChange {
  /** Secrecy tags the agent now carries. */
  readonly secrecy: readonly Tag[];
  /** Integrity tags the agent lost. */
  readonly integrity: readonly Tag[];
}

/** Nothing to change. */
export const NO_CHANGE: LabelChange = { secrecy: [], integrity: [] };

/**
 * What absorbing `reads` changes in `agent`'s labels, as tags to add and to drop: a store shared by replicas
 * applies it as one atomic step, and changes from several replicas merge whatever their order.
 */
export function changeOf(agent: Labels, reads: readonly Labels[]): LabelChange {
  if (reads.length === 0) return NO_CHANGE;
  const after = new AgentLabels();
  after.add([...agent.secrecy], [...agent.integrity]);
  after.absorbAll(reads);
  return {
    secrecy: [...after.secrecy].filter((tag) => !agent.secrecy.has(tag)),
    integrity: [...agent.integrity].filter((tag) => !after.integrity.has(tag)),
  };
}

/** True when the change adds or drops nothing. */
export function isNoChange(change: LabelChange): boolean {
  return change.secrecy.length === 0 && change.integrity.length === 0;
}

/** One agent's secrecy and integrity. */
export class AgentLabels implements Labels {
  readonly secrecy = new Set<Tag>();
  readonly integrity = new Set<Tag>();

  /** Adds what a guard's `label_agent` gave (several guards add to the same agent). */
  add(secrecy: readonly Tag[], integrity: readonly Tag[]): void {
    for (const tag of secrecy) this.secrecy.add(tag);
    for (const tag of integrity) this.integrity.add(tag);
  }

  /**
   * Taints the agent with what it read: it now carries the data's secrecy, and keeps only the integrity
   * the data had. Applied per item, so one low-integrity item among trusted ones still lowers the agent.
   * True when the labels changed.
   */
  absorb(read: Labels): boolean {
    // Secrecy only grows and integrity only shrinks here, so their sizes tell whether either changed.
    const [secrecy, integrity] = [this.secrecy.size, this.integrity.size];
    for (const tag of read.secrecy) this.secrecy.add(tag);
    if (!read.integrity.has(WILDCARD)) {
      for (const tag of this.integrity) if (!read.integrity.has(tag)) this.integrity.delete(tag);
    }
    return this.secrecy.size !== secrecy || this.integrity.size !== integrity;
  }

  /** Applies a change another step computed (secrecy added, integrity dropped). */
  apply(change: LabelChange): void {
    for (const tag of change.secrecy) this.secrecy.add(tag);
    for (const tag of change.integrity) this.integrity.delete(tag);
  }

  /** Absorbs each read in turn; true when the labels changed. */
  absorbAll(reads: readonly Labels[]): boolean {
    let changed = false;
    for (const read of reads) changed = this.absorb(read) || changed;
    return changed;
  }

  /** Sorted copies of the tags. */
  snapshot(): LabelSnapshot {
    return sortedTags(this);
  }
}
