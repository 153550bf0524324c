/**
 * One proxied request, as the Go gateway's proxy handles it: health and `/reflect` answered here; metadata,
 * writes and GraphQL introspection forwarded unjudged and streamed; a GET the route table knows, or a
 * GraphQL query it can classify, judged by the guard before and after the upstream call; a GET it does not
 * know forwarded with empty labels and logged; an unknown GraphQL operation refused.
 */
import { getLogger } from "@logtape/logtape";
import { readBody } from "../http/body.ts";
import { readDeclared } from "../jsonrpc/framer.ts";
import { recordPassthrough } from "../observability/decisions.ts";
import { injectGuardFields, INTROSPECTION, matchGraphql } from "./graphql.ts";
import type { After, Before, ProxyJudge } from "./judge.ts";
import { isGraphqlPath, isMetadataPath, matchRoute, stripGhesPrefix } from "./routes.ts";
import { rebuildAnswer } from "./transform.ts";
import type { GithubUpstream } from "./upstream.ts";

/** What the handler needs. */
export interface ProxyHandlerOptions {
  readonly upstream: GithubUpstream;
  /** Undefined without a policy: judged requests are answered 503. */
  readonly judge?: ProxyJudge;
  /** The largest answer read whole to be judged (the rest are streamed). */
  readonly maxJudgedBytes: number;
  /** The largest GraphQL request body, and how long it may take to arrive. */
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
}

/** The upstream headers a caller gets, as Go copies them. */
const COPIED = [
  "content-type",
  "content-disposition",
  "location",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "x-ratelimit-resource",
  "x-ratelimit-used",
  "link",
  "x-github-request-id",
];

const log = getLogger(["awmg", "proxy"]);

function json(status: number, body: unknown, headers?: Headers): Response {
  const out = new Headers(headers);
  out.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers: out });
}

/** Go's error body: `{"error": code, "message": ...}`. */
function failure(status: number, code: string, message: string): Response {
  return json(status, { error: code, message });
}

