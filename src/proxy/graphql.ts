/**
 * GitHub GraphQL requests as the Go gateway's proxy reads them: which github-mcp-server tool a query
 * amounts to (an operation the table does not know is refused), its owner, repository and search query,
 * and the fields the guard needs (`author{login}`, `authorAssociation`) added to the query where they are
 * missing. Pure functions over the request's JSON text.
 */

/** A GraphQL request's tool and the guard's arguments; `introspection` is forwarded unjudged. */
export interface GraphqlMatch {
  readonly tool: string;
  readonly args: Record<string, string>;
}

/** The tool an introspection query is classified as: forwarded unjudged. */
export const INTROSPECTION = "graphql_introspection";

/** Query patterns in the order they are tried, the first that matches names the tool. */
const PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/__type\s*\(/i, INTROSPECTION],
  [/__schema\b/i, INTROSPECTION],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bissue\s*\(/i, "issue_read"],
  // `gh issue view` asks `issue: issueOrPullRequest(number:)`; Go's table reads it as the repository only,
  // so the issue would be shown unjudged.
  [/repository\s*\([^)]*\)\s*\{[^}]*\bissueOrPullRequest\s*\(/i, "issue_read"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bissues\s*[({]/i, "list_issues"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bpullRequest\s*\(/i, "pull_request_read"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bpullRequests\s*[({]/i, "list_pull_requests"],
  [/\bhistory\s*[({]/i, "list_commits"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bdiscussion\s*\(/i, "list_discussions"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bdiscussions\s*[({]/i, "list_discussions"],
  [/repository\s*\([^)]*\)\s*\{[^}]*\bdiscussionCategories\s*[({]/i, "list_discussion_categories"],
  [/\bsearch\s*\(/i, "search_issues"],
  [/projectV2/i, "list_projects"],
  [/\bviewer\s*\{/i, "get_me"],
  [/\borganization\s*\(/i, "search_orgs"],
  [/\brepository\s*\(/i, "get_file_contents"],
];

const QUERY_REPOSITORY =
  /repository\s*\(\s*owner\s*:\s*(?:"([^"]+)"|\$\w+)\s*,?\s*name\s*:\s*(?:"([^"]+)"|\$\w+)/i;
const QUOTED_OWNER = /"owner"\s*:\s*"([^"]+)"/i;
const QUOTED_REPO = /"(?:name|repo)"\s*:\s*"([^"]+)"/i;
const INLINE_SEARCH = /\bsearch\s*\(\s*query\s*:\s*"([^"]+)"/i;

/** A GraphQL request body: its query and variables, or undefined when it is not one. */
export function readGraphqlRequest(
  body: string,
): { query: string; variables: Record<string, unknown>; document: Record<string, unknown> } | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) return undefined;
  const { query, variables } = document as { query?: unknown; variables?: unknown };
  if (typeof query !== "string" || query === "") return undefined;
  const vars = typeof variables === "object" && variables !== null && !Array.isArray(variables)
    ? variables as Record<string, unknown>
    : {};
  return { query, variables: vars, document: document as Record<string, unknown> };
}

const text = (value: unknown) => typeof value === "string" ? value : "";

/** The tool and arguments of a GraphQL request body, or undefined when no pattern knows it. */
export function matchGraphql(body: string): GraphqlMatch | undefined {
  const request = readGraphqlRequest(body);
  if (request === undefined) return undefined;
  const { query, variables } = request;
  const tool = PATTERNS.find(([pattern]) => pattern.test(query))?.[1];
  if (tool === undefined) return undefined;
  let owner = text(variables.owner);
  let repo = text(variables.name) || text(variables.repo);
  if (owner === "" || repo === "") {
    const inline = QUERY_REPOSITORY.exec(query);
    owner ||= inline?.[1] ?? "";
    repo ||= inline?.[2] ?? "";
  }
  owner ||= QUOTED_OWNER.exec(query)?.[1] ?? "";
  repo ||= QUOTED_REPO.exec(query)?.[1] ?? "";
  const args: Record<string, string> = {};
  if (owner !== "") args.owner = owner;
  if (repo !== "") args.repo = repo;
  if (tool === "search_issues") {
    const search = text(variables.query) || (INLINE_SEARCH.exec(query)?.[1] ?? "");
    if (search !== "") args.query = search;
  }
  return { tool, args };
}

/** A field the guard needs and how to see that the query already selects it. */
interface GuardField {
  readonly field: string;
  readonly present: RegExp;
}

const ISSUE_FIELDS: readonly GuardField[] = [
  { field: "author{login}", present: /\bauthor\s*\{[^}]*\blogin\b/ },
  { field: "authorAssociation", present: /\bauthorAssociation\b/ },
];
const COMMIT_FIELDS: readonly GuardField[] = [
  { field: "author{user{login}}", present: /\bauthor\s*\{[^}]*\buser\s*\{[^}]*\blogin\b/ },
];
const ISSUE_PARENTS = new Set(["pullRequests", "issues", "comments", "reviews", "search"]);
const COMMIT_PARENTS = new Set(["history"]);

/** The fields a tool's items need for the guard, and the connections under which `nodes` holds them. */
function guardFields(
  tool: string,
): { fields: readonly GuardField[]; parents: ReadonlySet<string> } | undefined {
  switch (tool) {
    case "list_issues":
    case "list_pull_requests":
    case "issue_read":
    case "pull_request_read":
    case "search_issues":
      return { fields: ISSUE_FIELDS, parents: ISSUE_PARENTS };
    case "list_commits":
      return { fields: COMMIT_FIELDS, parents: COMMIT_PARENTS };
    default:
      return undefined;
  }
}

/** The name of the field whose selection set encloses position `at`. */
function parentField(query: string, at: number): string {
  let depth = 0;
  let i = at - 1;
  for (; i >= 0; i--) {
    if (query[i] === "}") depth++;
    else if (query[i] === "{") {
      if (depth === 0) break;
      depth--;
    }
  }
  if (i < 0) return "";
  i--;
  while (i >= 0 && /\s/.test(query[i])) i--;
  if (query[i] === ")") {
    let parens = 1;
    for (i--; i >= 0 && parens > 0; i--) {
      if (query[i] === ")") parens++;
      else if (query[i] === "(") parens--;
    }
    while (i >= 0 && /\s/.test(query[i])) i--;
  }
  const end = i + 1;
  while (i >= 0 && /\w/.test(query[i])) i--;
  return query.slice(i + 1, end);
}

/** The query with `injection` added to the named fragment's selection. */
function intoFragment(query: string, fragment: string, injection: string): string {
  const start = query.indexOf(`fragment ${fragment} on `);
  const open = start === -1 ? -1 : query.indexOf("{", start);
  if (open === -1) return query;
  let depth = 0;
  for (let i = open; i < query.length; i++) {
    if (query[i] === "{") depth++;
    else if (query[i] === "}" && --depth === 0) return `${query.slice(0, i)},${injection}${query.slice(i)}`;
  }
  return query;
}

/** The query with the missing fields added where the items are selected: a fragment, inline, or `nodes`. */
function injectInto(query: string, missing: readonly string[], parents: ReadonlySet<string>): string {
  const injection = missing.join(",");
  const fragment = /nodes\s*\{\s*\.\.\.(\w+)/.exec(query);
  if (fragment !== null) return intoFragment(query, fragment[1], injection);
  if (/nodes\s*\{[^{}]*\.\.\.\s*on\s+\w+\s*\{/.test(query)) {
    return query.replace(/(\.\.\.\s*on\s+\w+\s*\{)/g, `$1${injection},`);
  }
  let injected = false;
  const rewritten = query.replace(/nodes\s*\{/g, (opening, offset: number) => {
    if (!parents.has(parentField(query, offset))) return opening;
    injected = true;
    return `${opening}${injection},`;
  });
  return injected ? rewritten : query;
}

/**
 * The request body with the fields the guard needs for `tool` added to its query, or the body as it was
 * when nothing is missing or no place for them is found.
 */
export function injectGuardFields(body: string, tool: string): string {
  const wanted = guardFields(tool);
  const request = wanted === undefined ? undefined : readGraphqlRequest(body);
  if (wanted === undefined || request === undefined) return body;
  const missing = wanted.fields.filter((f) => !f.present.test(request.query)).map((f) => f.field);
  if (missing.length === 0) return body;
  const query = injectInto(request.query, missing, wanted.parents);
  return query === request.query ? body : JSON.stringify({ ...request.document, query });
}
