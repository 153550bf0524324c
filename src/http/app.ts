/**
 * The HTTP side: routes, auth, body limits and the Streamable HTTP details. It never touches a backend;
 * every message goes through the gateway.
 */
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import type { Context } from "hono";
import type { Gateway } from "../gateway/gateway.ts";
import { UNIFIED } from "../gateway/names.ts";
import type { Delivery } from "../gateway/exchange.ts";
import type { Session } from "../gateway/session.ts";
import {
  type Envelope,
  headerMismatch,
  MODERN_VERSION,
  ModernError,
  modernErrorStatus,
  modernResult,
  readEnvelope,
  SERVED_VERSIONS,
  unsupportedVersion,
} from "../protocol/revision.ts";
import { ErrorCode } from "../jsonrpc/errors.ts";
import { type Classified, classify, type JsonRpcMessage } from "../jsonrpc/messages.ts";
import { requestSpan, type Span, tracingEnabled } from "../observability/tracing.ts";
import { logHealth } from "../observability/logging.ts";
import { SPEC_VERSION, VERSION } from "../version.ts";
import { agentOf, authChecker } from "./auth.ts";
import { readBody } from "./body.ts";
import { type OriginCheck, requestHost } from "./origin.ts";
import { json, rpcError } from "./responses.ts";
import { openSse, SSE_HEADERS } from "./sse.ts";

/** What the HTTP layer is given. */
export interface AppOptions {
  readonly gateway: Gateway;
  /** Accepted API keys; empty only when auth was turned off with --no-auth. */
  readonly apiKeys: readonly string[];
  /** DNS-rebinding protection for every endpoint. */
  readonly originCheck: OriginCheck;
  readonly maxBodySize: number;
  /** How long a client may take to send a request body. */
  readonly bodyTimeoutMs: number;
  /** Unread bytes an SSE stream may hold before its client is disconnected. */
  readonly maxUnsentBytes: number;
  /** Called once /close has answered, to stop serving and exit. */
  readonly onClosed: () => void;
}

type Env = { Bindings: { remoteAddr?: Deno.NetAddr } };

/** A route's work once the request has passed the gate, with the identity its API key gave. */
type GatedRoute = (c: Context<Env>, identity: number) => Response | Promise<Response>;

const SESSION_HEADER = "mcp-session-id";
const OAUTH_DISCOVERY = "/.well-known/oauth-authorization-server";
const clientLog = getLogger(["awmg", "client"]);
const authLog = getLogger(["awmg", "auth"]);
const originLog = getLogger(["awmg", "origin"]);

/**
 * A JSON answer; its size and any error go on the request's span. A 2026-07-28 request's errors get the
 * revision's HTTP status.
 */
function jsonAnswer(
  message: JsonRpcMessage,
  text: string | undefined,
  span: Span | undefined,
  modern = false,
): Response {
  if (span !== undefined) {
    if (text !== undefined) span.set({ "http.response.body.size": text.length });
    if ("error" in message) span.fail(message.error.message);
  }
  const status = modern && "error" in message ? modernErrorStatus(message.error.code) : 200;
  return json(message, status, undefined, text);
}

/** A response as a 2026-07-28 client expects it (see modernResult); other messages pass unchanged. */
function modernDelivery(method: string, delivery: Delivery): Delivery {
  const { message } = delivery;
  if (!("result" in message)) return delivery;
  const result = modernResult(method, message.result);
  return result === message.result
    ? delivery
    : { message: { ...message, result: result as Record<string, unknown> } };
}

/** The trace context a client request carries in `_meta.traceparent` (both revisions name it there). */
function clientTraceparent(message: JsonRpcMessage): string | undefined {
  const meta = ("params" in message ? message.params as { _meta?: { traceparent?: unknown } } : undefined)
    ?._meta;
  return typeof meta?.traceparent === "string" ? meta.traceparent : undefined;
}

