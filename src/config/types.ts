/**
 * The validated, frozen configuration every other layer reads.
 */
import type { Mode } from "../difc/labels.ts";
import type { ConfigSource } from "./issues.ts";
import type { GuardPolicy } from "./policy.ts";

/** An environment variable for a backend: an explicit value, or the host's value passed through. */
export type EnvEntry =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly passthrough: true };

/** A bind mount into a container; both paths absolute. */
export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly mode: "ro" | "rw";
}

/** How a stdio server is started: a program as given (TOML), or a container image (JSON). */
export type StdioLaunch =
  | {
    readonly kind: "command";
    readonly command: string;
    readonly args: readonly string[];
    /** Where the program runs; the gateway's own working directory when absent. */
    readonly cwd?: string;
  }
  | {
    readonly kind: "container";
    readonly image: string;
    readonly entrypoint?: string;
    readonly entrypointArgs: readonly string[];
    /** Extra `docker run` arguments, placed before the image. */
    readonly dockerArgs: readonly string[];
    readonly mounts: readonly Mount[];
  };

interface ServerCommon {
  readonly id: string;
  /** Allow-list of tool names; undefined means every tool. */
  readonly tools?: readonly string[];
  /** Informational registry reference. */
  readonly registry?: string;
  /**
   * "shared": one backend connection per (server, identity); "session": one per client session, so
   * server-to-client requests always have exactly one session to go to.
   */
  readonly isolation: "shared" | "session";
  /**
   * The MCP revision spoken to the server: "auto" finds it at start (`server/discover`, falling back to
   * `initialize`), or the operator pins one.
   */
  readonly protocolVersion: BackendRevisionSetting;
  /** Seconds allowed for a request to this server; undefined means the gateway's toolTimeout. */
  readonly toolTimeout?: number;
  /** Rate-limited tool answers in a row that open the server's circuit breaker. */
  readonly rateLimitThreshold: number;
  /** Seconds the breaker stays open before one trial call. */
  readonly rateLimitCooldown: number;
  /** The name of the guard in `guards` that labels this server's tool calls. */
  readonly guard?: string;
  /** The server's guard policy (`guard-policies`). */
  readonly guardPolicy?: GuardPolicy;
  /** What a tool that differs from its pin in the lock file gets: withheld, a warning, or nothing. */
  readonly pins: DefinitionCheck;
  /** What a tool with hidden instructions in its definition gets: withheld, a warning, or nothing. */
  readonly scan: DefinitionCheck;
}

/** How a check of tool definitions acts on a failure. */
export type DefinitionCheck = "enforce" | "warn" | "off";

/** How a server's protocol revision is chosen. */
export type BackendRevisionSetting = "auto" | "2026-07-28" | "2025-11-25";

/** A backend spoken to over stdin/stdout. */
export interface StdioServerConfig extends ServerCommon {
  readonly type: "stdio";
  readonly launch: StdioLaunch;
  readonly env: readonly EnvEntry[];
}

/** A remote backend spoken to over Streamable HTTP. */
export interface HttpServerConfig extends ServerCommon {
  readonly type: "http";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Seconds allowed to reach the server and complete its handshake. */
  readonly connectTimeout: number;
  /** A bearer token from GitHub Actions' OIDC endpoint for this audience, on every request. */
  readonly oidcAudience?: string;
}

/** A server of a type registered in `customSchemas`; validated, but awmg has no launcher for it. */
export interface CustomServerConfig extends ServerCommon {
  readonly type: "custom";
  readonly customType: string;
  readonly schemaUrl: string;
}

/** Any configured server. */
export type ServerConfig = StdioServerConfig | HttpServerConfig | CustomServerConfig;

/** Where and how traces are exported (OTLP over HTTP); absent when the config has no tracing section. */
export interface TracingSection {
  readonly endpoint?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The workflow's span to make the gateway's spans children of. */
  readonly parent?: { readonly traceId: string; readonly spanId: string };
  readonly serviceName?: string;
  readonly sampleRate?: number;
  readonly signalPath?: string;
}

