/**
 * The registry of upstreams: one per (server, identity), or per session for `isolation = "session"`, each
 * made on first use with its transport, timeouts, rate-limit breaker and OIDC bearer; and the health report
 * read from their connections.
 */
import { getLogger } from "@logtape/logtape";
import type { Transport } from "../backends/connection.ts";
import type { HeadStart } from "../backends/head_start.ts";
import type { BearerSource } from "../backends/http.ts";
import { type EnvLookup, launchSpec } from "../backends/launch.ts";
import { OidcTokens } from "../backends/oidc.ts";
import type { GatewaySection, HttpServerConfig, StdioServerConfig } from "../config/types.ts";
import { shownUrl } from "../observability/redact.ts";
import { VERSION } from "../version.ts";
import { RateLimitBreaker } from "./breaker.ts";
import { type HoldBudget, RELAYED_CAPABILITIES, toolTimeoutMsOf } from "./calls.ts";
import type { Listener, Session } from "./session.ts";
import { Upstream } from "./upstream.ts";

/** A server awmg launches or connects to (custom types have no launcher). */
export type LaunchedServer = StdioServerConfig | HttpServerConfig;

/** A server's line in the health report. */
export interface ServerHealth {
  readonly status: "running" | "starting" | "stopped" | "error";
  readonly uptime: number;
  readonly error?: string;
  /** The rate-limit circuit breaker: tool calls fail fast while it is "open". */
  readonly circuit: "closed" | "open" | "half-open";
  readonly reopensAt?: string;
  /** The MCP revision the server speaks, once it was started; absent while it starts (again). */
  readonly protocolVersion?: string;
  /** Its tool definitions at the last check: pinned, changed, new, withheld, and the scan's findings. */
  readonly definitions?: {
    readonly pinned: number;
    readonly changed: number;
    readonly new: number;
    readonly withheld: number;
    readonly findings: number;
  };
}

/** One revision's listeners: 2025 clients' sessions, or 2026-07-28 clients' `subscriptions/listen` streams. */
export type Audience = "sessions" | "subscriptions";

/** What the registry needs from the gateway that owns it. */
export interface UpstreamsOptions {
  readonly servers: ReadonlyMap<string, LaunchedServer>;
  readonly settings: GatewaySection;
  /** Unique id of this gateway process, put on its containers' labels. */
  readonly instanceId: string;
  /** Stdio servers started before the gateway was built. */
  readonly headStart?: HeadStart;
  /** The gateway's own environment; a backend gets only the variables its config names from it. */
  readonly hostEnv: EnvLookup;
  /** Milliseconds allowed for a forwarded request, unless the server sets its own toolTimeout. */
  readonly toolTimeoutMs: number;
  /** Bounds the calls held for a modern client's retry, across all upstreams. */
  readonly holds: HoldBudget;
  /** Who receives a backend's unsolicited messages for an identity: all of them, or one revision's. */
  readonly audience: (serverId: string, identity: number, only?: Audience) => Iterable<Listener>;
  /** Whether a server has a guard (its upstreams keep what the guard cannot judge from clients). */
  readonly guarded: (serverId: string) => boolean;
  /** Told a server's tools whenever its primary connection refreshes them. */
  readonly onToolsChanged: (serverId: string, tools: readonly Record<string, unknown>[]) => void;
  /** Hides the config's secrets in what a connection reports of its failures. */
  readonly redact: (text: string) => string;
}

/** The upstreams of every server, made on first use and kept until the gateway closes or their session ends. */
export class Upstreams {
  readonly #options: UpstreamsOptions;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #breakers = new Map<string, RateLimitBreaker>();
  #oidc?: OidcTokens;
  readonly #log = getLogger(["awmg", "gateway"]);

  constructor(options: UpstreamsOptions) {
    this.#options = options;
  }

  /**
   * The upstream for a server and identity; for a server with `isolation = "session"` and a request in a
   * session, that session's own upstream, stopped when the session ends. A 2025 client (`legacyClient`) of a
   * server that speaks both revisions gets one spoken to in 2025, so that the server asks it through its
   * session as it would directly; everyone else gets the revision the server was found to speak.
   */
  get(serverId: string, identity: number, session?: Session, legacyClient = false): Upstream {
    const server = this.#options.servers.get(serverId);
    if (server === undefined) throw new Error(`unknown server ${serverId}`);
    const own = server.isolation === "session" ? session : undefined;
    const legacy = legacyClient && this.#speaksBoth(serverId);
    const key = `${serverId}\u0000${identity}${own === undefined ? "" : `\u0000${own.id}`}${
      legacy ? "\u00002025" : ""
    }`;
    let upstream = this.#upstreams.get(key);
    if (upstream !== undefined) return upstream;
    upstream = this.#create(server, identity, own, legacy);
    this.#upstreams.set(key, upstream);
    if (own !== undefined) {
      const created = upstream;
      own.onEnd(() => {
        this.#upstreams.delete(key);
        created.connection.stop();
      });
    }
    return upstream;
  }