/** The tool a tools/call names, for the trace. */
function toolName(message: JsonRpcMessage): string | undefined {
  const name = ("params" in message ? message.params as { name?: unknown } | undefined : undefined)?.name;
  return typeof name === "string" ? name : undefined;
}

function remote(c: Context<Env>): string {
  const addr = c.env?.remoteAddr;
  return addr === undefined ? "unknown" : `${addr.hostname}:${addr.port}`;
}

/** Builds the Hono app serving /health, /close and /mcp/{serverID} (routed) or /mcp (unified). */
export function createApp(options: AppOptions): Hono<Env> {
  const { gateway } = options;
  const app = new Hono<Env>({ strict: false });
  const check = authChecker(options.apiKeys);
  const authOn = options.apiKeys.length > 0;

  /**
   * DNS-rebinding protection, for every endpoint. Each route calls its checks itself rather than through
   * middleware: a request that matches one handler skips Hono's middleware composition altogether.
   */
  const originRefusal = (c: Context<Env>): Response | undefined => {
    const refusal = options.originCheck(requestHost(c.req.raw), c.req.header("origin") ?? null);
    if (refusal === undefined) return undefined;
    originLog.warn("Refused a request with {header} {value}, remote={remote}, path={path}", {
      header: refusal.header,
      value: refusal.value,
      remote: remote(c),
      path: c.req.path,
    });
    return rpcError(
      403,
      ErrorCode.Forbidden,
      `Forbidden: ${refusal.header} ${JSON.stringify(refusal.value)} is not allowed`,
      {
        header: refusal.header,
        value: refusal.value,
        detail:
          `a web page on another site may be driving a browser here (DNS rebinding); if clients really use this ${
            refusal.header === "Host" ? "name" : "origin"
          }, add it to ${refusal.setting}`,
      },
    );
  };

  /** The API key's check: the caller's identity, or the refusal to answer with. */
  const authenticate = (c: Context<Env>): number | Response => {
    if (!authOn) return 0;
    const result = check(c.req.header("authorization"));
    if (result.kind === "ok") return result.identity;
    // OAuth discovery answers 404 without a key, as the Go gateway's: clients that probe it learn there is
    // none. Checked only here, on the way to a 401, so no route (and no router cost) is added for it.
    if (c.req.path.endsWith(OAUTH_DISCOVERY)) {
      return rpcError(404, ErrorCode.InvalidRequest, "Not found: awmg does not use OAuth", {
        detail: 'send the API key as "Authorization: <api-key>"',
      });
    }
    const reason = result.kind === "missing"
      ? "missing Authorization header"
      : result.kind === "invalid"
      ? "invalid API key"
      : `malformed Authorization header: ${result.reason}`;
    authLog.error("Authentication failed: {reason}, remote={remote}, path={path}", {
      reason,
      remote: remote(c),
      path: c.req.path,
    });
    return rpcError(
      result.kind === "malformed" ? 400 : 401,
      ErrorCode.Unauthorized,
      `Unauthorized: ${reason}`,
      { detail: 'send the API key as "Authorization: <api-key>"' },
    );
  };

  /** A route behind the origin check and the API key. */
  const gated = (route: GatedRoute) => (c: Context<Env>) => {
    const refused = originRefusal(c);
    if (refused !== undefined) return refused;
    const identity = authenticate(c);
    return typeof identity === "number" ? route(c, identity) : identity;
  };

  app.get("/health", (c) => {
    const refused = originRefusal(c);
    if (refused !== undefined) return refused;
    const servers = gateway.health();
    const healthy = gateway.state === "open" && Object.values(servers).every((s) => s.status !== "error");
    return json({
      status: healthy ? "healthy" : "unhealthy",
      specVersion: SPEC_VERSION,
      gatewayVersion: VERSION,
      servers,
      logs: logHealth(),
    }, healthy ? 200 : 503);
  });

  app.post(
    "/close",
    gated(async () => {
      if (gateway.state !== "open") return json({ error: "the gateway is already closed" }, 410);
      const serversTerminated = await gateway.close();
      setTimeout(options.onClosed, 0);
      return json({ status: "closed", message: "Gateway shutdown complete", serversTerminated });
    }),
  );

  app.get("/reflect", gated(() => json(gateway.reflect())));

  const unified = gateway.mode === "unified";
  const mcpPath = unified ? "/mcp" : "/mcp/:server";
  const endpointOf = (c: Context<Env>) => unified ? UNIFIED : c.req.param("server") ?? "";
  const serverList = () => gateway.serverIds.join(", ") || "(none)";
  const endpointList = () => unified ? "/mcp (unified mode)" : `/mcp/{serverID} for: ${serverList()}`;

  /** An MCP endpoint's own checks: the gateway open, the server known, the protocol version spoken. */
  const endpointRefusal = (c: Context<Env>): Response | undefined => {
    if (gateway.state !== "open") {
      return rpcError(503, ErrorCode.ShuttingDown, "Service unavailable: the gateway is shutting down");
    }
    const serverId = endpointOf(c);
    if (!unified && !gateway.serverIds.includes(serverId)) {
      return rpcError(404, ErrorCode.ServerUnavailable, `Unknown server '${serverId}'`, {
        server: serverId,
        detail: `configured servers: ${serverList()}`,
      });
    }
    // A POST's version is read with its body, so that the error carries the request's id.
    const version = c.req.method === "POST" ? undefined : c.req.header("mcp-protocol-version");
    if (version !== undefined && !SERVED_VERSIONS.includes(version)) {
      const refusal = unsupportedVersion(version);
      return rpcError(400, refusal.code, refusal.message, refusal.data);
    }
    if (version === MODERN_VERSION) {
      const response = rpcError(405, ErrorCode.InvalidRequest, `Method not allowed: ${c.req.method}`, {
        detail:
          `revision ${MODERN_VERSION} has no ${c.req.method} on the MCP endpoint: send each request as a POST`,
      });
      response.headers.set("allow", "POST");
      return response;
    }
    return undefined;
  };
  /** A route of the MCP endpoint, behind the gate and the endpoint's checks. */
  const endpoint = (route: GatedRoute) => gated((c, identity) => endpointRefusal(c) ?? route(c, identity));

  /** The session named by the request's header: undefined without one, null when unknown or not the caller's. */
  const sessionOf = (c: Context<Env>, identity: number): Session | undefined | null => {
    const id = c.req.header(SESSION_HEADER);
    if (id === undefined) return undefined;
    const session = gateway.sessions.touch(id);
    return session !== undefined && session.endpoint === endpointOf(c) && session.identity === identity
      ? session
      : null;
  };
  const sessionNotFound = () =>
    rpcError(404, ErrorCode.InvalidRequest, "Session not found", {
      detail: "the session expired or was closed: send initialize again",
    });
  /** The session a GET or DELETE must name, or the refusal to answer with. */
  const namedSession = (c: Context<Env>, identity: number, detail?: string): Session | Response => {
    const session = sessionOf(c, identity);
    if (session === null) return sessionNotFound();
    if (session !== undefined) return session;
    return rpcError(
      400,
      ErrorCode.InvalidRequest,
      "Bad Request: Mcp-Session-Id header is required",
      detail === undefined ? undefined : { detail },
    );
  };
  /** An SSE stream held to maxUnsentBytes; `reader` names who reads it in the warning when it overflows. */
  const openStream = (reader: string) =>
    openSse(options.maxUnsentBytes, (unsent) =>
      clientLog.warn(
        "Disconnected {reader}: it left {bytes} bytes of its SSE stream unread (gateway.maxUnsentBytes)",
        { reader, bytes: unsent },
      ));
  const acceptsStream = (c: Context<Env>) => c.req.header("accept")?.includes("text/event-stream") === true;

  app.post(
    mcpPath,
    endpoint(async (c, identity) => {
      const serverId = endpointOf(c);
      const version = c.req.header("mcp-protocol-version");
      // A 2026-07-28 request has no session: an Mcp-Session-Id beside it is ignored, as the revision says.
      const session = version === MODERN_VERSION ? undefined : sessionOf(c, identity);
      if (session === null) return sessionNotFound();
      const agent = agentOf(c.req.header("x-agent-id"), identity);
      if ("refused" in agent) {
        return rpcError(400, ErrorCode.InvalidRequest, `Invalid X-Agent-ID header: ${agent.refused}`, {
          detail: "send a short name of the agent (letters, digits, - and _), or leave the header out",
        });
      }
      const read = await readBody(c.req.raw, options.maxBodySize, options.bodyTimeoutMs);
      if (read.kind === "too-large") {
        return rpcError(
          413,
          ErrorCode.InvalidRequest,
          `Request body too large: the limit is ${options.maxBodySize} bytes`,
          { detail: "gateway.maxBodySize (max_body_size in TOML) sets the limit" },
        );
      }
      if (read.kind === "timeout") {
        clientLog.warn("Dropped a request whose body did not arrive within {seconds}s, remote={remote}", {
          seconds: options.bodyTimeoutMs / 1000,
          remote: remote(c),
        });
        const response = rpcError(
          408,
          ErrorCode.InvalidRequest,
          "Request timeout: the body did not arrive in time",
          {
            detail: `the limit is ${options.bodyTimeoutMs / 1000}s (gateway.bodyTimeout)`,
          },
        );
        response.headers.set("connection", "close");
        return response;
      }
      const body = read.text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (error) {
        return rpcError(400, ErrorCode.ParseError, "Parse error", {
          server: serverId,
          detail: (error as Error).message,
        });
      }
      if (Array.isArray(parsed)) {
        return rpcError(
          400,
          ErrorCode.InvalidRequest,
          "Invalid Request: JSON-RPC batches are not supported",
          {
            server: serverId,
            detail: "send one message per request",
          },
        );
      }
      const classified = classify(parsed);
      if (classified.kind === "invalid") {
        return rpcError(400, ErrorCode.InvalidRequest, `Invalid Request: ${classified.reason}`, {
          server: serverId,
          detail: classified.reason,
        }, classified.id);
      }
      const method = "method" in classified.message ? classified.message.method : "response";
      let modern: Envelope | undefined;
      if (classified.kind !== "response") {
        const reading = readEnvelope(classified.message.params, version);
        const id = classified.kind === "request" ? classified.message.id : null;
        if (reading.kind === "invalid") return rpcError(400, reading.code, reading.message, reading.data, id);
        if (reading.kind === "modern" && classified.kind === "request") {
          const mismatch = headerMismatch((name) => c.req.header(name), method, classified.message.params);
          if (mismatch !== undefined) {
            return rpcError(400, ModernError.HeaderMismatch, mismatch, undefined, id);
          }
          modern = reading.envelope;
        }
      }
      const span = tracingEnabled()
        ? requestSpan(`mcp ${method}`, {
          "mcp.method": method,
          "mcp.server": unified ? "(unified)" : serverId,
          "mcp.session": session?.id,
          "mcp.tool": method === "tools/call" ? toolName(classified.message) : undefined,
          "http.request.body.size": body.length,
        }, clientTraceparent(classified.message))
        : undefined;
      const caller = { identity, agent: agent.agent };
      const response = await answer(c, caller, serverId, session, classified, body, span, modern);
      if (span !== undefined) {
        span.set({ "http.response.status_code": response.status });
        if (response.status >= 400) span.fail(`HTTP ${response.status}`);
        if (response.headers.get("content-type") !== SSE_HEADERS["content-type"]) span.end();
      }
      return response;
    }),
  );

  /** Dispatches a well-formed client message and turns the outcome into a response (JSON or SSE). */
  const answer = async (
    c: Context<Env>,
    { identity, agent }: { identity: number; agent: string },
    serverId: string,
    session: Session | undefined,
    classified: Exclude<Classified, { kind: "invalid" }>,
    body: string,
    span: Span | undefined,
    modern: Envelope | undefined,
  ): Promise<Response> => {
    const streamable = acceptsStream(c);
    const outcome = await gateway.dispatch(
      {
        serverId,
        identity,
        agent,
        session,
        disconnect: () => c.req.raw.signal,
        streamable,
        text: body,
        span,
        modern,
      },
      classified,
    );
    if (outcome.kind === "accepted") return c.body(null, 202);
    if (outcome.kind === "subscription") {
      const { subscription } = outcome;
      const stream = openStream(`the subscription ${JSON.stringify(subscription.id)} of ${remote(c)}`);
      subscription.attach(stream);
      stream.closed.then(() => {
        subscription.detach();
        span?.end();
      });
      return new Response(stream.body, { headers: SSE_HEADERS });
    }
    const method = (classified.message as { method: string }).method;
    const shown = modern === undefined
      ? (delivery: Delivery) => delivery
      : (delivery: Delivery) => modernDelivery(method, delivery);
    if (outcome.kind === "reply" && outcome.session !== undefined) {
      clientLog.info(
        "New MCP client connection, remote={remote}, method=POST, path={path}, backend={server}, session={session}",
        {
          remote: remote(c),
          path: c.req.path,
          server: unified ? "(unified)" : serverId,
          session: outcome.session.id,
        },
      );
    }
    if (outcome.kind === "reply") {
      span?.set({ "mcp.session": outcome.session?.id });
      if (modern !== undefined) {
        return jsonAnswer(shown({ message: outcome.message }).message, undefined, span, true);
      }
      return json(
        outcome.message,
        200,
        outcome.session ? { [SESSION_HEADER]: outcome.session.id } : undefined,
      );
    }
    const { exchange } = outcome;
    const first = shown(await exchange.next());
    if (!("method" in first.message)) {
      return jsonAnswer(first.message, first.text, span, modern !== undefined);
    }
    if (!streamable) {
      for await (const delivery of exchange) {
        const { message, text } = shown(delivery);
        if (!("method" in message)) return jsonAnswer(message, text, span, modern !== undefined);
      }
    }
    const stream = openStream(`session ${session?.id ?? "(none)"}`);
    stream.closed.then(() => {
      exchange.abandon("the client closed its SSE stream");
      span?.end();
    });
    stream.send(first.message, undefined, first.text);
    (async () => {
      for await (const delivery of exchange) {
        const { message, text } = shown(delivery);
        stream.send(message, undefined, text);
      }
      stream.close();
    })();
    return new Response(stream.body, { headers: SSE_HEADERS });
  };

  app.get(
    mcpPath,
    endpoint((c, identity) => {
      const session = namedSession(c, identity, "initialize first, then open the stream with the session id");
      if (session instanceof Response) return session;
      if (!acceptsStream(c)) {
        return rpcError(
          406,
          ErrorCode.InvalidRequest,
          "Not Acceptable: the client must accept text/event-stream",
        );
      }
      const stream = openStream(`session ${session.id}`);
      const lastEventId = Number(c.req.header("last-event-id"));
      session.attach(stream, Number.isInteger(lastEventId) ? lastEventId : undefined);
      stream.closed.then(() => session.detach(stream));
      return new Response(stream.body, { headers: SSE_HEADERS });
    }),
  );

  app.delete(
    mcpPath,
    endpoint((c, identity) => {
      const session = namedSession(c, identity);
      if (session instanceof Response) return session;
      gateway.sessions.remove(session.id)?.end();
      return c.body(null, 200);
    }),
  );

  app.notFound(
    gated((c) =>
      rpcError(404, ErrorCode.InvalidRequest, `Not found: ${c.req.method} ${c.req.path}`, {
        detail: `the MCP endpoint is ${endpointList()}`,
      })
    ),
  );

  app.onError((error) => {
    clientLog.error("Unhandled error: {error}", { error: error.message });
    return rpcError(500, ErrorCode.InternalError, "Internal error", { detail: error.message });
  });

  return app;
}
