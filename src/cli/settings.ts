/**
 * Resolves the settings that can come from several places, the same way for each:
 * command-line flag > environment variable > config file > built-in default.
 */
import type { GatewayConfig } from "../config/types.ts";
import { otlpHeaders } from "../config/gateway.ts";
import {
  HEADER_NAME_EXPECTED,
  HEADER_VALUE_EXPECTED,
  isHeaderName,
  isHeaderValue,
} from "../config/headers.ts";
import type { TraceExport } from "../observability/tracing.ts";
import { AGENT_ID_VAR, envKey, LEGACY_KEY_VAR, LEGACY_KEY_WARNING } from "../environment/agent_id.ts";
import { randomHex } from "../hex.ts";
import { DEFAULTS } from "./flags.ts";
import type { EnvLookup } from "./help.ts";
import type { RunOptions } from "./parse.ts";
import type { ClusterSettings } from "../cluster/join.ts";
import { resolveCluster } from "./cluster.ts";
import { type GuardSettings, resolveGuards } from "./guard_settings.ts";
import { pick } from "./precedence.ts";

/** Where the gateway listens. */
export interface ListenAddress {
  readonly hostname: string;
  readonly port: number;
}

/** Everything a gateway run needs besides the server list. */
export interface Settings {
  readonly listen: ListenAddress;
  readonly domain: string;
  /** Accepted API keys; empty only with --no-auth. The first is the primary identity. */
  readonly apiKeys: readonly string[];
  /** Where the keys came from: the config or environment, generated for this run, or none (--no-auth). */
  readonly auth: "configured" | "generated" | "off";
  readonly logDir: string;
  readonly payloadDir: string;
  readonly payloadSizeThreshold: number;
  /** Replaces payloadDir in the paths agents are given. */
  readonly payloadPathPrefix?: string;
  /** Size in bytes at which a text log is rotated. */
  readonly logMaxSize: number;
  /** How many rotated files of each log are kept; unset, none is ever deleted. */
  readonly logMaxFiles?: number;
  /** The most bytes gateway.md may hold. */
  readonly summaryMaxSize: number;
  readonly mode: "routed" | "unified";
  readonly sequentialLaunch: boolean;
  readonly verbosity: number;
  /** Milliseconds allowed for a forwarded request (a server's own toolTimeout wins for that server). */
  readonly toolTimeoutMs: number;
  /** Milliseconds a client session may stay idle. */
  readonly sessionTimeoutMs: number;
  /** Milliseconds /close and SIGTERM wait for requests in flight. */
  readonly shutdownTimeoutMs: number;
  /** Trace export; undefined when no endpoint is configured (tracing off). */
  readonly tracing?: TracingSettings;
  /** PEM files to serve HTTPS with (--tls-cert/--tls-key > MCP_GATEWAY_TLS_CERT/_KEY); undefined for HTTP. */
  readonly tlsPaths?: { readonly cert: string; readonly key: string };
  readonly guards: GuardSettings;
  /** The tool lock file (--tool-lock > MCP_GATEWAY_TOOL_LOCK > gateway.toolLock); undefined when none. */
  readonly toolLock?: string;
  /** A tool that fails its pin or the scan fails the start (--strict-pins) instead of being withheld. */
  readonly strictPins: boolean;
  /** How this gateway runs beside other replicas; undefined when it runs alone (no gateway.store). */
  readonly cluster?: ClusterSettings;
}

/** Where traces go and what they carry. */
export type TracingSettings = TraceExport;

/** The traces URL: the endpoint with the signal path appended unless it already ends with it. */
export function tracesUrl(endpoint: string, signalPath = "/v1/traces"): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(signalPath) ? path : `${path}${signalPath}`;
  return url.toString();
}

/** Settings, or the one reason they could not be resolved. */
export type SettingsResult =
  | { readonly ok: true; readonly settings: Settings; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string };

const LISTEN = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/;

/** Parses `host:port`, `[v6]:port` or `:port`; port 0 asks the system for a free port. */
export function parseListen(text: string): ListenAddress | string {
  const match = LISTEN.exec(text);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65535) {
    return `invalid listen address "${text}": expected host:port, e.g. 127.0.0.1:3000`;
  }
  const host = match[1] ?? match[2];
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

