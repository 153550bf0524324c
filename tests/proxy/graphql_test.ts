/**
 * GraphQL classification and the guard's fields, case by case as the Go gateway's proxy tests state them
 * (`TestMatchGraphQL_*`, `TestInjectGuardFields_*` of gh-aw-mcpg; each case names its Go test).
 */
import assert from "node:assert/strict";
import { injectGuardFields, INTROSPECTION, matchGraphql } from "../../src/proxy/graphql.ts";

const body = (query: string, variables?: Record<string, unknown>) =>
  JSON.stringify(variables === undefined ? { query } : { query, variables });
const queryOf = (text: string) => JSON.parse(text).query as string;

Deno.test("Go: TestMatchGraphQL_Patterns, one case per pattern, and the requests that match none", () => {
  const cases: [string, string][] = [
    ['{ __type(name: "Foo") { kind } }', INTROSPECTION],
    ["{ __schema { types { name } } }", INTROSPECTION],
    ['{ repository(owner:"o", name:"r") { issue(number: 1) { title } } }', "issue_read"],
    // Not in Go's table: gh issue view's query, which Go judges as the repository alone.
    [
      "query { repository(owner: $owner, name: $repo) { issue: issueOrPullRequest(number: $number) { __typename } } }",
      "issue_read",
    ],
    ['{ repository(owner:"o", name:"r") { issues(first: 10) { nodes { title } } } }', "list_issues"],
    ['{ repository(owner:"o", name:"r") { pullRequest(number: 5) { title } } }', "pull_request_read"],
    [
      '{ repository(owner:"o", name:"r") { pullRequests(first: 20) { nodes { title } } } }',
      "list_pull_requests",
    ],
    [
      '{ repository(owner:"o", name:"r") { defaultBranchRef { target { ... on Commit { history(first:10) { nodes { oid } } } } } } }',
      "list_commits",
    ],
    ['{ repository(owner:"o", name:"r") { discussion(number:1) { title } } }', "list_discussions"],
    ['{ repository(owner:"o", name:"r") { discussions(first:5) { nodes { title } } } }', "list_discussions"],
    [
      '{ repository(owner:"o", name:"r") { discussionCategories(first:10) { nodes { name } } } }',
      "list_discussion_categories",
    ],
    [
      '{ search(query:"is:issue repo:o/r", type:ISSUE, first:10) { nodes { ... on Issue { title } } } }',
      "search_issues",
    ],
    ['{ user(login:"alice") { projectV2(number:1) { title } } }', "list_projects"],
    ["{ viewer { login } }", "get_me"],
    ['{ organization(login:"myorg") { name } }', "search_orgs"],
    ['{ repository(owner:"o", name:"r") { description } }', "get_file_contents"],
  ];
  for (const [query, tool] of cases) assert.equal(matchGraphql(body(query))?.tool, tool, query);
  assert.equal(matchGraphql("not json"), undefined, "TestMatchGraphQL_InvalidJSON");
  assert.equal(matchGraphql(body("")), undefined, "TestMatchGraphQL_EmptyQuery");
  assert.equal(matchGraphql(body("{ unknownField { id } }")), undefined, "TestMatchGraphQL_NoPatternMatch");
  assert.equal(matchGraphql("[1]"), undefined, "a batch is no request");
});

Deno.test("Go: TestMatchGraphQL owner, repository and search query, from variables or the query", () => {
  const byVariables = matchGraphql(
    body(
      "query($owner:String!,$name:String!){ repository(owner:$owner, name:$name) { issues(first:1){nodes{id}} } }",
      {
        owner: "octo",
        name: "hello",
      },
    ),
  );
  assert.deepEqual(byVariables, { tool: "list_issues", args: { owner: "octo", repo: "hello" } });
  assert.deepEqual(matchGraphql(body('{ repository(owner: "a", name: "b") { description } }'))?.args, {
    owner: "a",
    repo: "b",
  });
  assert.deepEqual(
    matchGraphql(body("query { search(query: $q) { nodes { id } } }", { query: "repo:o/r" }))?.args,
    {
      query: "repo:o/r",
    },
  );
  assert.deepEqual(matchGraphql(body('{ search(query:"is:open", type:ISSUE) { nodes { id } } }'))?.args, {
    query: "is:open",
  });
});

