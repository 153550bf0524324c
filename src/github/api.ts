/**
 * Where the GitHub API is and which token reaches it, from the environment of an Actions runner, as the Go
 * gateway finds them: `GITHUB_API_URL`, else derived from `GITHUB_SERVER_URL` (github.com, a `*.ghe.com`
 * tenant's `api.` host, a GHES server's `/api/v3`), else github.com's API.
 */

/** github.com's REST API. */
export const DEFAULT_API_URL = "https://api.github.com";

/** The variables a GitHub token is looked up in, first set wins. */
export const TOKEN_VARIABLES = [
  "GITHUB_MCP_SERVER_TOKEN",
  "GITHUB_TOKEN",
  "GITHUB_PERSONAL_ACCESS_TOKEN",
  "GH_TOKEN",
] as const;

/** The API of a GitHub server URL; undefined when it is not an http(s) URL with a host. */
export function apiUrlOfServer(serverUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(serverUrl.trim().replace(/\/+$/, ""));
  } catch {
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return undefined;
  const host = url.hostname.toLowerCase();
  if (host === "github.com" || host === "www.github.com") return DEFAULT_API_URL;
  const port = url.port === "" ? "" : `:${url.port}`;
  if (host.endsWith(".ghe.com")) {
    return host.startsWith("api.") ? `${url.protocol}//${url.host}` : `${url.protocol}//api.${host}${port}`;
  }
  return `${url.protocol}//${url.host}/api/v3`;
}

/** The API base URL, without a trailing slash. */
export function githubApiUrl(env: (name: string) => string | undefined): string {
  const explicit = env("GITHUB_API_URL")?.trim() ?? "";
  if (explicit !== "") return explicit.replace(/\/+$/, "");
  const server = env("GITHUB_SERVER_URL")?.trim() ?? "";
  return (server === "" ? undefined : apiUrlOfServer(server)) ?? DEFAULT_API_URL;
}

/** The first GitHub token the environment holds, or undefined. */
export function githubToken(env: (name: string) => string | undefined): string | undefined {
  for (const name of TOKEN_VARIABLES) {
    const value = env(name)?.trim() ?? "";
    if (value !== "") return value;
  }
  return undefined;
}
