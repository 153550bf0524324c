/**
 * Labels and the flow rules of decentralized information flow control (DIFC), as the Go gateway's
 * `internal/difc/DIFC_RULES.md` states them:
 *
 * - read:  `A.secrecy ⊇ R.secrecy` and `R.integrity ⊇ A.integrity`
 * - write: `R.secrecy ⊇ A.secrecy` and `A.integrity ⊇ R.integrity`
 * - read-write: both.
 *
 * A set holding the wildcard tag `*` contains every tag. Pure: no I/O, no state.
 */

/** A secrecy scope such as `private:octo/repo`, or an integrity tag such as `approved:octo/repo`. */
export type Tag = string;

/** The tag that stands for every tag. */
export const WILDCARD: Tag = "*";

/** What a tool call does to the resource it names. */
export type Operation = "read" | "write" | "read-write";

/** The enforcement modes. */
export const MODES = ["strict", "filter", "propagate"] as const;

/**
 * strict: a read the agent may not see is refused; filter: the items it may not see are removed;
 * propagate: reads pass and taint the agent's labels. Writes are checked the same way in every mode.
 */
export type Mode = typeof MODES[number];

/** The secrecy and integrity of an agent or a resource. */
export interface Labels {
  readonly secrecy: ReadonlySet<Tag>;
  readonly integrity: ReadonlySet<Tag>;
}

/** A resource as a guard labelled it. */
export interface LabeledResource extends Labels {
  /** What the guard calls it, for messages and logs ("issue octo/repo#1"). */
  readonly description: string;
}

/** The verdict of one flow check. */
export type Verdict =
  | { readonly decision: "allow" }
  | {
    readonly decision: "deny" | "propagate";
    /** Secrecy tags the agent would have to carry. */
    readonly secrecyToAdd: readonly Tag[];
    /** Integrity tags the agent would have to give up. */
    readonly integrityToDrop: readonly Tag[];
    readonly reason: string;
  };

const ALLOW: Verdict = { decision: "allow" };

/** Builds labels from tag lists. */
export function labels(secrecy: Iterable<Tag> = [], integrity: Iterable<Tag> = []): Labels {
  return { secrecy: new Set(secrecy), integrity: new Set(integrity) };
}

/** Sorted copies of the tags, as logs and `/reflect` show them. */
export function sortedTags(of: Labels): { secrecy: Tag[]; integrity: Tag[] } {
  return { secrecy: [...of.secrecy].sort(), integrity: [...of.integrity].sort() };
}

/** The tags of `small` that `big` lacks: none when `big` holds the wildcard. */
export function lacking(big: ReadonlySet<Tag>, small: ReadonlySet<Tag>): Tag[] {
  if (big.has(WILDCARD)) return [];
  const out: Tag[] = [];
  for (const tag of small) if (!big.has(tag)) out.push(tag);
  return out;
}

/** "merged", "approved" or "unapproved" for integrity tags such as `approved:octo/repo`. */
export function integrityLevel(tags: readonly Tag[]): string {
  if (tags.length === 0) return "none";
  const levels = new Set(tags.map((tag) => tag.split(":")[0]));
  for (const level of ["merged", "approved", "unapproved"]) if (levels.has(level)) return `"${level}"`;
  return `[${tags.join(" ")}]`;
}

/** "private (octo/repo)" for secrecy tags such as `private:octo/repo`; "public" for none. */
export function secrecyScope(tags: readonly Tag[]): string {
  if (tags.length === 0) return "public";
  const scopes = tags.filter((tag) => tag.startsWith("private:")).map((tag) => tag.slice(8));
  const widest = scopes.reduce((best, scope) => scope.length > best.length ? scope : best, "");
  if (widest !== "") return `private (${widest})`;
  return tags.includes("private") ? "private" : `[${tags.join(" ")}]`;
}

function readVerdict(agent: Labels, resource: LabeledResource, mode: Mode): Verdict {
  const integrityToDrop = lacking(resource.integrity, agent.integrity);
  const secrecyToAdd = lacking(agent.secrecy, resource.secrecy);
  if (integrityToDrop.length === 0 && secrecyToAdd.length === 0) return ALLOW;
  if (mode === "propagate") {
    const parts = [
      ...(secrecyToAdd.length > 0 ? [`adding secrecy tags [${secrecyToAdd.join(" ")}]`] : []),
      ...(integrityToDrop.length > 0 ? [`dropping integrity tags [${integrityToDrop.join(" ")}]`] : []),
    ];
    return {
      decision: "propagate",
      secrecyToAdd,
      integrityToDrop,
      reason: `Read allowed with label propagation: ${parts.join(" and ")}`,
    };
  }
  if (integrityToDrop.length > 0) {
    return {
      decision: "deny",
      secrecyToAdd: [],
      integrityToDrop,
      reason: `Resource '${resource.description}' has lower integrity than agent requires. ` +
        `The agent cannot read data with integrity below ${integrityLevel(integrityToDrop)}.`,
    };
  }
  return {
    decision: "deny",
    secrecyToAdd,
    integrityToDrop: [],
    reason: `Resource '${resource.description}' has secrecy requirements that agent doesn't meet. ` +
      `The agent is not authorized to access ${secrecyScope(secrecyToAdd)}-scoped data.`,
  };
}

function writeVerdict(agent: Labels, resource: LabeledResource): Verdict {
  const integrityToDrop = lacking(agent.integrity, resource.integrity);
  if (integrityToDrop.length > 0) {
    return {
      decision: "deny",
      secrecyToAdd: [],
      integrityToDrop,
      reason: `Agent lacks required integrity to write to '${resource.description}'. ` +
        `The agent's integrity level is insufficient; it needs ${integrityLevel(integrityToDrop)} integrity.`,
    };
  }
  const secrecyToAdd = lacking(resource.secrecy, agent.secrecy);
  if (secrecyToAdd.length > 0) {
    return {
      decision: "deny",
      secrecyToAdd,
      integrityToDrop: [],
      reason:
        `Agent carries ${
          secrecyScope(secrecyToAdd)
        }-scoped data that cannot be written to '${resource.description}' ` +
        "due to secrecy constraints. The target resource is not authorized to receive this sensitive data.",
    };
  }
  return ALLOW;
}

/** Checks one access of `agent` to `resource`. Writes are never propagated, whatever the mode. */
export function evaluate(
  agent: Labels,
  resource: LabeledResource,
  operation: Operation,
  mode: Mode,
): Verdict {
  if (operation === "write") return writeVerdict(agent, resource);
  const read = readVerdict(agent, resource, mode);
  if (operation === "read" || read.decision === "deny") return read;
  const write = writeVerdict(agent, resource);
  return write.decision === "deny" ? write : read;
}