function parsePort(label: string, text: string | undefined): number | undefined | string {
  if (text === undefined || text === "") return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    return `invalid ${label} "${text}": expected an integer from 1 to 65535`;
  }
  return port;
}

/** A variable holding a positive integer: its value, undefined when unset or blank, or the error to stop with. */
function positiveVariable(env: EnvLookup, name: string, unit: string): number | undefined | string {
  const text = env(name) || undefined;
  if (text === undefined) return undefined;
  return /^[1-9]\d*$/.test(text) && Number.isSafeInteger(Number(text))
    ? Number(text)
    : `invalid ${name} "${text}": expected a positive integer (${unit})`;
}

/**
 * Variables of the Go gateway that ask for a protection awmg does not implement. Set, they stop the start:
 * running without the protection they ask for would be worse than not running.
 */
export const UNENFORCED_VARIABLES: Readonly<Record<string, string>> = {
  MCP_GATEWAY_CA_CERT: "client certificate verification (mTLS)",
  MCP_GATEWAY_HMAC_SECRET: "HMAC request signing",
};

/** A random API key (256 bits, hex), as the Go gateway generates when none is configured (spec 7.3). */
export function randomApiKey(): string {
  return randomHex(32);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go-style duration ("30s", "2m", "1h30m", "500ms") into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * DURATION_UNITS[unit], 0);
}

/** The log directory: --log-dir > MCP_GATEWAY_LOG_DIR > the default. */
export function resolveLogDir(options: RunOptions, env: EnvLookup): string {
  return options.logDir ?? (env("MCP_GATEWAY_LOG_DIR") || undefined) ?? DEFAULTS.logDir;
}

/** Where a setting can come from, and the warnings of the run's resolution. */
interface Sources {
  readonly options: RunOptions;
  readonly config: GatewayConfig;
  readonly env: EnvLookup;
  readonly warnings: string[];
}

const plain = (value: unknown) => String(value);
const seconds = (ms: number) => `${ms / 1000}s`;

/** A Go-style duration setting in milliseconds: undefined when unset, or the error to stop with. */
function duration(label: string, text: string | undefined): number | string | undefined {
  if (text === undefined || text === "") return undefined;
  const ms = parseDuration(text);
  return ms === undefined || ms <= 0
    ? `invalid ${label} "${text}": expected a positive duration such as 90s, 30m or 1h30m`
    : ms;
}

/** The refusal to start when a variable asks for a protection awmg does not enforce. */
function unenforcedRefusal(env: EnvLookup): string | undefined {
  const unenforced = Object.keys(UNENFORCED_VARIABLES).filter((name) => (env(name) ?? "") !== "");
  if (unenforced.length === 0) return undefined;
  const asked = unenforced.map((name) => `${name} (${UNENFORCED_VARIABLES[name]})`).join(", ");
  return `${asked} ${unenforced.length === 1 ? "asks" : "ask"} for protection awmg does not enforce; ` +
    "unset to run without it";
}

/** The PEM files to serve HTTPS with: the flags, else both variables; undefined for plain HTTP. */
function resolveTlsPaths({ options, env }: Sources): Settings["tlsPaths"] | string {
  const cert = env("MCP_GATEWAY_TLS_CERT") || undefined;
  const key = env("MCP_GATEWAY_TLS_KEY") || undefined;
  if ((cert === undefined) !== (key === undefined)) {
    return "MCP_GATEWAY_TLS_CERT and MCP_GATEWAY_TLS_KEY go together: set both to serve HTTPS";
  }
  return options.tls ?? (cert === undefined ? undefined : { cert, key: key! });
}

