/**
 * The HTTP side: the routes, each behind the gate (`gate.ts`), and the MCP endpoint's (`endpoint.ts`). It
 * never touches a backend; every message goes through the gateway.
 */
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import type { Gateway } from "../gateway/gateway.ts";
import { ErrorCode } from "../jsonrpc/errors.ts";
import { logHealth } from "../observability/logging.ts";
import { SPEC_VERSION, VERSION } from "../version.ts";
import { McpEndpoint, type ReplicaLink } from "./endpoint.ts";
import { createGate, type Env, type GatedRoute } from "./gate.ts";
import type { OriginCheck } from "./origin.ts";
import { json, rpcError } from "./responses.ts";

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
  /** The other replicas, when there are. */
  readonly replicas?: ReplicaLink;
  /** Called once /close has answered, to stop serving and exit. */
  readonly onClosed: () => void;
}

const clientLog = getLogger(["awmg", "client"]);

/**
 * The gateway's health: 200 once it has started, while it is open and no server failed; 503 otherwise, and
 * "starting" until its servers are up and their tools vetted.
 */
function health(gateway: Gateway, replicas: ReplicaLink | undefined): Response {
  const servers = gateway.health();
  const healthy = gateway.state === "open" && !gateway.starting &&
    Object.values(servers).every((s) => s.status !== "error");
  return json({
    status: healthy ? "healthy" : gateway.starting ? "starting" : "unhealthy",
    specVersion: SPEC_VERSION,
    gatewayVersion: VERSION,
    servers,
    logs: logHealth(),
    ...(replicas === undefined ? {} : { replica: replicas.self, replicas: replicas.live() }),
  }, healthy ? 200 : 503);
}

/** The gateway's routes. */
export function createApp(options: AppOptions): Hono<Env> {
  const { gateway } = options;
  const app = new Hono<Env>({ strict: false });
  const { originRefusal, gated } = createGate(options.apiKeys, options.originCheck);
  const mcp = new McpEndpoint(gateway, options);
  /** A route of the MCP endpoint, behind the gate and the endpoint's checks. */
  const endpoint = (route: GatedRoute) => gated((c, identity) => mcp.refusal(c) ?? route(c, identity));

  app.get("/health", (c) => originRefusal(c) ?? health(gateway, options.replicas));
  app.post(
    "/close",
    gated(async () => {
      if (gateway.state !== "open") return json({ error: "the gateway is already closed" }, 410);
      const serversTerminated = await gateway.close();
      setTimeout(options.onClosed, 0);
      return json({ status: "closed", message: "Gateway shutdown complete", serversTerminated });
    }),
  );
  app.get(
    "/reflect",
    gated(() =>
      gateway.reflect().then(
        json,
        (error: Error) =>
          rpcError(503, ErrorCode.ServerUnavailable, "The label store is unavailable", {
            detail: error.message,
          }),
      )
    ),
  );
  app.post(mcp.path, endpoint(mcp.post));
  app.get(mcp.path, endpoint(mcp.get));
  app.delete(mcp.path, endpoint(mcp.delete));
  app.notFound(
    gated((c) =>
      rpcError(404, ErrorCode.InvalidRequest, `Not found: ${c.req.method} ${c.req.path}`, {
        detail: `the MCP endpoint is ${mcp.description}`,
      })
    ),
  );
  app.onError((error) => {
    clientLog.error("Unhandled error: {error}", { error: error.message });
    return rpcError(500, ErrorCode.InternalError, "Internal error", { detail: error.message });
  });
  return app;
}
