/**
 * Which server a resource belongs to on the unified endpoint, where resources keep their URIs: the first
 * server to list a URI or a URI template keeps it, so that another server cannot take over its reads (a
 * server's listing leaves out what another owns), and a URI that two servers' templates match is refused
 * rather than guessed. Bounded: a server that lists without end cannot grow the table past its limits.
 */

/** URIs and templates recorded at most: past them, new ones are left unrouted (their reads are refused). */
export const ROUTE_LIMITS = { uris: 100_000, templates: 1_000 } as const;

/**
 * A matcher of a URI template (`file:///{path}`, `repo://{owner}/{name}`): its literal parts in order, each
 * expression standing for at least one character. Linear in the URI's length; a regular expression with a
 * lazy group per expression backtracked for seconds when a server listed a dozen expressions in a row.
 */
export function templateMatcher(template: string): (uri: string) => boolean {
  const literals = template.split(/\{[^}]*\}/);
  if (literals.length === 1) return (uri) => uri === template;
  const first = literals[0];
  const last = literals[literals.length - 1];
  const middle = literals.slice(1, -1);
  return (uri) => {
    if (!uri.startsWith(first) || !uri.endsWith(last)) return false;
    const end = uri.length - last.length;
    let at = first.length;
    for (const literal of middle) {
      // The earliest place leaves the most room for what follows; the expression before it takes one or more.
      const found = uri.indexOf(literal, at + 1);
      if (found === -1 || found + literal.length > end) return false;
      at = found + literal.length;
    }
    return end - at >= 1;
  };
}

/** Where a URI goes: its server, or why no server can be chosen. */
export type ResourceOwner = { readonly serverId: string } | { readonly refused: string };

/** The resource routes of the unified endpoint for one identity. */
export class ResourceRoutes {
  readonly #uris = new Map<string, string>();
  readonly #templates = new Map<
    string,
    { readonly matches: (uri: string) => boolean; readonly serverId: string }
  >();

  /**
   * Records the URIs (`field` "uri") or templates ("uriTemplate") of a page `serverId` listed, and returns
   * the items it may show: those whose URI or template another server listed first are left out.
   */
  claim<T extends Record<string, unknown>>(
    serverId: string,
    items: readonly T[],
    field: "uri" | "uriTemplate",
  ): T[] {
    return items.filter((item) => {
      const key = String(item[field]);
      const owner = field === "uri" ? this.#uris.get(key) : this.#templates.get(key)?.serverId;
      if (owner !== undefined) return owner === serverId;
      if (field === "uri" && this.#uris.size < ROUTE_LIMITS.uris) this.#uris.set(key, serverId);
      if (field === "uriTemplate" && this.#templates.size < ROUTE_LIMITS.templates) {
        this.#templates.set(key, { matches: templateMatcher(key), serverId });
      }
      return true;
    });
  }

  /** The server a URI goes to: the one that listed it, else the one whose templates match it. */
  owner(uri: string): ResourceOwner | undefined {
    const listed = this.#uris.get(uri);
    if (listed !== undefined) return { serverId: listed };
    const matching = new Set<string>();
    for (const template of this.#templates.values()) {
      if (template.matches(uri)) matching.add(template.serverId);
    }
    if (matching.size <= 1) {
      const [serverId] = matching;
      return serverId === undefined ? undefined : { serverId };
    }
    return { refused: `it matches resource templates of servers ${[...matching].join(" and ")}` };
  }
}
