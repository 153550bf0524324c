/**
 * The MCP endpoint's routes (`/mcp` in unified mode, `/mcp/{serverID}` in routed mode): POST carries one
 * client message to the gateway, GET opens a 2025 session's stream, DELETE ends a session. Each runs behind
 * the gate and the endpoint's own checks: the gateway open, the server known, the protocol version spoken.
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import type { Gateway } from "../gateway/gateway.ts";
import type { Outcome, RequestContext } from "../gateway/dispatch.ts";
import { UNIFIED } from "../gateway/names.ts";
import { REPLAY_BYTES, replicaOfSession, type Session } from "../gateway/session.ts";
import { ErrorCode } from "../jsonrpc/errors.ts";
import type { JsonRpcMessage } from "../jsonrpc/messages.ts";
import { requestSpan, type Span, tracingEnabled } from "../observability/tracing.ts";
import { MODERN_VERSION, SERVED_VERSIONS, unsupportedVersion } from "../protocol/revision.ts";
import { type Answering, respond, SESSION_HEADER } from "./answer.ts";
import { agentOf } from "./auth.ts";
import type { Env } from "./gate.ts";
import { type BodyLimits, type ClientMessage, readMessage } from "./message.ts";
import { rpcError } from "./responses.ts";
import { openSse, SSE_HEADERS, type SseStream } from "./sse.ts";

/** What the endpoint is given besides the gateway. */
export interface EndpointLimits extends BodyLimits {
  /** Unread bytes an SSE stream may hold before its client is disconnected. */
  readonly maxUnsentBytes: number;
  /** The other replicas, when there are: retries of calls they hold are sent on to them. */
  readonly replicas?: ReplicaLink;
}

/** The other replicas as the endpoint reaches them (implemented by cluster/'s ReplicaHop). */
export interface ReplicaLink {
  /** This replica's name. */
  readonly self: string;
  /** The replicas live now, this one among them. */
  live(): readonly { readonly id: string; readonly url: string }[];
  /** Undefined when the request is no hop; else whether its signature holds, and why not. */
  verify(
    request: Request,
    body: string,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string } | undefined>;
  /** The owner's answer to the request, sent on signed; undefined when it is gone or does not answer. */
  forward(replica: string, request: Request, body: string): Promise<Response | undefined>;
}

const clientLog = getLogger(["awmg", "client"]);

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

function acceptsStream(c: Context<Env>): boolean {
  return c.req.header("accept")?.includes("text/event-stream") === true;
}

/** The 404 of a session this replica does not hold; `owner` is the replica its id names, if another. */
function sessionNotFound(owner?: string): Response {
  return rpcError(404, ErrorCode.InvalidRequest, "Session not found", {
    detail: owner === undefined
      ? "the session expired or was closed: send initialize again"
      : `the session belongs to replica '${owner}', which is gone or not this one: send initialize again`,
  });
}

/** Where a retry goes when there are no other replicas: nowhere. */
const NOWHERE = () => Promise.resolve(undefined);

/**
 * How a retry is sent on to the replica holding its call. Alone, a function that keeps nothing: a closure
 * made here would share this call's scope, and keep its body alive as long as the answer takes.
 */
function sendingOn(replicas: ReplicaLink | undefined, request: Request, body: string): Answering["sendOn"] {
  return replicas === undefined ? NOWHERE : (replica) => replicas.forward(replica, request, body);
}

/** The POST's response to an outcome, its span told the status. */
async function answered(outcome: Promise<Outcome>, answering: Answering): Promise<Response> {
  const response = await respond(await outcome, answering);
  const { span } = answering;
  if (span !== undefined) {
    span.set({ "http.response.status_code": response.status });
    if (response.status >= 400) span.fail(`HTTP ${response.status}`);
    if (response.headers.get("content-type") !== SSE_HEADERS["content-type"]) span.end();
  }
  return response;
}

/** The MCP endpoint of a gateway. */
export class McpEndpoint {
  readonly #gateway: Gateway;
  readonly #limits: EndpointLimits;
  readonly #unified: boolean;
  /** The route's path. */
  readonly path: string;

