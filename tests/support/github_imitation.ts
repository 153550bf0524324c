/**
 * A local imitation of GitHub's REST and GraphQL APIs for the proxy's tests: a public and a private
 * repository, issues and pull requests by authors of each association, search, `/user`, paginated lists
 * (`per_page`, `page`, a `Link` header), and a repository whose API is rate limited (429). It answers what
 * `gh` and Octokit ask as GitHub does, in the fields they read. An artifact's zip
 * (`/repos/octo/public-repo/actions/artifacts/1/zip?size=N`) streams N bytes (1 MiB by default).
 */
import { ISSUES, REPOSITORIES } from "../fixtures/github_data.ts";
import { type GithubApi, githubApi } from "./github_api.ts";

type Issue = typeof ISSUES[number];

function restIssue(base: string, nwo: string, issue: Issue, kind: "issues" | "pulls" = "issues") {
  return {
    id: 1000 + issue.number,
    node_id: `I_${issue.number}`,
    number: issue.number,
    title: issue.title,
    state: "open",
    user: { login: issue.user.login, id: issue.number, type: "User" },
    author_association: issue.author_association,
    body: `${issue.title} (body)`,
    labels: [],
    html_url: `https://github.com/${nwo}/${kind === "pulls" ? "pull" : "issues"}/${issue.number}`,
    url: `${base}/repos/${nwo}/${kind}/${issue.number}`,
    repository_url: `${base}/repos/${nwo}`,
    created_at: "2026-11-01T00:00:00Z",
    updated_at: "2026-11-02T00:00:00Z",
  };
}

function graphqlIssue(issue: Issue) {
  return {
    id: `I_${issue.number}`,
    number: issue.number,
    title: issue.title,
    state: "OPEN",
    url: `https://github.com/octo/public-repo/issues/${issue.number}`,
    author: { login: issue.user.login },
    authorAssociation: issue.author_association,
    body: `${issue.title} (body)`,
    createdAt: "2026-11-01T00:00:00Z",
    updatedAt: "2026-11-02T00:00:00Z",
    labels: { nodes: [], totalCount: 0 },
    assignees: { nodes: [], totalCount: 0 },
    comments: { nodes: [], totalCount: 0 },
  };
}