/** Where to listen and the domain clients are told. In a container the default host is all interfaces. */
function resolveNetwork(
  { options, config, env, warnings }: Sources,
  inContainer: boolean,
): Pick<Settings, "listen" | "domain"> | string {
  const flagListen = options.listen === undefined ? undefined : parseListen(options.listen);
  if (typeof flagListen === "string") return flagListen;
  const envPort = parsePort("MCP_GATEWAY_PORT", env("MCP_GATEWAY_PORT"));
  if (typeof envPort === "string") return envPort;
  const port = pick<number>(
    [
      { label: "--listen", value: flagListen?.port },
      { label: "MCP_GATEWAY_PORT", value: envPort },
      { label: "gateway.port in the config", value: config.gateway.port },
    ],
    warnings,
    plain,
  );
  const defaultListen = parseListen(DEFAULTS.listen) as ListenAddress;
  const domain = pick<string>(
    [
      { label: "MCP_GATEWAY_DOMAIN", value: env("MCP_GATEWAY_DOMAIN") || undefined },
      { label: "gateway.domain in the config", value: config.gateway.domain },
    ],
    warnings,
    plain,
  );
  return {
    listen: {
      hostname: flagListen?.hostname ?? (inContainer ? "0.0.0.0" : defaultListen.hostname),
      port: port ?? defaultListen.port,
    },
    domain: domain ?? "localhost",
  };
}

/** The API keys: the environment's, else the config's, else one generated for the run; none with --no-auth. */
function resolveKeys(
  { options, config, env, warnings }: Sources,
  generateKey: () => string,
): Pick<Settings, "apiKeys" | "auth"> | string {
  const fromEnv = envKey(env);
  if (fromEnv?.variable === LEGACY_KEY_VAR) warnings.push(LEGACY_KEY_WARNING);
  const configuredKeys = pick<readonly string[]>(
    [
      {
        label: fromEnv?.variable ?? AGENT_ID_VAR,
        value: fromEnv === undefined ? undefined : [fromEnv.value],
      },
      {
        label: "the API key in the config",
        value: config.gateway.apiKeys.length > 0 ? config.gateway.apiKeys : undefined,
      },
    ],
    warnings,
    () => "value hidden",
  );
  if (options.noAuth && configuredKeys !== undefined) {
    return fromEnv === undefined
      ? "--no-auth conflicts with the API key in the config: remove one of them"
      : `--no-auth conflicts with ${fromEnv.variable}: unset it or drop --no-auth`;
  }
  const auth = options.noAuth ? "off" : configuredKeys === undefined ? "generated" : "configured";
  return { auth, apiKeys: auth === "off" ? [] : configuredKeys ?? [generateKey()] };
}

type FileSettings = Pick<
  Settings,
  | "logDir"
  | "payloadDir"
  | "payloadSizeThreshold"
  | "payloadPathPrefix"
  | "logMaxSize"
  | "logMaxFiles"
  | "summaryMaxSize"
>;

/** The payload size threshold: flag, variable (checked to be a number of bytes), then config. */
function resolveThreshold({ options, config, env, warnings }: Sources): number | undefined | string {
  const envThreshold = env("MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD") || undefined;
  if (envThreshold !== undefined && !/^\d+$/.test(envThreshold)) {
    return `invalid MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD "${envThreshold}": expected a non-negative integer (bytes)`;
  }
  return pick<number>(
    [
      { label: "--payload-size-threshold", value: options.payloadSizeThreshold },
      {
        label: "MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD",
        value: envThreshold === undefined ? undefined : Number(envThreshold),
      },
      { label: "gateway.payloadSizeThreshold in the config", value: config.gateway.payloadSizeThreshold },
    ],
    warnings,
    plain,
  );
}