Deno.test("Go: TestInjectGuardFields_*: nodes, fragments, inline fragments, only what is missing, safe parents", () => {
  const inject = (query: string, tool: string, variables?: Record<string, unknown>) =>
    queryOf(injectGuardFields(body(query, variables), tool));
  const skipped = body('query { repository(owner:"o", name:"r") { description } }');
  assert.equal(injectGuardFields(skipped, "get_file_contents"), skipped, "SkipsIrrelevantTools");
  const present = body(
    'query { repository(owner:"o", name:"r") { issues(first:1) { nodes { author{login} authorAssociation } } } }',
  );
  assert.equal(injectGuardFields(present, "list_issues"), present, "SkipsWhenFieldsPresent");
  assert.equal(injectGuardFields("not json", "list_issues"), "not json", "InvalidJSON");

  assert.match(
    inject(
      'query { repository(owner:"o", name:"r") { pullRequests(first:10) { nodes { number title } } } }',
      "list_pull_requests",
    ),
    /nodes \{author\{login\},authorAssociation, number title/,
    "InjectsIntoNodes",
  );
  const ghPrList = `fragment pr on PullRequest{number,title}
    query PullRequestList($owner: String!, $repo: String!, $limit: Int!) {
      repository(owner: $owner, name: $repo) {
        pullRequests(first: $limit) { totalCount nodes { ...pr } pageInfo { hasNextPage endCursor } }
      }
    }`;
  assert.match(
    inject(ghPrList, "list_pull_requests"),
    /fragment pr on PullRequest\{number,title,author\{login\},authorAssociation\}/,
    "RealGhCliQuery",
  );
  const onlyMissing = inject(
    'query { repository(owner:"o", name:"r") { issues(first:10) { nodes { number author{login} } } } }',
    "list_issues",
  );
  assert.match(onlyMissing, /authorAssociation/, "InjectsOnlyMissing");
  assert.equal(onlyMissing.split("author{login}").length - 1, 1, "author{login} is not added twice");
  assert.match(
    inject(
      'query { search(query:"repo:o/r is:issue", type:ISSUE, first:3) { issueCount nodes { ... on Issue { number title } } } }',
      "search_issues",
    ),
    /\.\.\. on Issue \{author\{login\},authorAssociation,/,
    "InjectsIntoInlineFragment",
  );
  const withVariables = injectGuardFields(
    body(
      "query($owner:String!,$repo:String!) { repository(owner:$owner, name:$repo) { pullRequests(first:10) { nodes { number } } } }",
      {
        owner: "github",
        repo: "gh-aw-mcpg",
      },
    ),
    "list_pull_requests",
  );
  assert.deepEqual(
    JSON.parse(withVariables).variables,
    { owner: "github", repo: "gh-aw-mcpg" },
    "PreservesVariables",
  );
  const commits = inject(
    'query { repository(owner:"o", name:"r") { defaultBranchRef { target { ... on Commit { history(first:10) { nodes { oid messageHeadline } } } } } } }',
    "list_commits",
  );
  assert.match(commits, /author\{user\{login\}\}/, "CommitInjectsAuthorUser");
  assert.doesNotMatch(commits, /authorAssociation/);
  assert.match(
    inject(
      'fragment c on Commit{oid,messageHeadline}\nquery { repository(owner:"o", name:"r") { defaultBranchRef { target { ... on Commit { history(first:10) { nodes { ...c } } } } } } }',
      "list_commits",
    ),
    /fragment c on Commit\{oid,messageHeadline,author\{user\{login\}\}\}/,
    "CommitFragment",
  );
  assert.match(
    inject(
      'fragment pr on PullRequest{number,labels{nodes{name}}}\nquery { repository(owner:"o",name:"r") { pullRequests(first:1) { nodes { ...pr } } } }',
      "list_pull_requests",
    ),
    /labels\{nodes\{name\}\},author\{login\},authorAssociation\}/,
    "TestInjectIntoFragment_NestedBraces",
  );
  const assignees = `query PullRequestByNumber {
  repository(owner:"o", name:"r") { pullRequest(number: 1820) { number title author{login} assignees(first: 100) { nodes { login } } } }
}`;
  assert.doesNotMatch(inject(assignees, "pull_request_read"), /authorAssociation/, "SkipsAssigneesNodes");
  const mixed = inject(
    `query { repository(owner:"o", name:"r") { pullRequest(number: 1) { assignees(first: 10) { nodes { login } } comments(first: 10) { nodes { body } } } } }`,
    "pull_request_read",
  );
  assert.match(
    mixed,
    /assignees\(first: 10\) \{ nodes \{ login \} \}/,
    "MixedNodesBlocks: assignees untouched",
  );
  assert.match(
    mixed,
    /comments\(first: 10\) \{ nodes \{author\{login\},authorAssociation,/,
    "MixedNodesBlocks",
  );
  const labels = inject(
    'query { repository(owner:"o", name:"r") { issues(first:10) { nodes { number labels(first:5) { nodes { name } } } } } }',
    "list_issues",
  );
  assert.match(labels, /labels\(first:5\) \{ nodes \{ name \} \}/, "SkipsLabelsNodes");
  assert.match(labels, /authorAssociation/);
  const noPlace = body('query { repository(owner:"o", name:"r") { issue(number:1) { title } } }');
  assert.equal(injectGuardFields(noPlace, "issue_read"), noPlace, "NoNodesNoFragment");
});