const page = (url: URL, items: readonly unknown[]) => {
  const perPage = Math.max(1, Number(url.searchParams.get("per_page") ?? 30));
  const current = Math.max(1, Number(url.searchParams.get("page") ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const headers = new Headers({ "x-ratelimit-remaining": "4999", "x-ratelimit-limit": "5000" });
  if (current < last) {
    const next = new URL(url);
    next.searchParams.set("page", String(current + 1));
    const end = new URL(url);
    end.searchParams.set("page", String(last));
    headers.set("link", `<${next}>; rel="next", <${end}>; rel="last"`);
  }
  return Response.json(items.slice((current - 1) * perPage, current * perPage), { headers });
};

/** The GraphQL answer to a query, by what it selects. */
function graphql(query: string, variables: Record<string, unknown>): unknown {
  const owner = String(variables.owner ?? /owner:\s*"([^"]+)"/.exec(query)?.[1] ?? "octo");
  const name = String(
    variables.repo ?? variables.name ?? /name:\s*"([^"]+)"/.exec(query)?.[1] ?? "public-repo",
  );
  const repository = {
    id: "R_1",
    name,
    nameWithOwner: `${owner}/${name}`,
    owner: { login: owner },
    isPrivate: REPOSITORIES[`${owner}/${name}`] ?? false,
    visibility: REPOSITORIES[`${owner}/${name}`] ? "PRIVATE" : "PUBLIC",
    hasIssuesEnabled: true,
    viewerPermission: "READ",
  };
  // gh asks which fields a type has before it builds its query.
  const introspected = /(\w+)\s*:\s*__type\(name:\s*"(\w+)"\)/.exec(query);
  if (introspected !== null) {
    const fields = [
      "id",
      "number",
      "title",
      "state",
      "url",
      "author",
      "authorAssociation",
      "body",
      "createdAt",
    ];
    return { data: { [introspected[1]]: { fields: fields.map((name) => ({ name })) } } };
  }
  if (/\bviewer\s*\{/.test(query)) return { data: { viewer: { login: "octocat" } } };
  const number = Number(
    variables.number ?? /(?:issue|pullRequest|issueOrPullRequest)\(number:\s*(\d+)/.exec(query)?.[1],
  );
  if (/\b(?:issue|issueOrPullRequest)\s*\(/.test(query)) {
    const found = ISSUES.find((issue) => issue.number === number);
    return {
      data: { repository: { ...repository, issue: found === undefined ? null : graphqlIssue(found) } },
    };
  }
  const connection = {
    totalCount: ISSUES.length,
    nodes: ISSUES.map(graphqlIssue),
    pageInfo: { hasNextPage: false, endCursor: null },
  };
  if (/\bissues\s*[({]/.test(query)) return { data: { repository: { ...repository, issues: connection } } };
  if (/\bpullRequests\s*[({]/.test(query)) {
    return { data: { repository: { ...repository, pullRequests: connection } } };
  }
  return { data: { repository } };
}

/** Starts the imitation on loopback. */
export function githubImitation(): GithubApi {
  let base = "";
  const repo = (nwo: string, fn: (url: URL) => Response) => (request: Request) =>
    nwo in REPOSITORIES ? fn(new URL(request.url)) : Response.json({ message: "Not Found" }, { status: 404 });
  const routes: Record<string, (request: Request) => Response | Promise<Response>> = {
    "/user": () => Response.json({ login: "octocat", id: 1, type: "User" }),
    "/rate_limit": () => Response.json({ resources: { core: { limit: 5000, remaining: 4999 } } }),
    "/search/repositories": (request) => {
      const nwo = (new URL(request.url).searchParams.get("q") ?? "").replace(/^repo:/, "");
      const items = nwo in REPOSITORIES
        ? [{
          id: 1,
          name: nwo.split("/")[1],
          full_name: nwo,
          private: REPOSITORIES[nwo],
          owner: { login: "octo" },
        }]
        : [];
      return Response.json({ total_count: items.length, incomplete_results: false, items });
    },
    "/search/issues": () =>
      Response.json({
        total_count: ISSUES.length,
        incomplete_results: false,
        items: ISSUES.map((issue) => restIssue(base, "octo/public-repo", issue)),
      }),
    "/repos/octo/limited/issues": () =>
      Response.json({ message: "API rate limit exceeded" }, {
        status: 429,
        headers: {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 30),
        },
      }),
    "/repos/octo/public-repo/actions/artifacts/1/zip": (request) => {
      let left = Number(new URL(request.url).searchParams.get("size") ?? 1024 * 1024);
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left <= 0) return controller.close();
          const part = chunk.subarray(0, Math.min(chunk.length, left));
          left -= part.length;
          controller.enqueue(part);
        },
      });
      return new Response(body, { headers: { "content-type": "application/zip" } });
    },
    "/graphql": async (request) => {
      const { query = "", variables = {} } = await request.json();
      return Response.json(graphql(String(query), variables as Record<string, unknown>));
    },
  };
  for (const nwo of Object.keys(REPOSITORIES)) {
    routes[`/repos/${nwo}`] = repo(nwo, () =>
      Response.json({
        id: 1,
        full_name: nwo,
        name: nwo.split("/")[1],
        private: REPOSITORIES[nwo],
        visibility: REPOSITORIES[nwo] ? "private" : "public",
        owner: { login: nwo.split("/")[0], type: "Organization" },
      }));
    routes[`/repos/${nwo}/issues`] = repo(
      nwo,
      (url) => page(url, ISSUES.map((issue) => restIssue(base, nwo, issue))),
    );
    routes[`/repos/${nwo}/pulls`] = repo(
      nwo,
      (url) => page(url, ISSUES.map((issue) => restIssue(base, nwo, issue, "pulls"))),
    );
    for (const issue of ISSUES) {
      routes[`/repos/${nwo}/issues/${issue.number}`] = repo(
        nwo,
        () => Response.json(restIssue(base, nwo, issue)),
      );
    }
  }
  const api = githubApi(routes);
  base = api.url;
  return api;
}
