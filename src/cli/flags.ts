/**
 * The command line's flags and subcommands: the one table that parsing, help and completion read.
 */

/** One flag of the root command. */
export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  /** `string` and `int` take a value; `bool` does not; `count` may repeat (-vvv). */
  readonly kind: "string" | "int" | "bool" | "count";
  readonly description: string;
  /** Shown in help as `(default ...)`. */
  readonly default?: string | number;
  /** Environment variable that sets the default. */
  readonly env?: string;
  /** Completion hint for the value. */
  readonly complete?: "file" | "dir";
}

/** Built-in defaults of the settings that flags control. */
export const DEFAULTS = {
  listen: "127.0.0.1:3000",
  logDir: "/tmp/gh-aw/mcp-logs",
  payloadDir: "/tmp/jq-payloads",
  payloadSizeThreshold: 10240,
  /** Text logs rotate at this size (MCP_GATEWAY_LOG_MAX_SIZE); rotated files are kept unless MCP_GATEWAY_LOG_MAX_FILES says how many. */
  logMaxSize: 10 * 1024 * 1024,
  /** gateway.md holds at most this many bytes (MCP_GATEWAY_SUMMARY_MAX_SIZE), under GitHub's 1 MiB step summary. */
  summaryMaxSize: 900 * 1024,
  /** How long /close and SIGTERM wait for requests in flight (a Go-style duration). */
  shutdownTimeout: "30s",
  /** The service name traces carry, as the Go gateway's. */
  serviceName: "mcp-gateway",
} as const;