/** The `gateway` section, with defaults applied where the config is silent. */
export interface GatewaySection {
  readonly port?: number;
  /** Accepted API keys (`apiKey`, or `agentId`/`agentIds`); empty when auth is off. The first is primary. */
  readonly apiKeys: readonly string[];
  readonly domain?: string;
  /** Seconds allowed for a backend to start and answer initialize. */
  readonly startupTimeout: number;
  /** Seconds allowed for any forwarded request. */
  readonly toolTimeout: number;
  readonly payloadDir?: string;
  /** Tool results larger than this many bytes go to disk; undefined means the flag, environment or default. */
  readonly payloadSizeThreshold?: number;
  /** Replaces payloadDir in the paths agents are given (they mount it elsewhere). */
  readonly payloadPathPrefix?: string;
  /** Seconds a client session may stay idle. */
  readonly sessionTimeout: number;
  /** Seconds between keepalive pings to HTTP backends; undefined when off. */
  readonly keepaliveInterval?: number;
  /** Largest accepted request body in bytes. */
  readonly maxBodySize: number;
  /** Largest message a backend may send, in bytes; a longer line fails its requests and restarts it. */
  readonly maxMessageSize: number;
  /** Bytes the gateway holds for a peer that does not read (a client's SSE stream, a backend's stdin). */
  readonly maxUnsentBytes: number;
  /** Live client sessions; at the bound the least recently used idle one is closed. */
  readonly maxSessions: number;
  /** Agents whose guard labels are kept (the labels outlive sessions); past it a new agent is refused. */
  readonly maxAgents: number;
  /** Calls held for a 2026-07-28 client's `input_required` retry, across the gateway. */
  readonly maxHeldRequests: number;
  /** Seconds a held call waits for the client's retry before it is cancelled. */
  readonly inputRequiredTimeout: number;
  /** Seconds a client may take to send a request body. */
  readonly bodyTimeout: number;
  /** Host names accepted in the Host header besides loopback, the listen address and the domain. */
  readonly allowedHosts: readonly string[];
  /** Origins accepted besides those of the accepted hosts. */
  readonly allowedOrigins: readonly string[];
  readonly tracing?: TracingSection;
  /** The guards' enforcement mode when the config sets one. */
  readonly guardsMode?: Mode;
  /** Bot accounts the guards trust besides their built-in list (`label_agent`'s `trusted-bots`). */
  readonly trustedBots: readonly string[];
  /**
   * Narrow guarded servers to public repositories when the workflow's repository is public (a GitHub API
   * lookup at start); undefined when the config is silent (the default, true).
   */
  readonly forcePublicRepos?: boolean;
  /** Write-sink servers that keep their accept patterns when no sink-visibility is set ("*" for all). */
  readonly sinkVisibilityExemptServers: readonly string[];
  /** The tool lock file (`awmg pin`) whose pins tool definitions are held to; undefined when none. */
  readonly toolLock?: string;
  /** Clean tool results of ANSI escapes, tag characters and images from hosts not in imageHosts. */
  readonly sanitizeResults: boolean;
  /** Hosts (and their subdomains) whose Markdown images a sanitized result keeps. */
  readonly imageHosts: readonly string[];
  /** The store replicas share (a redis:// or rediss:// URL); undefined keeps everything in this process. */
  readonly store?: string;
  /** The key every replica seals `requestState` with, and the one it replaces during a rotation. */
  readonly stateKey?: string;
  readonly previousStateKey?: string;
  /** This replica's name among the others, and the URL they reach it at. */
  readonly replicaId?: string;
  readonly replicaUrl?: string;
}

/** A guard definition of the top-level `guards` section. */
export type GuardDefinition =
  | { readonly type: "wasm"; readonly path: string; readonly policy?: GuardPolicy }
  | { readonly type: "noop"; readonly policy?: GuardPolicy };

/** A loaded, validated configuration. */
export interface GatewayConfig {
  readonly source: ConfigSource;
  readonly servers: readonly ServerConfig[];
  readonly gateway: GatewaySection;
  /** Guards by name. */
  readonly guards: Readonly<Record<string, GuardDefinition>>;
  /** Values taken from the environment or `${VAR}` expansion: never to be logged. */
  readonly secrets: readonly string[];
}

/** Built-in defaults of the gateway section. */
export const GATEWAY_DEFAULTS = {
  startupTimeout: 60,
  toolTimeout: 120,
  sessionTimeout: 6 * 60 * 60,
  keepaliveInterval: 25 * 60,
  maxBodySize: 10 * 1024 * 1024,
  maxMessageSize: 64 * 1024 * 1024,
  maxUnsentBytes: 16 * 1024 * 1024,
  maxSessions: 10_000,
  maxHeldRequests: 1000,
  maxAgents: 10_000,
  inputRequiredTimeout: 300,
  bodyTimeout: 30,
  connectTimeout: 30,
  rateLimitThreshold: 3,
  rateLimitCooldown: 60,
} as const;