  constructor(gateway: Gateway, limits: EndpointLimits) {
    this.#gateway = gateway;
    this.#limits = limits;
    this.#unified = gateway.mode === "unified";
    this.path = this.#unified ? "/mcp" : "/mcp/:server";
  }

  /** Where clients find the endpoint, for a 404's hint. */
  get description(): string {
    return this.#unified ? "/mcp (unified mode)" : `/mcp/{serverID} for: ${this.#serverList()}`;
  }

  /** The endpoint's own checks: the refusal to answer with, if any. */
  refusal(c: Context<Env>): Response | undefined {
    if (this.#gateway.state !== "open") {
      return rpcError(503, ErrorCode.ShuttingDown, "Service unavailable: the gateway is shutting down");
    }
    const serverId = this.#serverOf(c);
    if (!this.#unified && !this.#gateway.serverIds.includes(serverId)) {
      return rpcError(404, ErrorCode.ServerUnavailable, `Unknown server '${serverId}'`, {
        server: serverId,
        detail: `configured servers: ${this.#serverList()}`,
      });
    }
    // A POST's version is read with its body, so that the error carries the request's id.
    const version = c.req.method === "POST" ? undefined : c.req.header("mcp-protocol-version");
    if (version !== undefined && !SERVED_VERSIONS.includes(version)) {
      const refusal = unsupportedVersion(version);
      return rpcError(400, refusal.code, refusal.message, refusal.data);
    }
    if (version !== MODERN_VERSION) return undefined;
    const response = rpcError(405, ErrorCode.InvalidRequest, `Method not allowed: ${c.req.method}`, {
      detail:
        `revision ${MODERN_VERSION} has no ${c.req.method} on the MCP endpoint: send each request as a POST`,
    });
    response.headers.set("allow", "POST");
    return response;
  }

  /** POST: one client message, answered with JSON or SSE. */
  readonly post = async (c: Context<Env>, identity: number): Promise<Response> => {
    const serverId = this.#serverOf(c);
    const version = c.req.header("mcp-protocol-version");
    // A 2026-07-28 request has no session: an Mcp-Session-Id beside it is ignored, as the revision says.
    const session = version === MODERN_VERSION ? undefined : this.#sessionOf(c, identity);
    if (session === null) return sessionNotFound(this.#ownerOf(c));
    const agent = agentOf(c.req.header("x-agent-id"), identity);
    if ("refused" in agent) {
      return rpcError(400, ErrorCode.InvalidRequest, `Invalid X-Agent-ID header: ${agent.refused}`, {
        detail: "send a short name of the agent (letters, digits, - and _), or leave the header out",
      });
    }
    const read = await readMessage(c, serverId, version, this.#limits);
    if (read instanceof Response) return read;
    // Alone, no hop is awaited: the hot path gains no turn of the event loop.
    const replicas = this.#limits.replicas;
    const hop = replicas === undefined ? undefined : await replicas.verify(c.req.raw, read.body);
    if (hop?.ok === false) {
      clientLog.warn("Refused a request sent on by a replica: {reason}", { reason: hop.reason });
      return rpcError(401, ErrorCode.InvalidRequest, `Unauthorized hop: ${hop.reason}`);
    }
    // Returned, not awaited: this frame ends here, and with it the body and its parse, rather than when the
    // backend answers (a large body kept alive that long was promoted to the old generation).
    return this.#answer(c, { serverId, identity, agent: agent.agent, session, hopped: hop?.ok }, read);
  };

  /** Dispatches a client message and answers the POST with what the gateway makes of it. */
  #answer(
    c: Context<Env>,
    caller: Pick<RequestContext, "serverId" | "identity" | "agent" | "session" | "hopped">,
    read: ClientMessage,
  ): Promise<Response> {
    const { serverId, session } = caller;
    const span = this.#span(serverId, session, read);
    const streamable = acceptsStream(c);
    const outcome = this.#gateway.dispatch({
      ...caller,
      disconnect: () => c.req.raw.signal,
      streamable,
      text: read.body,
      span,
      modern: read.modern,
    }, read.classified);
    return answered(outcome, {
      c,
      method: read.method,
      modern: read.modern,
      span,
      session,
      streamable,
      backend: this.#backendLabel(serverId),
      openStream: this.#openStream,
      sendOn: sendingOn(this.#limits.replicas, c.req.raw, read.body),
    });
  }

