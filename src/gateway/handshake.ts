/**
 * What the gateway answers itself at an endpoint rather than forward: a 2025 client's `initialize` (its
 * session made, the revision negotiated, a unified endpoint's results merged), a 2026-07-28 client's
 * `server/discover` and `subscriptions/listen` and the methods its revision removed, and what a 2025 client
 * asks that a 2026-07-28 server no longer has.
 */
import { getLogger } from "@logtape/logtape";
import { ErrorCode, errorResponse, unavailableResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcId, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import {
  type AnnouncedCapabilities,
  LEGACY_VERSIONS,
  META,
  NO_CACHE,
  SERVED_VERSIONS,
} from "../protocol/revision.ts";
import { VERSION } from "../version.ts";
import { type Outcome, reply, type RequestContext } from "./dispatch.ts";
import { UNIFIED } from "./names.ts";
import { Session, type SessionStore } from "./session.ts";
import { Subscription } from "./subscription.ts";
import type { Upstream } from "./upstream.ts";

/** `subscriptions/listen` streams one API key may hold open (each is an SSE stream the gateway feeds). */
export const MAX_LISTEN_STREAMS = 16;

/** Negotiates the protocol revision: the client's when the gateway and the backend both speak it. */
export function negotiateVersion(requested: unknown, backendVersion: string): string {
  const known = LEGACY_VERSIONS as readonly unknown[];
  return known.includes(requested) && (requested as string) <= backendVersion
    ? requested as string
    : backendVersion;
}

/** What the handshake needs of the gateway. */
export interface HandshakeHost {
  serverIds(): readonly string[];
  readonly sessions: SessionStore;
  readonly maxSessions: number;
  readonly subscriptions: Set<Subscription>;
  /** The name of this replica, put in the ids of the sessions it opens; undefined when it runs alone. */
  readonly replicaId?: string;
  /** The upstream for a caller; `legacyClient` for a 2025 client (see Upstreams.get). */
  upstream(serverId: string, identity: number, session?: Session, legacyClient?: boolean): Upstream;
  call(
    serverId: string,
    identity: number,
    session: Session | undefined,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<JsonRpcResponse>;
}

/** The requests an endpoint answers itself. */
export class Handshake {
  readonly #host: HandshakeHost;
  readonly #log = getLogger(["awmg", "gateway"]);

  constructor(host: HandshakeHost) {
    this.#host = host;
  }

  /**
   * What a 2026-07-28 request gets apart from forwarding: `server/discover` and `subscriptions/listen`
   * answered here, and the methods the revision removed refused as unknown.
   */
  async modernOnly(context: RequestContext, request: JsonRpcRequest): Promise<Outcome | undefined> {
    switch (request.method) {
      case "server/discover":
        return reply(await this.#discover(context, request));
      case "subscriptions/listen":
        return this.#listen(context, request);
      case "initialize":
      case "ping":
      case "logging/setLevel":
      case "resources/subscribe":
      case "resources/unsubscribe":
        return reply(
          errorResponse(request.id, ErrorCode.MethodNotFound, `Method not found: ${request.method}`, {
            detail: `revision ${context.modern!.version} has no ${request.method}`,
          }),
        );
    }
    return undefined;
  }

  /**
   * What a 2025 client asks that a 2026-07-28 server no longer has, answered by the gateway: the log level
   * (kept on the session and sent in each request's envelope) and resource subscriptions (served from the
   * backend's own `subscriptions/listen`).
   */
  answeredForModernBackend(
    context: RequestContext,
    serverId: string,
    request: JsonRpcRequest,
  ): JsonRpcResponse | undefined {
    if (context.modern !== undefined) return undefined;
    const { connection } = this.#host.upstream(serverId, context.identity, context.session, true);
    if (!connection.modern) return undefined;
    const uri = (request.params as { uri?: unknown } | undefined)?.uri;
    switch (request.method) {
      case "logging/setLevel":
        break;
      case "resources/subscribe":
        connection.subscribe(String(uri), true);
        break;
      case "resources/unsubscribe":
        connection.subscribe(String(uri), false);
        break;
      default:
        return undefined;
    }
    return { jsonrpc: "2.0", id: request.id, result: {} };
  }

  async initialize(context: RequestContext, request: JsonRpcRequest): Promise<Outcome> {
    const params = (request.params ?? {}) as {
      protocolVersion?: unknown;
      capabilities?: Record<string, unknown>;
    };
    const session = new Session(
      context.serverId,
      context.identity,
      params.capabilities ?? {},
      this.#host.replicaId,
    );
    const found = await this.#initializeResults(context, request.id, session);
    if ("jsonrpc" in found) {
      session.end();
      return reply(found);
    }
    const { ids, results } = found;
    const result = context.serverId === UNIFIED ? this.#unifiedInitialize(ids, results) : results[0];
    const version = negotiateVersion(params.protocolVersion, String(result.protocolVersion));
    session.version = version;
    if (!this.#host.sessions.add(session)) {
      session.end();
      return reply(errorResponse(request.id, ErrorCode.ServerUnavailable, "Too many sessions", {
        detail: `all ${this.#host.maxSessions} sessions (gateway.maxSessions) have requests in flight`,
      }));
    }
    this.#log.info("New session {session} on {endpoint}", {
      session: session.id,
      endpoint: context.serverId === UNIFIED ? "/mcp" : `/mcp/${context.serverId}`,
    });
    return {
      kind: "reply",
      session,
      message: { jsonrpc: "2.0", id: request.id, result: { ...result, protocolVersion: version } },
    };
  }

  /** `server/discover`: the revisions the gateway serves, and the endpoint's capabilities and identity. */
  async #discover(context: RequestContext, request: JsonRpcRequest): Promise<JsonRpcResponse> {
    const found = await this.#initializeResults(context, request.id);
    if ("jsonrpc" in found) return found;
    const { ids, results } = found;
    const result = context.serverId === UNIFIED ? this.#unifiedInitialize(ids, results) : results[0];
    const { capabilities, serverInfo, instructions } = result as {
      capabilities?: Record<string, unknown>;
      serverInfo?: unknown;
      instructions?: unknown;
    };
    return {
      jsonrpc: "2.0",
      id: request.id,
      result: {
        resultType: "complete",
        supportedVersions: SERVED_VERSIONS,
        capabilities: capabilities ?? {},
        ...(typeof instructions === "string" ? { instructions } : {}),
        ...NO_CACHE,
        _meta: { [META.serverInfo]: serverInfo },
      },
    };
  }

  /** `subscriptions/listen`: a stream of the list changes and resource updates the client opted in to. */
  async #listen(context: RequestContext, request: JsonRpcRequest): Promise<Outcome> {
    const found = await this.#initializeResults(context, request.id);
    if ("jsonrpc" in found) return reply(found);
    // Counted after the wait, so that no other listen request of this key is added between count and add.
    let open = 0;
    for (const subscription of this.#host.subscriptions) {
      if (subscription.identity === context.identity) open++;
    }
    if (open >= MAX_LISTEN_STREAMS) {
      return reply(errorResponse(request.id, ErrorCode.RateLimited, "Too many listen streams", {
        detail:
          `this API key holds ${open} open subscriptions/listen streams, the most awmg keeps; close one first`,
      }));
    }
    const offered = found.results.map((r) => (r.capabilities ?? {}) as AnnouncedCapabilities);
    const opened = Subscription.open(request, context.serverId, context.identity, offered);
    if (!(opened instanceof Subscription)) return reply(opened);
    const uris = opened.acknowledged.resourceSubscriptions ?? [];
    if (uris.length > 0) {
      found.ids.forEach((serverId, i) => {
        if (offered[i].resources?.subscribe !== true) return;
        const { connection } = this.#host.upstream(serverId, context.identity);
        for (const uri of uris) {
          // A 2026-07-28 server has no resources/subscribe: its listen stream is opened again with the URI.
          if (connection.modern) connection.subscribe(uri, true);
          else {this.#host.call(serverId, context.identity, undefined, "resources/subscribe", { uri }).catch(
              () => {},
            );}
        }
      });
    }
    this.#host.subscriptions.add(opened);
    opened.closed.then(() => this.#host.subscriptions.delete(opened));
    return { kind: "subscription", subscription: opened };
  }

  /** The initialize results of the endpoint's servers that are up (for unified, those that start). */
  async #initializeResults(
    context: RequestContext,
    id: JsonRpcId,
    session?: Session,
  ): Promise<{ ids: string[]; results: Record<string, unknown>[] } | JsonRpcResponse> {
    const ids = context.serverId === UNIFIED ? this.#host.serverIds() : [context.serverId];
    const up: string[] = [];
    const results: Record<string, unknown>[] = [];
    for (const serverId of ids) {
      const upstream = this.#host.upstream(serverId, context.identity, session, context.modern === undefined);
      session?.listen(upstream.log);
      try {
        await upstream.connection.ensureRunning();
        up.push(serverId);
        results.push(upstream.greeting!);
      } catch (error) {
        if (context.serverId !== UNIFIED) return unavailableResponse(id, serverId, (error as Error).message);
        this.#log.warn("Unified endpoint leaves out server {server}: {error}", {
          server: serverId,
          error: (error as Error).message,
        });
      }
    }
    return { ids: up, results };
  }

  #unifiedInitialize(ids: string[], results: Record<string, unknown>[]): Record<string, unknown> {
    const capabilities: Record<string, unknown> = {};
    const instructions: string[] = [];
    results.forEach((result, i) => {
      const caps = (result.capabilities ?? {}) as Record<string, unknown>;
      for (const key of ["tools", "prompts", "resources", "logging", "completions"]) {
        if (caps[key] !== undefined) {
          capabilities[key] = { ...(capabilities[key] as object), ...(caps[key] as object) };
        }
      }
      if (typeof result.instructions === "string") instructions.push(`## ${ids[i]}\n${result.instructions}`);
    });
    const versions = results.map((r) => String(r.protocolVersion)).sort();
    return {
      protocolVersion: versions[0] ?? LEGACY_VERSIONS[0],
      capabilities,
      serverInfo: { name: "awmg", title: "awmg unified MCP gateway", version: VERSION },
      ...(instructions.length > 0 ? { instructions: instructions.join("\n\n") } : {}),
    };
  }
}
