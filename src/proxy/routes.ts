/**
 * The GitHub REST paths the proxy judges, as the Go gateway's proxy router maps them: each GET path names
 * the github-mcp-server tool whose labels apply and the arguments the guard needs (owner, repo, number,
 * method). Pure data and functions.
 */

/** A path's tool and the guard's arguments. */
export interface RouteMatch {
  readonly tool: string;
  readonly args: Record<string, string>;
}

type Args = (m: RegExpExecArray) => Record<string, string>;

const repo: Args = (m) => ({ owner: m[1], repo: m[2] });
const issue = (method?: string): Args => (m) => ({
  owner: m[1],
  repo: m[2],
  issue_number: m[3],
  ...(method === undefined ? {} : { method }),
});
const pull = (method: string): Args => (m) => ({ owner: m[1], repo: m[2], pullNumber: m[3], method });
const named = (key: string): Args => (m) => ({ owner: m[1], repo: m[2], [key]: m[3] });
const method = (name: string): Args => (m) => ({ owner: m[1], repo: m[2], method: name });
const resource = (name: string): Args => (m) => ({
  owner: m[1],
  repo: m[2],
  method: name,
  resource_id: m[3],
});
const none: Args = () => ({});

/** The routes in the order they are tried: the more specific path first. */
const ROUTES: readonly (readonly [RegExp, string, Args])[] = [
  [/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, "issue_read", issue("get_comments")],
  [/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/, "issue_read", issue("get_labels")],
  [/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, "issue_read", issue()],
  [/^\/repos\/([^/]+)\/([^/]+)\/issues$/, "list_issues", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/, "pull_request_read", pull("get_files")],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/, "pull_request_read", pull("get_reviews")],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/comments$/, "pull_request_read", pull("get_review_comments")],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/commits$/, "pull_request_read", pull("get_commits")],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, "pull_request_read", pull("get")],
  [/^\/repos\/([^/]+)\/([^/]+)\/pulls$/, "list_pull_requests", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-(?:runs|suites)$/, "pull_request_read", (m) => ({
    owner: m[1],
    repo: m[2],
    sha: m[3],
    method: "get_check_runs",
  })],
  [/^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)$/, "get_commit", named("sha")],
  [/^\/repos\/([^/]+)\/([^/]+)\/commits$/, "list_commits", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/branches$/, "list_branches", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/tags\/(.+)$/, "get_tag", named("tag")],
  [/^\/repos\/([^/]+)\/([^/]+)\/tags$/, "list_tags", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/releases\/latest$/, "get_latest_release", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/, "get_release_by_tag", named("tag")],
  [/^\/repos\/([^/]+)\/([^/]+)\/releases$/, "list_releases", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, "get_file_contents", named("path")],
  [/^\/repos\/([^/]+)\/([^/]+)\/git\/trees\/(.+)$/, "get_file_contents", named("path")],
  [/^\/repos\/([^/]+)\/([^/]+)\/labels\/(.+)$/, "get_label", named("name")],
  [/^\/repos\/([^/]+)\/([^/]+)\/labels$/, "list_labels", repo],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows$/, "actions_list", method("list_workflows")],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/runs$/,
    "actions_list",
    resource("list_workflow_runs"),
  ],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)$/, "actions_get", resource("get_workflow")],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/attempts\/(\d+)\/jobs$/,
    "actions_list",
    resource("list_workflow_jobs"),
  ],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/attempts\/(\d+)\/logs$/,
    "get_job_logs",
    named("run_id"),
  ],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/logs$/, "get_job_logs", named("run_id")],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/artifacts$/,
    "actions_list",
    resource("list_workflow_run_artifacts"),
  ],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)$/, "actions_get", resource("get_workflow_run")],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs$/, "actions_list", method("list_workflow_runs")],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/jobs\/(\d+)$/, "actions_get", resource("get_workflow_job")],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts$/, "actions_list", method("list_workflow_run_artifacts")],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts\/(\d+)\/zip$/,
    "actions_get",
    resource("download_workflow_run_artifact"),
  ],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/caches$/, "actions_list", method("list_caches")],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/secrets$/, "actions_list", method("list_secrets")],
  [/^\/repos\/([^/]+)\/([^/]+)\/actions\/variables(?:\/([^/]+))?$/, "actions_list", method("list_variables")],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)\/(?:secrets|variables)$/,
    "actions_list",
    method("list_environment_config"),
  ],
  [/^\/notifications$/, "list_notifications", none],
  [/^\/user$/, "get_me", none],
  [/^\/user\/(?:keys|ssh_signing_keys|gpg_keys)$/, "get_me", none],
  [/^\/orgs\/([^/]+)\/actions\/(?:secrets|variables)(?:\/[^/]+)?$/, "actions_list", (m) => ({
    owner: m[1],
    method: "list_org_config",
  })],
  [/^\/repos\/([^/]+)\/([^/]+)\/discussions$/, "list_discussions", repo],
  [
    /^\/repos\/([^/]+)\/([^/]+)\/discussions\/(\d+)\/comments$/,
    "get_discussion_comments",
    named("discussion_number"),
  ],
  [/^\/repos\/([^/]+)\/([^/]+)\/discussions\/(\d+)$/, "list_discussions", named("discussion_number")],
  [/^\/search\/code$/, "search_code", none],
  [/^\/search\/issues$/, "search_issues", none],
  [/^\/search\/repositories$/, "search_repositories", none],
  // Anything else under a repository is judged as reading its contents.
  [/^\/repos\/([^/]+)\/([^/]+)(?:\/.*)?$/, "get_file_contents", repo],
];

/** The prefix GHES clients (and `gh` with GH_HOST) put before every REST path. */
const GHES_PREFIX = "/api/v3";

/** The path without GHES's `/api/v3` prefix. */
export function stripGhesPrefix(path: string): string {
  return path === GHES_PREFIX || path.startsWith(`${GHES_PREFIX}/`)
    ? path.slice(GHES_PREFIX.length) || "/"
    : path;
}

/** Metadata endpoints that hold no repository data: forwarded unjudged. */
const METADATA = new Set(["/meta", "/rate_limit", "/octocat", "/zen", "/versions"]);

/** Is this a metadata endpoint? */
export function isMetadataPath(path: string): boolean {
  return METADATA.has(path);
}

/** Is this GitHub's GraphQL endpoint (as github.com, GHES and `gh` name it)? */
export function isGraphqlPath(path: string): boolean {
  const cleaned = path.replace(/\/$/, "");
  return cleaned === "/graphql" || cleaned === "/api/graphql" || cleaned === "/api/v3/graphql";
}

/**
 * The tool and arguments of a GET path (query string ignored; a `q` parameter becomes the `query`
 * argument), or undefined for a path the table does not know.
 */
export function matchRoute(pathWithQuery: string): RouteMatch | undefined {
  const [path, query = ""] = pathWithQuery.split("?", 2);
  for (const [pattern, tool, args] of ROUTES) {
    const m = pattern.exec(path);
    if (m === null) continue;
    const q = new URLSearchParams(query).get("q");
    return { tool, args: { ...args(m), ...(q === null || q === "" ? {} : { query: q }) } };
  }
  return undefined;
}
