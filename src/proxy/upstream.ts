/**
 * The GitHub API behind the proxy: where a path goes (GraphQL to `/graphql`, or `/api/graphql` on GHES),
 * which headers go with it (the caller's Authorization or the proxy's token, Accept, User-Agent,
 * Content-Type; nothing else of the caller's), how long the API may take to answer, and the REST lookups
 * the guard makes through `call_backend`.
 */
import { readLimited } from "../jsonrpc/framer.ts";
import { isGraphqlPath } from "./routes.ts";

/** How long the API may take to send its answer's headers. */
export const UPSTREAM_TIMEOUT_MS = 60_000;

/** The largest answer a guard's lookup reads. */
const MAX_LOOKUP_BYTES = 16 * 1024 * 1024;

/** What a forwarded request carries. */
export interface Forward {
  readonly method: string;
  /** The path and query, without GHES's `/api/v3`. */
  readonly path: string;
  readonly body?: BodyInit | null;
  readonly contentType?: string | null;
  readonly accept?: string | null;
  readonly userAgent?: string | null;
  /** The caller's Authorization header; the proxy's token stands in when there is none. */
  readonly clientAuth?: string | null;
  /** Do not follow a redirect (an artifact's download URL is the caller's to follow). */
  readonly manualRedirect?: boolean;
}

/** The upstream API of one proxy run. */
export class GithubUpstream {
  readonly #apiUrl: string;
  readonly #token?: string;

  constructor(apiUrl: string, token: string | undefined) {
    this.#apiUrl = apiUrl.replace(/\/+$/, "");
    this.#token = token;
  }

  /** The API's base URL. */
  get apiUrl(): string {
    return this.#apiUrl;
  }

  /** The URL a path goes to. */
  urlOf(path: string): string {
    const [bare, query] = path.split("?", 2);
    if (!isGraphqlPath(bare)) return `${this.#apiUrl}${path}`;
    const graphql = this.#apiUrl.endsWith("/api/v3")
      ? `${this.#apiUrl.slice(0, -"/api/v3".length)}/api/graphql`
      : `${this.#apiUrl}/graphql`;
    return query === undefined ? graphql : `${graphql}?${query}`;
  }

  /** The Authorization to send: the caller's, else the proxy's token. */
  authorization(clientAuth: string | null | undefined): string | undefined {
    return clientAuth || (this.#token === undefined ? undefined : `token ${this.#token}`);
  }

  /** Sends a request; rejects when the API cannot be reached or does not answer in time. */
  async send(forward: Forward): Promise<Response> {
    const headers = new Headers({
      accept: forward.accept || "application/vnd.github+json",
      "user-agent": forward.userAgent || "awmg-proxy",
    });
    const authorization = this.authorization(forward.clientAuth);
    if (authorization !== undefined) headers.set("authorization", authorization);
    if (forward.contentType) headers.set("content-type", forward.contentType);
    const aborter = new AbortController();
    const timer = setTimeout(
      () => aborter.abort(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS / 1000}s`)),
      UPSTREAM_TIMEOUT_MS,
    );
    try {
      return await fetch(this.urlOf(forward.path), {
        method: forward.method,
        headers,
        body: forward.body ?? null,
        redirect: forward.manualRedirect ? "manual" : "follow",
        signal: aborter.signal,
      });
    } finally {
      // The answer's headers arrived (or never will): its body is the caller's to read or stream.
      clearTimeout(timer);
    }
  }

  /**
   * The guard's `call_backend`: the REST lookup a github-mcp-server tool would make, answered as that
   * tool's text result. Only the lookups the guard makes are served.
   */
  backend(clientAuth: string | null): (tool: string, args: unknown) => Promise<string> {
    return async (tool, args) => {
      const path = lookupPath(tool, (args ?? {}) as Record<string, unknown>);
      // The proxy's token first: the caller's may not see what the guard must.
      const response = await this.send({
        method: "GET",
        path,
        clientAuth: this.#token === undefined ? clientAuth : null,
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`${tool}: GET ${path} answered HTTP ${response.status}`);
      }
      const text = await readLimited(response.body, MAX_LOOKUP_BYTES);
      if (text === undefined) {
        throw new Error(`${tool}: GET ${path} answered more than ${MAX_LOOKUP_BYTES} bytes`);
      }
      return JSON.stringify({ content: [{ type: "text", text }] });
    };
  }
}

const segment = (value: unknown, name: string, tool: string): string => {
  const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? String(value)
    : typeof value === "string"
    ? value
    : "";
  if (text === "" || text.includes("/") || text === "." || text === "..") {
    throw new Error(`${tool}: missing ${name}`);
  }
  return encodeURIComponent(text);
};

/** The REST path of a lookup the guard asks for. */
function lookupPath(tool: string, args: Record<string, unknown>): string {
  const repo = () => `/repos/${segment(args.owner, "owner", tool)}/${segment(args.repo, "repo", tool)}`;
  switch (tool) {
    case "pull_request_read":
      return `${repo()}/pulls/${segment(args.pullNumber, "pullNumber", tool)}`;
    case "issue_read":
      return `${repo()}/issues/${segment(args.issue_number, "issue_number", tool)}`;
    case "search_repositories": {
      const query = typeof args.query === "string" ? args.query : "";
      if (query === "") throw new Error("search_repositories: missing query");
      const perPage = typeof args.perPage === "number"
        ? Math.min(100, Math.max(1, Math.trunc(args.perPage)))
        : 10;
      return `/search/repositories?q=${encodeURIComponent(query)}&per_page=${perPage}`;
    }
    case "get_collaborator_permission":
      return `${repo()}/collaborators/${segment(args.username, "username", tool)}/permission`;
    default:
      throw new Error(`unsupported tool: ${tool}`);
  }
}
