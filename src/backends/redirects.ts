/**
 * A remote MCP server's redirects are not followed: fetch would carry the headers its config gives it (an API
 * key, say; only `Authorization` is dropped across origins) to wherever the redirect points, any host the
 * gateway can reach included. A redirect is refused, naming the URL to configure instead.
 */

/** What every request to a remote server asks of fetch. */
export const NO_REDIRECTS = { redirect: "manual" } as const satisfies RequestInit;

/** Why an answer of `status` from the server at `shown` (its URL as logs show it) is refused, if it redirects. */
export function redirectRefusal(status: number, shown: string): string | undefined {
  if (status < 300 || status > 399) return undefined;
  return `${shown} answered with a redirect (HTTP ${status}); awmg does not follow a server's redirects, which ` +
    "would take its configured headers along: configure the URL it redirects to";
}
