/**
 * The proxy's REST route table, case by case as the Go gateway's proxy tests state it (`TestMatchRoute`,
 * `TestMatchRoute_AdditionalRoutes`, `TestMatchRoute_UncoveredRoutes` of gh-aw-mcpg; each case names its Go
 * test). The cases are facts; the code is ours.
 */
import assert from "node:assert/strict";
import {
  isGraphqlPath,
  isMetadataPath,
  matchRoute,
  type RouteMatch,
  stripGhesPrefix,
} from "../../src/proxy/routes.ts";

const CASES: readonly (readonly [string, string, RouteMatch | undefined])[] = [
  ["TestMatchRoute (list issues)", "/repos/octocat/hello-world/issues", {
    tool: "list_issues",
    args: { "owner": "octocat", "repo": "hello-world" },
  }],
  ["TestMatchRoute (get issue)", "/repos/octocat/hello-world/issues/42", {
    tool: "issue_read",
    args: { "owner": "octocat", "repo": "hello-world", "issue_number": "42" },
  }],
  ["TestMatchRoute (issue comments)", "/repos/octocat/hello-world/issues/42/comments", {
    tool: "issue_read",
    args: { "owner": "octocat", "repo": "hello-world", "issue_number": "42", "method": "get_comments" },
  }],
  ["TestMatchRoute (issue labels)", "/repos/octocat/hello-world/issues/42/labels", {
    tool: "issue_read",
    args: { "owner": "octocat", "repo": "hello-world", "issue_number": "42", "method": "get_labels" },
  }],
  ["TestMatchRoute (list PRs)", "/repos/github/gh-aw/pulls", {
    tool: "list_pull_requests",
    args: { "owner": "github", "repo": "gh-aw" },
  }],
  ["TestMatchRoute (get PR)", "/repos/github/gh-aw/pulls/123", {
    tool: "pull_request_read",
    args: { "owner": "github", "repo": "gh-aw", "pullNumber": "123", "method": "get" },
  }],
  ["TestMatchRoute (PR files)", "/repos/github/gh-aw/pulls/123/files", {
    tool: "pull_request_read",
    args: { "owner": "github", "repo": "gh-aw", "pullNumber": "123", "method": "get_files" },
  }],
  ["TestMatchRoute (PR reviews)", "/repos/github/gh-aw/pulls/123/reviews", {
    tool: "pull_request_read",
    args: { "owner": "github", "repo": "gh-aw", "pullNumber": "123", "method": "get_reviews" },
  }],
  ["TestMatchRoute (list commits)", "/repos/org/repo/commits", {
    tool: "list_commits",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (get commit)", "/repos/org/repo/commits/abc123", {
    tool: "get_commit",
    args: { "owner": "org", "repo": "repo", "sha": "abc123" },
  }],
  ["TestMatchRoute (list branches)", "/repos/org/repo/branches", {
    tool: "list_branches",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (list tags)", "/repos/org/repo/tags", {
    tool: "list_tags",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (list releases)", "/repos/org/repo/releases", {
    tool: "list_releases",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (latest release)", "/repos/org/repo/releases/latest", {
    tool: "get_latest_release",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (release by tag)", "/repos/org/repo/releases/tags/v1.0.0", {
    tool: "get_release_by_tag",
    args: { "owner": "org", "repo": "repo", "tag": "v1.0.0" },
  }],
  ["TestMatchRoute (file contents)", "/repos/org/repo/contents/README.md", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo", "path": "README.md" },
  }],
  ["TestMatchRoute (nested file contents)", "/repos/org/repo/contents/src/main.go", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo", "path": "src/main.go" },
  }],
  ["TestMatchRoute (get label)", "/repos/org/repo/labels/bug", {
    tool: "get_label",
    args: { "owner": "org", "repo": "repo", "name": "bug" },
  }],
  ["TestMatchRoute (PR review comments)", "/repos/github/gh-aw/pulls/123/comments", {
    tool: "pull_request_read",
    args: { "owner": "github", "repo": "gh-aw", "pullNumber": "123", "method": "get_review_comments" },
  }],
  ["TestMatchRoute (get tag via git ref)", "/repos/org/repo/git/ref/tags/v1.0.0", {
    tool: "get_tag",
    args: { "owner": "org", "repo": "repo", "tag": "v1.0.0" },
  }],
  ["TestMatchRoute (git tree contents)", "/repos/org/repo/git/trees/main", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo", "path": "main" },
  }],
  ["TestMatchRoute (list labels)", "/repos/org/repo/labels", {
    tool: "list_labels",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (list workflows)", "/repos/org/repo/actions/workflows", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflows" },
  }],
  ["TestMatchRoute (list workflow runs)", "/repos/org/repo/actions/runs", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflow_runs" },
  }],
  ["TestMatchRoute (get workflow)", "/repos/org/repo/actions/workflows/42", {
    tool: "actions_get",
    args: { "owner": "org", "repo": "repo", "method": "get_workflow", "resource_id": "42" },
  }],
  ["TestMatchRoute (get workflow run)", "/repos/org/repo/actions/runs/12345", {
    tool: "actions_get",
    args: { "owner": "org", "repo": "repo", "method": "get_workflow_run", "resource_id": "12345" },
  }],
  ["TestMatchRoute (get workflow job)", "/repos/org/repo/actions/jobs/99", {
    tool: "actions_get",
    args: { "owner": "org", "repo": "repo", "method": "get_workflow_job", "resource_id": "99" },
  }],
  ["TestMatchRoute (list workflow-specific runs)", "/repos/org/repo/actions/workflows/42/runs", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflow_runs", "resource_id": "42" },
  }],
  ["TestMatchRoute (list run attempt jobs)", "/repos/org/repo/actions/runs/100/attempts/1/jobs", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflow_jobs", "resource_id": "100" },
  }],
  ["TestMatchRoute (get run logs)", "/repos/org/repo/actions/runs/100/logs", {
    tool: "get_job_logs",
    args: { "owner": "org", "repo": "repo", "run_id": "100" },
  }],
  ["TestMatchRoute (get run attempt logs)", "/repos/org/repo/actions/runs/100/attempts/2/logs", {
    tool: "get_job_logs",
    args: { "owner": "org", "repo": "repo", "run_id": "100" },
  }],
  ["TestMatchRoute (list run artifacts)", "/repos/org/repo/actions/runs/100/artifacts", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflow_run_artifacts", "resource_id": "100" },
  }],
  ["TestMatchRoute (list repo artifacts)", "/repos/org/repo/actions/artifacts", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_workflow_run_artifacts" },
  }],
  ["TestMatchRoute (download artifact zip)", "/repos/org/repo/actions/artifacts/123456/zip", {
    tool: "actions_get",
    args: {
      "owner": "org",
      "repo": "repo",
      "method": "download_workflow_run_artifact",
      "resource_id": "123456",
    },
  }],
  [
    "TestMatchRoute (non numeric artifact id falls back to generic repo route)",
    "/repos/org/repo/actions/artifacts/not-a-number/zip",
    { tool: "get_file_contents", args: { "owner": "org", "repo": "repo" } },
  ],
  ["TestMatchRoute (list caches)", "/repos/org/repo/actions/caches", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_caches" },
  }],
  ["TestMatchRoute (list secrets)", "/repos/org/repo/actions/secrets", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_secrets" },
  }],
  ["TestMatchRoute (list variables)", "/repos/org/repo/actions/variables", {
    tool: "actions_list",
    args: { "owner": "org", "repo": "repo", "method": "list_variables" },
  }],
  ["TestMatchRoute (check runs for commit)", "/repos/org/repo/commits/abc123/check-runs", {
    tool: "pull_request_read",
    args: { "owner": "org", "repo": "repo", "sha": "abc123", "method": "get_check_runs" },
  }],
  ["TestMatchRoute (list notifications)", "/notifications", { tool: "list_notifications", args: {} }],
  ["TestMatchRoute (list discussions)", "/repos/org/repo/discussions", {
    tool: "list_discussions",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (user SSH keys)", "/user/keys", { tool: "get_me", args: {} }],
  ["TestMatchRoute (search code)", "/search/code", { tool: "search_code", args: {} }],
  ["TestMatchRoute (search issues)", "/search/issues", { tool: "search_issues", args: {} }],
  ["TestMatchRoute (search repositories)", "/search/repositories", { tool: "search_repositories", args: {} }],
  ["TestMatchRoute (generic repo fallback)", "/repos/org/repo/unknown-endpoint", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute (get me)", "/user", { tool: "get_me", args: {} }],
  ["TestMatchRoute (path with query string)", "/repos/org/repo/issues?state=open&per_page=10", {
    tool: "list_issues",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute_AdditionalRoutes (get tag)", "/repos/org/repo/git/ref/tags/v1.2.3", {
    tool: "get_tag",
    args: { "owner": "org", "repo": "repo", "tag": "v1.2.3" },
  }],
  [
    "TestMatchRoute_AdditionalRoutes (get tag with dots in version)",
    "/repos/github/copilot/git/ref/tags/v2.0.0-beta.1",
    { tool: "get_tag", args: { "owner": "github", "repo": "copilot", "tag": "v2.0.0-beta.1" } },
  ],
  ["TestMatchRoute_AdditionalRoutes (get file via git tree)", "/repos/org/repo/git/trees/main", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo", "path": "main" },
  }],
  [
    "TestMatchRoute_AdditionalRoutes (get file via git tree with SHA)",
    "/repos/org/repo/git/trees/abc123def",
    { tool: "get_file_contents", args: { "owner": "org", "repo": "repo", "path": "abc123def" } },
  ],
  ["TestMatchRoute_AdditionalRoutes (list labels)", "/repos/org/repo/labels", {
    tool: "list_labels",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute_AdditionalRoutes (list workflows)", "/repos/github/my-app/actions/workflows", {
    tool: "actions_list",
    args: { "owner": "github", "repo": "my-app", "method": "list_workflows" },
  }],
  ["TestMatchRoute_AdditionalRoutes (list workflow runs)", "/repos/github/my-app/actions/runs", {
    tool: "actions_list",
    args: { "owner": "github", "repo": "my-app", "method": "list_workflow_runs" },
  }],
  ["TestMatchRoute_AdditionalRoutes (PR review comments)", "/repos/org/repo/pulls/7/comments", {
    tool: "pull_request_read",
    args: { "owner": "org", "repo": "repo", "pullNumber": "7", "method": "get_review_comments" },
  }],
  ["TestMatchRoute_AdditionalRoutes (PR commits)", "/repos/github/gh-aw/pulls/42/commits", {
    tool: "pull_request_read",
    args: { "owner": "github", "repo": "gh-aw", "pullNumber": "42", "method": "get_commits" },
  }],
  ["TestMatchRoute_AdditionalRoutes (search repositories)", "/search/repositories", {
    tool: "search_repositories",
    args: {},
  }],
  ["TestMatchRoute_AdditionalRoutes (bare repo root fallback)", "/repos/org/repo", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute_AdditionalRoutes (unrecognised sub-path fallback)", "/repos/org/repo/unknown-resource", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo" },
  }],
  ["TestMatchRoute_AdditionalRoutes (deeply nested unrecognised path)", "/repos/org/repo/statuses/abc123", {
    tool: "get_file_contents",
    args: { "owner": "org", "repo": "repo" },
  }],
  [
    "TestMatchRoute_UncoveredRoutes (environment secrets)",
    "/repos/org/repo/environments/production/secrets",
    { tool: "actions_list", args: { "owner": "org", "repo": "repo", "method": "list_environment_config" } },
  ],
  [
    "TestMatchRoute_UncoveredRoutes (environment variables)",
    "/repos/org/repo/environments/staging/variables",
    { tool: "actions_list", args: { "owner": "org", "repo": "repo", "method": "list_environment_config" } },
  ],
  [
    "TestMatchRoute_UncoveredRoutes (environment secrets with hyphenated environment name)",
    "/repos/github/my-app/environments/prod-east-1/secrets",
    {
      tool: "actions_list",
      args: { "owner": "github", "repo": "my-app", "method": "list_environment_config" },
    },
  ],
  ["TestMatchRoute_UncoveredRoutes (org secrets)", "/orgs/myorg/actions/secrets", {
    tool: "actions_list",
    args: { "owner": "myorg", "method": "list_org_config" },
  }],
  ["TestMatchRoute_UncoveredRoutes (org variables)", "/orgs/myorg/actions/variables", {
    tool: "actions_list",
    args: { "owner": "myorg", "method": "list_org_config" },
  }],
  ["TestMatchRoute_UncoveredRoutes (org named variable)", "/orgs/myorg/actions/variables/MY_VAR", {
    tool: "actions_list",
    args: { "owner": "myorg", "method": "list_org_config" },
  }],
  ["TestMatchRoute_UncoveredRoutes (org named secret)", "/orgs/myorg/actions/secrets/MY_SECRET", {
    tool: "actions_list",
    args: { "owner": "myorg", "method": "list_org_config" },
  }],
  ["TestMatchRoute_UncoveredRoutes (get single discussion)", "/repos/org/repo/discussions/42", {
    tool: "list_discussions",
    args: { "owner": "org", "repo": "repo", "discussion_number": "42" },
  }],
  ["TestMatchRoute_UncoveredRoutes (get discussion comments)", "/repos/org/repo/discussions/7/comments", {
    tool: "get_discussion_comments",
    args: { "owner": "org", "repo": "repo", "discussion_number": "7" },
  }],
  [
    "TestMatchRoute_UncoveredRoutes (get discussion comments \u2014 large number)",
    "/repos/github/gh-aw/discussions/1234/comments",
    {
      tool: "get_discussion_comments",
      args: { "owner": "github", "repo": "gh-aw", "discussion_number": "1234" },
    },
  ],
  ["TestMatchRoute_UncoveredRoutes (commit check-suites)", "/repos/org/repo/commits/abc123/check-suites", {
    tool: "pull_request_read",
    args: { "owner": "org", "repo": "repo", "sha": "abc123", "method": "get_check_runs" },
  }],
  [
    "TestMatchRoute_UncoveredRoutes (commit check-suites with full SHA)",
    "/repos/github/copilot/commits/deadbeefdeadbeef1234567890abcdef12345678/check-suites",
    {
      tool: "pull_request_read",
      args: {
        "owner": "github",
        "repo": "copilot",
        "sha": "deadbeefdeadbeef1234567890abcdef12345678",
        "method": "get_check_runs",
      },
    },
  ],
  ["TestMatchRoute_UncoveredRoutes (user SSH signing keys)", "/user/ssh_signing_keys", {
    tool: "get_me",
    args: {},
  }],
  ["TestMatchRoute_UncoveredRoutes (user GPG keys)", "/user/gpg_keys", { tool: "get_me", args: {} }],
  [
    "TestMatchRoute_UncoveredRoutes (actions variable by name)",
    "/repos/org/repo/actions/variables/MY_VARIABLE",
    { tool: "actions_list", args: { "owner": "org", "repo": "repo", "method": "list_variables" } },
  ],
  [
    "TestMatchRoute_UncoveredRoutes (environment secrets with query string)",
    "/repos/org/repo/environments/prod/secrets?per_page=30",
    { tool: "actions_list", args: { "owner": "org", "repo": "repo", "method": "list_environment_config" } },
  ],
  ["TestMatchRoute_UncoveredRoutes (completely unknown path)", "/unknown-path", undefined],
  ["TestMatchRoute_UncoveredRoutes (unknown search endpoint)", "/search/users", undefined],
  ["TestMatchRoute_UncoveredRoutes (repos without owner or repo)", "/repos", undefined],
  ["TestMatchRoute_UncoveredRoutes (repos without repo)", "/repos/only-owner", undefined],
  ["TestMatchRoute_UncoveredRoutes (orgs without actions path)", "/orgs/myorg/members", undefined],
];