/** Where logs and payloads go, and how large they may grow. */
function resolveFiles({ options, config, env, warnings }: Sources): FileSettings | string {
  const logDir = pick<string>(
    [
      { label: "--log-dir", value: options.logDir },
      { label: "MCP_GATEWAY_LOG_DIR", value: env("MCP_GATEWAY_LOG_DIR") || undefined },
    ],
    warnings,
    plain,
  );
  const payloadDir = pick<string>(
    [
      { label: "--payload-dir", value: options.payloadDir },
      { label: "MCP_GATEWAY_PAYLOAD_DIR", value: env("MCP_GATEWAY_PAYLOAD_DIR") || undefined },
      { label: "gateway.payloadDir in the config", value: config.gateway.payloadDir },
    ],
    warnings,
    plain,
  );
  const payloadSizeThreshold = resolveThreshold({ options, config, env, warnings });
  if (typeof payloadSizeThreshold === "string") return payloadSizeThreshold;
  const logMaxSize = positiveVariable(env, "MCP_GATEWAY_LOG_MAX_SIZE", "bytes");
  if (typeof logMaxSize === "string") return logMaxSize;
  const logMaxFiles = positiveVariable(env, "MCP_GATEWAY_LOG_MAX_FILES", "rotated files kept per log");
  if (typeof logMaxFiles === "string") return logMaxFiles;
  const summaryMaxSize = positiveVariable(env, "MCP_GATEWAY_SUMMARY_MAX_SIZE", "bytes of gateway.md");
  if (typeof summaryMaxSize === "string") return summaryMaxSize;
  const payloadPathPrefix = pick<string>(
    [
      { label: "--payload-path-prefix", value: options.payloadPathPrefix },
      {
        label: "MCP_GATEWAY_PAYLOAD_PATH_PREFIX",
        value: env("MCP_GATEWAY_PAYLOAD_PATH_PREFIX") || undefined,
      },
      { label: "gateway.payloadPathPrefix in the config", value: config.gateway.payloadPathPrefix },
    ],
    warnings,
    plain,
  );
  return {
    logDir: logDir ?? DEFAULTS.logDir,
    payloadDir: payloadDir ?? DEFAULTS.payloadDir,
    payloadSizeThreshold: payloadSizeThreshold ?? DEFAULTS.payloadSizeThreshold,
    payloadPathPrefix,
    logMaxSize: logMaxSize ?? DEFAULTS.logMaxSize,
    ...(logMaxFiles === undefined ? {} : { logMaxFiles }),
    summaryMaxSize: summaryMaxSize ?? DEFAULTS.summaryMaxSize,
  };
}

type Timeouts = Pick<Settings, "toolTimeoutMs" | "sessionTimeoutMs" | "shutdownTimeoutMs">;

/** How long a tool call, an idle session and a shutdown may take. */
function resolveTimeouts({ options, config, env, warnings }: Sources): Timeouts | string {
  const envToolTimeout = env("MCP_GATEWAY_TOOL_TIMEOUT") || undefined;
  if (envToolTimeout !== undefined && (!/^\d+$/.test(envToolTimeout) || Number(envToolTimeout) < 10)) {
    return `invalid MCP_GATEWAY_TOOL_TIMEOUT "${envToolTimeout}": expected an integer of at least 10 (seconds)`;
  }
  const toolTimeout = pick<number>(
    [
      {
        label: "MCP_GATEWAY_TOOL_TIMEOUT",
        value: envToolTimeout === undefined ? undefined : Number(envToolTimeout),
      },
      { label: "gateway.toolTimeout in the config", value: config.gateway.toolTimeout },
    ],
    warnings,
    plain,
  )!;
  const envSession = duration("MCP_GATEWAY_SESSION_TIMEOUT", env("MCP_GATEWAY_SESSION_TIMEOUT"));
  if (typeof envSession === "string") return envSession;
  const sessionTimeoutMs = pick<number>(
    [
      { label: "MCP_GATEWAY_SESSION_TIMEOUT", value: envSession },
      { label: "gateway.sessionTimeout in the config", value: config.gateway.sessionTimeout * 1000 },
    ],
    warnings,
    seconds,
  )!;
  const flagShutdown = duration("--shutdown-timeout", options.shutdownTimeout);
  if (typeof flagShutdown === "string") return flagShutdown;
  const envShutdown = duration("MCP_GATEWAY_SHUTDOWN_TIMEOUT", env("MCP_GATEWAY_SHUTDOWN_TIMEOUT"));
  if (typeof envShutdown === "string") return envShutdown;
  const shutdownTimeoutMs = pick<number>(
    [
      { label: "--shutdown-timeout", value: flagShutdown },
      { label: "MCP_GATEWAY_SHUTDOWN_TIMEOUT", value: envShutdown },
    ],
    warnings,
    seconds,
  ) ?? parseDuration(DEFAULTS.shutdownTimeout)!;
  return { toolTimeoutMs: toolTimeout * 1000, sessionTimeoutMs, shutdownTimeoutMs };
}

/** The first header fetch would refuse, described without its value (a collector's key); undefined if none. */
function unsendableHeader(headers: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderName(name)) return `name (expected ${HEADER_NAME_EXPECTED})`;
    if (!isHeaderValue(value)) return `"${name}" (expected ${HEADER_VALUE_EXPECTED})`;
  }
  return undefined;
}

