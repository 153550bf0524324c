/**
 * One repository's visibility, asked of the GitHub REST API (`GET /repos/{owner}/{repo}`): `visibility`
 * where the server has it, else the older `private` flag.
 */
import { readLimited } from "../jsonrpc/framer.ts";

/** A repository's visibility. */
export type Visibility = "public" | "private" | "internal";

/** The visibility, or why it could not be learnt (never the token). */
export type VisibilityAnswer = { readonly visibility: Visibility } | { readonly failed: string };

/** The largest repository document read; GitHub's are a few KiB. */
const MAX_BYTES = 1024 * 1024;

/** Asks the API for a repository's visibility within `timeoutMs`. */
export async function repoVisibility(
  apiUrl: string,
  nwo: string,
  token: string,
  timeoutMs: number,
): Promise<VisibilityAnswer> {
  const [owner, repo, extra] = nwo.split("/");
  if (!owner || !repo || extra !== undefined) return { failed: `${JSON.stringify(nwo)} is not owner/repo` };
  const url = `${apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `token ${token}`,
        accept: "application/vnd.github+json",
        "user-agent": "awmg",
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { failed: `${url} did not answer: ${(error as Error).message}` };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return { failed: `${url} answered HTTP ${response.status}` };
  }
  let document: { visibility?: unknown; private?: unknown };
  try {
    // The fetch's own timeout bounds the read too; readLimited stops at the size bound.
    const text = await readLimited(response.body, MAX_BYTES);
    if (text === undefined) return { failed: `${url} answered more than a repository document` };
    document = JSON.parse(text);
  } catch (error) {
    return { failed: `${url} answered what is not a repository: ${(error as Error).message}` };
  }
  if (typeof document !== "object" || document === null) return { failed: `${url} answered no object` };
  const named = typeof document.visibility === "string" ? document.visibility.toLowerCase() : "";
  if (named === "public" || named === "private" || named === "internal") return { visibility: named };
  if (typeof document.private === "boolean") return { visibility: document.private ? "private" : "public" };
  return { failed: `${url} answered neither visibility nor private` };
}