/** The seconds a rate-limited caller should wait: until the reset, within 1 s and an hour; 60 when unknown. */
export function retryAfter(status: number, headers: Headers, now = Date.now()): number | undefined {
  if (status !== 429 && headers.get("x-ratelimit-remaining") !== "0") return undefined;
  const reset = Number(headers.get("x-ratelimit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return 60;
  const seconds = Math.ceil(reset - now / 1000);
  return seconds <= 0 ? 60 : Math.min(3600, Math.max(1, seconds));
}

/** The caller's headers from an upstream answer. */
function copiedHeaders(upstream: Response): Headers {
  const headers = new Headers();
  for (const name of COPIED) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const wait = retryAfter(upstream.status, upstream.headers);
  if (wait !== undefined) {
    headers.set("retry-after", String(wait));
    log.error("Upstream rate limit hit: status={status}, retry after {wait}s", {
      status: upstream.status,
      wait,
    });
  }
  return headers;
}

/** A request the guard judges: the tool the route table or GraphQL matcher named, and its arguments. */
interface Judged {
  readonly path: string;
  readonly tool: string;
  readonly args: Record<string, string>;
  /** The GraphQL body to send, with the fields the guard needs; undefined for a REST GET. */
  readonly graphqlBody?: string;
}

/** The requests of one proxy run. */
class ProxyRequests {
  readonly #options: ProxyHandlerOptions;

  constructor(options: ProxyHandlerOptions) {
    this.#options = options;
  }

  /** Routes one request: answered here, streamed unjudged, judged, or refused. */
  async route(request: Request, path: string, full: string): Promise<Response> {
    const { judge } = this.#options;
    if (path === "/health" || path === "/healthz") return json(200, { status: "ok" });
    if (request.method === "GET" && path === "/reflect") {
      return json(200, {
        agents: judge === undefined ? {} : { proxy: judge.reflect() },
        mode: judge?.mode ?? "strict",
        timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      });
    }
    if (request.method === "GET" && isMetadataPath(path)) return await this.#stream(request, full);
    const graphql = isGraphqlPath(path);
    if (!(request.method === "GET" || (request.method === "POST" && graphql))) {
      return await this.#stream(request, full, { body: request.body });
    }
    if (graphql) return await this.#graphql(request, full);
    const route = matchRoute(full);
    if (route !== undefined) return await this.#judged(request, { path: full, ...route });
    recordPassthrough({ method: request.method, path });
    log.warn("[UNRECOGNIZED-ENDPOINT] {method} {path} forwarded with empty labels", {
      method: request.method,
      path,
    });
    return await this.#stream(request, full);
  }

  /** Forwards and streams the answer back: nothing of it is read here. */
  async #stream(
    request: Request,
    path: string,
    init: { body?: BodyInit | null; manual?: boolean } = {},
  ): Promise<Response> {
    const answer = await this.#options.upstream.send({
      method: request.method,
      path,
      body: init.body,
      contentType: request.headers.get("content-type"),
      accept: request.headers.get("accept"),
      userAgent: request.headers.get("user-agent"),
      clientAuth: request.headers.get("authorization"),
      manualRedirect: init.manual,
    });
    return new Response(answer.body, { status: answer.status, headers: copiedHeaders(answer) });
  }

  /** A GraphQL POST: a known query judged, introspection streamed, anything else refused. */
  async #graphql(request: Request, full: string): Promise<Response> {
    const { maxBodyBytes, bodyTimeoutMs } = this.#options;
    const read = await readBody(request, maxBodyBytes, bodyTimeoutMs);
    if (read.kind === "too-large") {
      return failure(413, "request_too_large", `GraphQL request body over ${maxBodyBytes} bytes`);
    }
    if (read.kind === "timeout") {
      return failure(408, "request_timeout", "the request body did not arrive in time");
    }
    const match = matchGraphql(read.text);
    if (match === undefined) {
      log.warn("Refused an unrecognized GraphQL operation: {query}", { query: read.text.slice(0, 500) });
      return json(403, {
        data: null,
        errors: [{ message: "access denied: unrecognized GraphQL operation" }],
      });
    }
    if (match.tool === INTROSPECTION) return await this.#stream(request, full, { body: read.text });
    const graphqlBody = injectGuardFields(read.text, match.tool);
    return await this.#judged(request, { path: full, tool: match.tool, args: match.args, graphqlBody });
  }

  /** Labelled before it is sent, its answer read whole and labelled after: passed, filtered or refused. */
  async #judged(request: Request, { path, tool, args, graphqlBody }: Judged): Promise<Response> {
    const { judge, upstream } = this.#options;
    if (judge === undefined) return failure(503, "service_unavailable", "proxy enforcement not configured");
    const clientAuth = request.headers.get("authorization");
    let before: Before;
    try {
      before = await judge.before(tool, args, upstream.backend(clientAuth));
    } catch (error) {
      log.error("Labelling {tool} failed: {error}", { tool, error: (error as Error).message });
      return failure(502, "bad_gateway", "resource labeling failed");
    }
    if (before.kind === "refuse") {
      return failure(403, "difc_forbidden", `DIFC policy violation: ${before.reason}`);
    }
    if (tool === "actions_get" && args.method === "download_workflow_run_artifact") {
      return await this.#stream(request, path, { manual: true });
    }
    const answer = await upstream.send({
      method: graphqlBody === undefined ? "GET" : "POST",
      path,
      body: graphqlBody,
      contentType: graphqlBody === undefined ? null : "application/json",
      accept: request.headers.get("accept"),
      userAgent: request.headers.get("user-agent"),
      clientAuth,
    });
    const headers = copiedHeaders(answer);
    const text = await this.#readWhole(answer);
    if (text instanceof Response) return text;
    if (answer.status >= 300) return new Response(text, { status: answer.status, headers });
    return await this.#shown(tool, before.after, text, answer.status, headers);
  }

  /** An answer to judge, read whole within maxJudgedBytes; a larger one is refused, never judged in part. */
  async #readWhole(answer: Response): Promise<string | Response> {
    const { maxJudgedBytes } = this.#options;
    const text = await readDeclared(answer, maxJudgedBytes);
    if (text !== undefined) return text;
    return failure(
      502,
      "bad_gateway",
      `upstream answer larger than ${maxJudgedBytes} bytes cannot be judged`,
    );
  }

  /** What the caller sees of a successful answer, as the guard labels it; an answer that is not JSON passes. */
  async #shown(
    tool: string,
    after: (text: string) => Promise<After>,
    text: string,
    status: number,
    headers: Headers,
  ): Promise<Response> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return new Response(text, { status, headers });
    }
    let shown: After;
    try {
      shown = await after(text);
    } catch (error) {
      log.error("Labelling the answer of {tool} failed: {error}", { tool, error: (error as Error).message });
      return failure(502, "bad_gateway", "response labeling failed");
    }
    if (shown.kind === "pass") return new Response(text, { status, headers });
    if (shown.kind === "refuse") return failure(403, "difc_forbidden", shown.message);
    return json(status, rebuildAnswer(parsed, shown.kept), headers);
  }
}

/** The handler of one proxy run; an upstream that cannot be reached is a 502, never a crash. */
export function proxyHandler(options: ProxyHandlerOptions): (request: Request) => Promise<Response> {
  const requests = new ProxyRequests(options);
  return async (request) => {
    const url = new URL(request.url);
    const path = stripGhesPrefix(url.pathname);
    try {
      return await requests.route(request, path, `${path}${url.search}`);
    } catch (error) {
      log.error("{method} {path}: the upstream request failed: {error}", {
        method: request.method,
        path,
        error: (error as Error).message,
      });
      return failure(502, "bad_gateway", "upstream request failed");
    }
  };
}