/** Where traces go and what they carry; undefined when no endpoint is configured (tracing off). */
function resolveTracing({ options, config, env, warnings }: Sources): TracingSettings | undefined | string {
  const traced = config.gateway.tracing;
  const endpoint = pick<string>(
    [
      { label: "--otlp-endpoint", value: options.otlpEndpoint },
      { label: "OTEL_EXPORTER_OTLP_ENDPOINT", value: env("OTEL_EXPORTER_OTLP_ENDPOINT") || undefined },
      { label: "gateway.opentelemetry.endpoint in the config", value: traced?.endpoint },
    ],
    warnings,
    plain,
  );
  const sampleRate = options.otlpSampleRate === undefined
    ? traced?.sampleRate
    : Number(options.otlpSampleRate);
  if (sampleRate !== undefined && !(sampleRate >= 0 && sampleRate <= 1)) {
    return `invalid --otlp-sample-rate "${options.otlpSampleRate}": expected a number from 0 to 1`;
  }
  if (endpoint === undefined) return undefined;
  let url: string;
  try {
    url = tracesUrl(endpoint, traced?.signalPath);
  } catch {
    return `invalid OTLP endpoint "${endpoint}": expected a URL such as http://localhost:4318`;
  }
  const fromConfig = Object.keys(traced?.headers ?? {}).length > 0;
  const headers = fromConfig
    ? traced!.headers
    : otlpHeaders(env("OTEL_EXPORTER_OTLP_HEADERS") || undefined, true);
  const unsendable = unsendableHeader(headers);
  if (unsendable !== undefined) {
    const where = fromConfig ? "gateway.opentelemetry.headers in the config" : "OTEL_EXPORTER_OTLP_HEADERS";
    return `invalid OTLP header ${unsendable} in ${where}: traces could not be sent with it`;
  }
  return {
    url,
    headers,
    serviceName: options.otlpServiceName ?? (env("OTEL_SERVICE_NAME") || undefined) ?? traced?.serviceName ??
      DEFAULTS.serviceName,
    sampleRate: sampleRate ?? 1,
    ...(traced?.parent === undefined ? {} : { parent: traced.parent }),
  };
}

/**
 * Resolves the run's settings from its flags, the environment and the loaded config, one concern after
 * another; the first that cannot be resolved is the answer.
 */
export function resolveSettings(
  options: RunOptions,
  config: GatewayConfig,
  env: EnvLookup,
  inContainer = false,
  generateKey: () => string = randomApiKey,
): SettingsResult {
  const warnings: string[] = [];
  const from: Sources = { options, config, env, warnings };
  const unenforced = unenforcedRefusal(env);
  if (unenforced !== undefined) return { ok: false, message: unenforced };
  const tlsPaths = resolveTlsPaths(from);
  if (typeof tlsPaths === "string") return { ok: false, message: tlsPaths };
  const network = resolveNetwork(from, inContainer);
  if (typeof network === "string") return { ok: false, message: network };
  const keys = resolveKeys(from, generateKey);
  if (typeof keys === "string") return { ok: false, message: keys };
  const files = resolveFiles(from);
  if (typeof files === "string") return { ok: false, message: files };
  const timeouts = resolveTimeouts(from);
  if (typeof timeouts === "string") return { ok: false, message: timeouts };
  const tracing = resolveTracing(from);
  if (typeof tracing === "string") return { ok: false, message: tracing };
  const guards = resolveGuards(options, config, env, warnings);
  if (typeof guards === "string") return { ok: false, message: guards };
  const cluster = resolveCluster(config, env);
  if (typeof cluster === "string") return { ok: false, message: cluster };
  return {
    ok: true,
    warnings,
    settings: {
      ...network,
      ...keys,
      ...files,
      ...timeouts,
      tlsPaths,
      tracing,
      guards,
      mode: options.mode ?? "routed",
      sequentialLaunch: options.sequentialLaunch,
      verbosity: options.verbosity,
      toolLock: pick<string>(
        [
          { label: "--tool-lock", value: options.toolLock },
          { label: "MCP_GATEWAY_TOOL_LOCK", value: env("MCP_GATEWAY_TOOL_LOCK") || undefined },
          { label: "gateway.toolLock in the config", value: config.gateway.toolLock },
        ],
        warnings,
        plain,
      ),
      strictPins: options.strictPins,
      cluster,
    },
  };
}