Deno.test("Go: the REST route table", () => {
  for (const [name, path, expected] of CASES) {
    const found = matchRoute(path);
    if (expected === undefined) assert.equal(found, undefined, name);
    else {
      assert.equal(found?.tool, expected.tool, name);
      for (const [key, value] of Object.entries(expected.args)) {
        assert.equal(found?.args[key], value, `${name}: ${key}`);
      }
    }
  }
});

Deno.test("a search's q becomes the guard's query; the query string never changes the route", () => {
  assert.deepEqual(matchRoute("/search/issues?q=repo%3Aocto%2Fx+is%3Aopen&per_page=5"), {
    tool: "search_issues",
    args: { query: "repo:octo/x is:open" },
  });
  assert.equal(matchRoute("/repos/o/r/issues?state=all")?.tool, "list_issues");
  assert.equal(matchRoute("/repos/o")?.tool, undefined, "an owner alone is no repository");
  assert.equal(matchRoute("/gists"), undefined);
});

Deno.test("Go: StripGHHostPrefix, IsGraphQLPath and the metadata endpoints", () => {
  assert.equal(stripGhesPrefix("/api/v3/repos/o/r/issues"), "/repos/o/r/issues");
  assert.equal(stripGhesPrefix("/api/v3"), "/");
  assert.equal(stripGhesPrefix("/api/v30/x"), "/api/v30/x");
  assert.equal(stripGhesPrefix("/repos/o/r"), "/repos/o/r");
  for (const path of ["/graphql", "/graphql/", "/api/graphql", "/api/v3/graphql"]) {
    assert.ok(isGraphqlPath(path), path);
  }
  for (const path of ["/graphqlx", "/repos/o/r/graphql", "/v3/graphql"]) {
    assert.ok(!isGraphqlPath(path), path);
  }
  for (const path of ["/meta", "/rate_limit", "/octocat", "/zen", "/versions"]) {
    assert.ok(isMetadataPath(path), path);
  }
  assert.ok(!isMetadataPath("/user"));
});
