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

  /** Sorted copies of the tags. */
  snapshot(): LabelSnapshot {
    return sortedTags(this);
  }
}
