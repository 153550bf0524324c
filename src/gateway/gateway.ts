/**
 * The MCP brain: sessions, one upstream per (server, identity), and the dispatch of each client message.
 */
import { getLogger } from "@logtape/logtape";
import { launchSpec } from "../backends/launch.ts";
import { StartFailure } from "../backends/connection.ts";
import type { GatewayConfig, StdioServerConfig } from "../config/types.ts";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { Classified, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import { VERSION } from "../version.ts";
import type { Exchange } from "./exchange.ts";
import { Session, SessionStore } from "./session.ts";
import { Upstream } from "./upstream.ts";

/** MCP protocol revisions the gateway speaks to clients, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;

/** Who is asking and where: the endpoint's server, the client's identity, its session if any. */
export interface RequestContext {
  readonly serverId: string;
  readonly identity: number;
  readonly session?: Session;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal;
}

/** What the HTTP layer sends back. */
export type Outcome =
  | { readonly kind: "accepted" }
  | { readonly kind: "reply"; readonly message: JsonRpcResponse; readonly session?: Session }
  | { readonly kind: "exchange"; readonly exchange: Exchange };

/** A server's line in the health report. */
export interface ServerHealth {
  readonly status: "running" | "starting" | "stopped" | "error";
  readonly uptime: number;
  readonly error?: string;
}

/** Runtime options of the gateway. */
export interface GatewayOptions {
  readonly sequentialLaunch: boolean;
  /** Unique id of this gateway process, put on its containers' labels. */
  readonly instanceId: string;
}

const CLOSE_DRAIN_MS = 30_000;

/** Negotiates the protocol revision: the client's when the gateway and the backend both speak it. */
export function negotiateVersion(requested: unknown, backendVersion: string): string {
  const known = SUPPORTED_PROTOCOL_VERSIONS as readonly unknown[];
  return known.includes(requested) && (requested as string) <= backendVersion
    ? requested as string
    : backendVersion;
}

/** The gateway: owns sessions and backend connections, dispatches client messages. */
export class Gateway {
  readonly sessions: SessionStore;
  readonly #config: GatewayConfig;
  readonly #options: GatewayOptions;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #servers: Map<string, StdioServerConfig>;
  readonly #log = getLogger(["awmg", "gateway"]);
  #state: "open" | "closing" | "closed" = "open";

  constructor(config: GatewayConfig, options: GatewayOptions) {
    this.#config = config;
    this.#options = options;
    this.#servers = new Map(
      config.servers.filter((s): s is StdioServerConfig => s.type === "stdio").map((s) => [s.id, s]),
    );
    this.sessions = new SessionStore(config.gateway.sessionTimeout * 1000, (session) => {
      this.#log.info("Session {session} expired after {seconds}s idle", {
        session: session.id,
        seconds: config.gateway.sessionTimeout,
      });
    });
  }

  /** The ids of the servers clients can reach. */
  get serverIds(): string[] {
    return [...this.#servers.keys()];
  }

  /** "open" until close() starts, then "closing", then "closed". */
  get state(): "open" | "closing" | "closed" {
    return this.#state;
  }

  /** Starts every backend for the primary identity; returns the failures (empty when all are up). */
  async start(): Promise<StartFailure[]> {
    for (const server of this.#config.servers) {
      if (server.type !== "stdio") {
        this.#log.warn("Server {server} has type {type}, which awmg cannot launch yet; it is not started", {
          server: server.id,
          type: server.type === "custom" ? server.customType : server.type,
        });
      }
    }
    const failures: StartFailure[] = [];
    const startOne = async (id: string) => {
      try {
        await this.upstream(id, 0).connection.start();
      } catch (error) {
        if (!(error instanceof StartFailure)) throw error;
        failures.push(error);
      }
    };
    if (this.#options.sequentialLaunch) {
      for (const id of this.#servers.keys()) await startOne(id);
    } else {
      await Promise.all([...this.#servers.keys()].map(startOne));
    }
    return failures;
  }

  /** The upstream for a server and identity, created on first use. */
  upstream(serverId: string, identity: number): Upstream {
    const key = `${serverId}\u0000${identity}`;
    let upstream = this.#upstreams.get(key);
    if (upstream === undefined) {
      const server = this.#servers.get(serverId);
      if (server === undefined) throw new Error(`unknown server ${serverId}`);
      upstream = new Upstream({
        serverId,
        spec: launchSpec(server, this.#options.instanceId),
        startupTimeoutMs: this.#config.gateway.startupTimeout * 1000,
        toolTimeoutMs: this.#config.gateway.toolTimeout * 1000,
        clientInfo: { name: "awmg", version: VERSION },
        audience: () => this.sessions.matching(serverId, identity),
      });
      this.#upstreams.set(key, upstream);
    }
    return upstream;
  }

  /** Dispatches one well-formed client message. */
  async dispatch(
    context: RequestContext,
    classified: Exclude<Classified, { kind: "invalid" }>,
  ): Promise<Outcome> {
    const upstream = this.upstream(context.serverId, context.identity);
    switch (classified.kind) {
      case "request":
        return await this.#request(context, upstream, classified.message);
      case "notification": {
        const { method, params } = classified.message;
        if (method === "notifications/initialized") return { kind: "accepted" };
        if (method === "notifications/cancelled") {
          const requestId = (params as { requestId?: string | number } | undefined)?.requestId;
          const cancel = requestId === undefined ? undefined : context.session?.inFlight.get(requestId);
          cancel?.((params as { reason?: string }).reason ?? "cancelled by the client");
          return { kind: "accepted" };
        }
        upstream.notify(classified.message);
        return { kind: "accepted" };
      }
      case "response":
        this.#log.debug("Dropped a client response with id {id}: no server request is waiting for it", {
          id: classified.message.id,
        });
        return { kind: "accepted" };
    }
  }

  async #request(context: RequestContext, upstream: Upstream, request: JsonRpcRequest): Promise<Outcome> {
    if (request.method === "ping") {
      return { kind: "reply", message: { jsonrpc: "2.0", id: request.id, result: {} } };
    }
    if (request.method !== "initialize") {
      return { kind: "exchange", exchange: await upstream.forward(request, context.session, context.signal) };
    }
    try {
      await upstream.connection.ensureRunning();
    } catch (error) {
      return {
        kind: "reply",
        message: errorResponse(request.id, ErrorCode.ServerUnavailable, "Server unavailable", {
          server: context.serverId,
          detail: (error as Error).message,
        }),
      };
    }
    const backend = upstream.connection.initializeResult!;
    const version = negotiateVersion(
      (request.params as { protocolVersion?: unknown } | undefined)?.protocolVersion,
      String(backend.protocolVersion),
    );
    const session = new Session(context.serverId, context.identity, version);
    this.sessions.add(session);
    this.#log.info("New session {session} on {server}", { session: session.id, server: context.serverId });
    return {
      kind: "reply",
      session,
      message: { jsonrpc: "2.0", id: request.id, result: { ...backend, protocolVersion: version } },
    };
  }

  /** The health of each server, by its primary connection. */
  health(): Record<string, ServerHealth> {
    const report: Record<string, ServerHealth> = {};
    for (const id of this.#servers.keys()) {
      const connection = this.upstream(id, 0).connection;
      const running = connection.state === "running" && connection.startedAt !== undefined;
      report[id] = {
        status: connection.state,
        uptime: running ? Math.floor((Date.now() - connection.startedAt!) / 1000) : 0,
        ...(connection.lastError === undefined ? {} : { error: connection.lastError }),
      };
    }
    return report;
  }

  /** Stops accepting work, lets in-flight requests finish (up to 30 s), stops every backend. */
  async close(): Promise<number> {
    if (this.#state !== "open") return 0;
    this.#state = "closing";
    const upstreams = [...this.#upstreams.values()];
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while (upstreams.some((u) => u.inFlight > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.sessions.close();
    const live = upstreams.filter((u) => u.connection.pid !== undefined);
    await Promise.all(live.map((u) => u.connection.stop()));
    this.#state = "closed";
    this.#log.info("Gateway closed; {count} backend servers terminated", { count: live.length });
    return live.length;
  }
}