  /** Every upstream made so far. */
  all(): Upstream[] {
    return [...this.#upstreams.values()];
  }

  /** Whether a server's primary connection found it to speak both revisions. */
  #speaksBoth(serverId: string): boolean {
    return this.#upstreams.get(`${serverId}\u00000`)?.connection.speaksBoth === true;
  }

  /** The health of each server, by its primary connection. */
  health(): Record<string, ServerHealth> {
    const report: Record<string, ServerHealth> = {};
    for (const id of this.#options.servers.keys()) {
      const connection = this.get(id, 0).connection;
      const running = connection.state === "running" && connection.startedAt !== undefined;
      const circuit = this.#breakers.get(id)?.state ?? { kind: "closed" };
      report[id] = {
        status: connection.state,
        uptime: running ? Math.floor((Date.now() - connection.startedAt!) / 1000) : 0,
        ...(connection.lastError === undefined ? {} : { error: connection.lastError }),
        circuit: circuit.kind,
        ...(circuit.kind === "open" ? { reopensAt: new Date(circuit.reopensAt).toISOString() } : {}),
        // While it starts again, the revision is still the last process's; the new one has said nothing yet.
        ...(connection.revision === undefined || connection.state === "starting"
          ? {}
          : { protocolVersion: connection.speaksBoth ? "both" : connection.revision }),
      };
    }
    return report;
  }

  /** An upstream; a `legacy` one is the 2025 side of a server that speaks both, heard only by sessions. */
  #create(server: LaunchedServer, identity: number, own: Session | undefined, legacy: boolean): Upstream {
    const { settings, toolTimeoutMs, onToolsChanged, audience } = this.#options;
    const primary = identity === 0 && own === undefined && !legacy;
    return new Upstream({
      serverId: server.id,
      transport: this.#transport(server),
      startupTimeoutMs: settings.startupTimeout * 1000,
      toolTimeoutMs: toolTimeoutMsOf(server, toolTimeoutMs),
      clientInfo: { name: "awmg", version: VERSION },
      capabilities: RELAYED_CAPABILITIES,
      revision: legacy ? "2025-11-25" : server.protocolVersion,
      audience: () =>
        own !== undefined
          ? [own]
          : legacy
          ? audience(server.id, identity, "sessions")
          : audience(server.id, identity, this.#speaksBoth(server.id) ? "subscriptions" : undefined),
      holds: this.#options.holds,
      breaker: this.#breaker(server),
      guarded: this.#options.guarded(server.id),
      onToolsChanged: primary ? (tools) => onToolsChanged(server.id, tools) : undefined,
      redact: this.#options.redact,
    });
  }

  #transport(server: LaunchedServer): Transport {
    const { keepaliveInterval, maxMessageSize, maxUnsentBytes } = this.#options.settings;
    if (server.type === "stdio") {
      return {
        kind: "stdio",
        spec: launchSpec(server, this.#options.instanceId, this.#options.hostEnv),
        limits: { maxMessageSize, maxUnsentBytes },
        headStart: this.#options.headStart,
      };
    }
    return {
      kind: "http",
      target: {
        serverId: server.id,
        url: server.url,
        shown: shownUrl(server.url),
        headers: server.headers,
        keepaliveMs: keepaliveInterval === undefined ? undefined : keepaliveInterval * 1000,
        maxMessageSize,
        connectTimeoutMs: server.connectTimeout * 1000,
        redact: this.#options.redact,
        ...(server.oidcAudience === undefined ? {} : { bearer: this.#bearer(server.oidcAudience) }),
      },
    };
  }

  /** Bearer tokens for an audience from GitHub Actions' OIDC endpoint (its variables were checked with the config). */
  #bearer(audience: string): BearerSource {
    this.#oidc ??= new OidcTokens({
      requestUrl: this.#options.hostEnv("ACTIONS_ID_TOKEN_REQUEST_URL") ?? "",
      requestToken: this.#options.hostEnv("ACTIONS_ID_TOKEN_REQUEST_TOKEN") ?? "",
    });
    const oidc = this.#oidc;
    return { token: () => oidc.token(audience), invalidate: () => oidc.invalidate(audience) };
  }

  /** The rate-limit breaker of a server, shared by all its connections: the limit is the backend's. */
  #breaker(server: LaunchedServer): RateLimitBreaker {
    let breaker = this.#breakers.get(server.id);
    if (breaker === undefined) {
      breaker = new RateLimitBreaker(
        server.rateLimitThreshold,
        server.rateLimitCooldown * 1000,
        (from, to) => {
          const facts = { server: server.id, from, to };
          const message = "Rate limit circuit breaker of {server}: {from} -> {to}";
          if (to === "open") this.#log.warn(message, facts);
          else this.#log.info(message, facts);
        },
      );
      this.#breakers.set(server.id, breaker);
    }
    return breaker;
  }
}
