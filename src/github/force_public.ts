/**
 * `forcePublicRepos`: when the workflow's repository (`GITHUB_REPOSITORY`) is public, guarded servers read
 * public repositories only. One GitHub API lookup at start with the token the environment holds; a lookup
 * that fails leaves the policies as configured, with a warning, as the Go gateway does.
 */
import { githubApiUrl, githubToken } from "./api.ts";
import { repoVisibility } from "./visibility.ts";

/** How long the lookup may take. */
const LOOKUP_TIMEOUT_MS = 10_000;

/** The outcome: the public repository to narrow to, and what to log about it (a warning when forced or failed). */
export interface ForcedScope {
  readonly publicRepository?: string;
  readonly note?: string;
  readonly warning?: string;
}

/**
 * Looks the workflow's repository up, when the setting is on and the environment names one and a token.
 * The API and token are the environment's unless the caller has its own (the proxy's flags).
 */
export async function forcedPublicScope(
  enabled: boolean,
  env: (name: string) => string | undefined,
  api: { readonly apiUrl?: string; readonly token?: string } = {},
): Promise<ForcedScope> {
  const nwo = env("GITHUB_REPOSITORY")?.trim() ?? "";
  const token = api.token ?? githubToken(env);
  if (!enabled || nwo === "" || token === undefined) return {};
  const answer = await repoVisibility(api.apiUrl ?? githubApiUrl(env), nwo, token, LOOKUP_TIMEOUT_MS);
  if ("failed" in answer) {
    return {
      warning: `forcePublicRepos: cannot learn the visibility of ${nwo} (${answer.failed}); ` +
        "the guard policies stay as configured",
    };
  }
  if (answer.visibility !== "public") return { note: `forcePublicRepos: ${nwo} is ${answer.visibility}` };
  return {
    publicRepository: nwo,
    warning: `FORCED REPOS=PUBLIC: workflow repo ${nwo} is public — guarded reads are narrowed to public ` +
      "repositories, so private ones cannot be read",
  };
}