  /** GET: the stream of a 2025 session's server messages, resumed after Last-Event-ID. */
  readonly get = (c: Context<Env>, identity: number): Response => {
    const session = this.#namedSession(
      c,
      identity,
      "initialize first, then open the stream with the session id",
    );
    if (session instanceof Response) return session;
    if (!acceptsStream(c)) {
      return rpcError(
        406,
        ErrorCode.InvalidRequest,
        "Not Acceptable: the client must accept text/event-stream",
      );
    }
    const stream = this.#openStream(`session ${session.id}`);
    const lastEventId = Number(c.req.header("last-event-id"));
    session.attach(stream, Number.isInteger(lastEventId) ? lastEventId : undefined);
    stream.closed.then(() => session.detach(stream));
    return new Response(stream.body, { headers: SSE_HEADERS });
  };

  /** DELETE: ends the named session. */
  readonly delete = (c: Context<Env>, identity: number): Response => {
    const session = this.#namedSession(c, identity);
    if (session instanceof Response) return session;
    this.#gateway.sessions.remove(session.id)?.end();
    return c.body(null, 200);
  };

  #serverOf(c: Context<Env>): string {
    return this.#unified ? UNIFIED : c.req.param("server") ?? "";
  }

  #serverList(): string {
    return this.#gateway.serverIds.join(", ") || "(none)";
  }

  #backendLabel(serverId: string): string {
    return this.#unified ? "(unified)" : serverId;
  }

  /** The request's trace span; undefined, and nothing built, when tracing is off. */
  #span(serverId: string, session: Session | undefined, message: ClientMessage): Span | undefined {
    if (!tracingEnabled()) return undefined;
    const { method, classified, body } = message;
    return requestSpan(`mcp ${method}`, {
      "mcp.method": method,
      "mcp.server": this.#backendLabel(serverId),
      "mcp.session": session?.id,
      "mcp.tool": method === "tools/call" ? toolName(classified.message) : undefined,
      "http.request.body.size": body.length,
    }, clientTraceparent(classified.message));
  }

  /** The session named by the request's header: undefined without one, null when unknown or not the caller's. */
  #sessionOf(c: Context<Env>, identity: number): Session | undefined | null {
    const id = c.req.header(SESSION_HEADER);
    if (id === undefined) return undefined;
    const session = this.#gateway.sessions.touch(id);
    return session !== undefined && session.endpoint === this.#serverOf(c) && session.identity === identity
      ? session
      : null;
  }

  /** The replica a request's session id names, when it is another than this one. */
  #ownerOf(c: Context<Env>): string | undefined {
    const self = this.#limits.replicas?.self;
    const owner = replicaOfSession(c.req.header(SESSION_HEADER) ?? "");
    return self === undefined || owner === self ? undefined : owner;
  }

  /** The session a GET or DELETE must name, or the refusal to answer with. */
  #namedSession(c: Context<Env>, identity: number, detail?: string): Session | Response {
    const session = this.#sessionOf(c, identity);
    if (session === null) return sessionNotFound(this.#ownerOf(c));
    if (session !== undefined) return session;
    return rpcError(
      400,
      ErrorCode.InvalidRequest,
      "Bad Request: Mcp-Session-Id header is required",
      detail === undefined ? undefined : { detail },
    );
  }

  /**
   * An SSE stream whose unread messages are held to maxUnsentBytes, and never to more than the replay log
   * keeps: a flood held for a client that does not read costs the gateway about twice what is held, and a
   * client dropped at the bound resumes from the log with Last-Event-ID, missing nothing the log still has.
   * A call's answer always goes in (see openSse); `reader` names who reads in the warning on overflow.
   */
  readonly #openStream = (reader: string): SseStream =>
    openSse(Math.min(this.#limits.maxUnsentBytes, REPLAY_BYTES), (unsent) =>
      clientLog.warn(
        "Disconnected {reader}: it left {bytes} bytes of its SSE stream unread (gateway.maxUnsentBytes, at most 1 MiB)",
        { reader, bytes: unsent },
      ));
}