/** Every flag, in the order help lists them (alphabetical, as the Go tool's help does). */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "allowonly-min-integrity",
    kind: "string",
    description: "AllowOnly integrity: none|unapproved|approved|merged",
    env: "MCP_GATEWAY_ALLOWONLY_MIN_INTEGRITY",
  },
  {
    name: "allowonly-scope-owner",
    kind: "string",
    description: "AllowOnly owner scope value",
    env: "MCP_GATEWAY_ALLOWONLY_SCOPE_OWNER",
  },
  {
    name: "allowonly-scope-public",
    kind: "bool",
    description: "Use public AllowOnly scope",
    env: "MCP_GATEWAY_ALLOWONLY_SCOPE_PUBLIC",
  },
  {
    name: "allowonly-scope-repo",
    kind: "string",
    description: "AllowOnly repo name (requires owner)",
    env: "MCP_GATEWAY_ALLOWONLY_SCOPE_REPO",
  },
  { name: "config", short: "c", kind: "string", description: "Path to config file", complete: "file" },
  {
    name: "config-stdin",
    kind: "bool",
    description: "Read MCP server configuration from stdin (JSON format). When enabled, overrides --config",
  },
  {
    name: "env",
    kind: "string",
    description: "Path to .env file to load environment variables",
    complete: "file",
  },
  {
    name: "guard-policy-json",
    kind: "string",
    description:
      'Guard policy JSON for every WebAssembly-guarded server (e.g. {"allow-only":{"repos":"public","min-integrity":"none"}})',
    env: "MCP_GATEWAY_GUARD_POLICY_JSON",
  },
  {
    name: "guards-mode",
    kind: "string",
    description: "Guards enforcement mode: strict, filter or propagate",
    default: "strict",
    env: "MCP_GATEWAY_GUARDS_MODE",
  },
  { name: "help", short: "h", kind: "bool", description: "help for awmg" },
  {
    name: "listen",
    short: "l",
    kind: "string",
    description: "HTTP server listen address",
    default: DEFAULTS.listen,
  },
  {
    name: "log-dir",
    kind: "string",
    description: "Directory for log files (falls back to stdout if directory cannot be created)",
    default: DEFAULTS.logDir,
    env: "MCP_GATEWAY_LOG_DIR",
    complete: "dir",
  },
  {
    name: "no-auth",
    kind: "bool",
    description:
      "Serve without authentication (local development only). Without it and without a configured key, a random key is generated",
  },
  {
    name: "otlp-endpoint",
    kind: "string",
    description:
      "OTLP HTTP endpoint for trace export (e.g. http://localhost:4318). Defaults from OTEL_EXPORTER_OTLP_ENDPOINT when set. Tracing is disabled when empty",
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
  },
  {
    name: "otlp-sample-rate",
    kind: "string",
    description: "Fraction of traces to sample and export (0.0-1.0). Default 1.0 samples everything",
  },
  {
    name: "otlp-service-name",
    kind: "string",
    description: "Service name reported in traces. Defaults from OTEL_SERVICE_NAME when set",
    default: DEFAULTS.serviceName,
    env: "OTEL_SERVICE_NAME",
  },
  {
    name: "payload-dir",
    kind: "string",
    description: "Directory for storing large payload files (segmented by session ID)",
    default: DEFAULTS.payloadDir,
    env: "MCP_GATEWAY_PAYLOAD_DIR",
    complete: "dir",
  },
  {
    name: "payload-path-prefix",
    kind: "string",
    description:
      "Path prefix that replaces the payload directory in the paths given to agents (they mount it elsewhere)",
    env: "MCP_GATEWAY_PAYLOAD_PATH_PREFIX",
  },
  {
    name: "payload-size-threshold",
    kind: "int",
    description:
      "Size threshold (in bytes) for storing payloads to disk. Payloads larger than this are stored, smaller ones returned inline",
    default: DEFAULTS.payloadSizeThreshold,
    env: "MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD",
  },
  { name: "routed", kind: "bool", description: "Run in routed mode (each backend at /mcp/<server>)" },
  {
    name: "sequential-launch",
    kind: "bool",
    description: "Launch MCP servers sequentially during startup (parallel launch is default)",
  },
  {
    name: "shutdown-timeout",
    kind: "string",
    description:
      "Maximum time to wait for in-flight requests to complete during graceful shutdown (e.g. 30s, 2m)",
    default: DEFAULTS.shutdownTimeout,
    env: "MCP_GATEWAY_SHUTDOWN_TIMEOUT",
  },
  {
    name: "strict-pins",
    kind: "bool",
    description:
      "Fail the start when a tool differs from its pin or hides instructions, instead of withholding it",
  },
  {
    name: "tls-cert",
    kind: "string",
    description: "TLS certificate chain (PEM) to serve HTTPS with; needs --tls-key",
    env: "MCP_GATEWAY_TLS_CERT",
    complete: "file",
  },
  {
    name: "tls-key",
    kind: "string",
    description: "TLS private key (PEM) for --tls-cert",
    env: "MCP_GATEWAY_TLS_KEY",
    complete: "file",
  },
  {
    name: "tool-lock",
    kind: "string",
    description: "Tool lock file (awmg pin) whose pins tool definitions are held to",
    env: "MCP_GATEWAY_TOOL_LOCK",
    complete: "file",
  },
  { name: "unified", kind: "bool", description: "Run in unified mode (all backends at /mcp)" },
  {
    name: "validate-config",
    kind: "bool",
    description:
      "Load and validate the configuration (and a container's environment), then exit without starting",
  },
  {
    name: "validate-env",
    kind: "bool",
    description: "Validate execution environment (Docker, env vars) before starting",
  },
  {
    name: "verbose",
    short: "v",
    kind: "count",
    description: "Increase verbosity level (use -v for info, -vv for debug, -vvv for trace)",
  },
  { name: "version", kind: "bool", description: "version for awmg" },
];

/** Subcommands, with their one-line descriptions. */
export const COMMANDS = {
  completion: "Generate completion script",
  health: "Query a running gateway's /health (exit 0 when healthy, 1 otherwise)",
  help: "Help about any command",
  pin: "Record the servers' tool definitions in a lock file (or --check them against it)",
  proxy: "Run as a GitHub API filtering proxy",
} as const;

/** A subcommand name. */
export type CommandName = keyof typeof COMMANDS;

/** Shells `awmg completion` can write a script for. */
export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

/** One of the shells above. */
export type Shell = typeof SHELLS[number];
