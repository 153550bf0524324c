/**
 * Resolves the settings that can come from several places, the same way for each:
 * command-line flag > environment variable > config file > built-in default.
 */
import type { GatewayConfig } from "../config/types.ts";
import { DEFAULTS } from "./flags.ts";
import type { EnvLookup } from "./help.ts";
import type { RunOptions } from "./parse.ts";

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
  readonly mode: "routed" | "unified";
  readonly sequentialLaunch: boolean;
  readonly verbosity: number;
}

/** Settings, or the one reason they could not be resolved. */
export type SettingsResult =
  | { readonly ok: true; readonly settings: Settings; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string };

interface Candidate<T> {
  readonly label: string;
  readonly value: T | undefined;
}

/** Picks the first defined candidate; a later, defined, different one is named in a warning. */
function pick<T>(candidates: Candidate<T>[], warnings: string[], show: (value: T) => string): T | undefined {
  const given = candidates.filter((c): c is Candidate<T> & { value: T } => c.value !== undefined);
  const [winner, ...losers] = given;
  for (const loser of losers) {
    if (JSON.stringify(loser.value) !== JSON.stringify(winner.value)) {
      warnings.push(
        `${winner.label} (${show(winner.value)}) overrides ${loser.label} (${show(loser.value)})`,
      );
    }
  }
  return winner?.value;
}

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

/** A random API key (256 bits, hex), as the Go gateway generates when none is configured (spec 7.3). */
export function randomApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The log directory: --log-dir > MCP_GATEWAY_LOG_DIR > the default. */
export function resolveLogDir(options: RunOptions, env: EnvLookup): string {
  return options.logDir ?? (env("MCP_GATEWAY_LOG_DIR") || undefined) ?? DEFAULTS.logDir;
}

/**
 * Resolves the run's settings from its flags, the environment and the loaded config. In a container the
 * gateway listens on all interfaces unless --listen says otherwise.
 */
export function resolveSettings(
  options: RunOptions,
  config: GatewayConfig,
  env: EnvLookup,
  inContainer = false,
  generateKey: () => string = randomApiKey,
): SettingsResult {
  const warnings: string[] = [];
  const plain = (value: unknown) => String(value);
  const hidden = () => "value hidden";

  const flagListen = options.listen === undefined ? undefined : parseListen(options.listen);
  if (typeof flagListen === "string") return { ok: false, message: flagListen };
  const envPort = parsePort("MCP_GATEWAY_PORT", env("MCP_GATEWAY_PORT"));
  if (typeof envPort === "string") return { ok: false, message: envPort };
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
  const listen = {
    hostname: flagListen?.hostname ?? (inContainer ? "0.0.0.0" : defaultListen.hostname),
    port: port ?? defaultListen.port,
  };

  const domain = pick<string>(
    [
      { label: "MCP_GATEWAY_DOMAIN", value: env("MCP_GATEWAY_DOMAIN") || undefined },
      { label: "gateway.domain in the config", value: config.gateway.domain },
    ],
    warnings,
    plain,
  ) ?? "localhost";

  const envKey = env("MCP_GATEWAY_API_KEY") || undefined;
  const configuredKeys = pick<readonly string[]>(
    [
      { label: "MCP_GATEWAY_API_KEY", value: envKey === undefined ? undefined : [envKey] },
      {
        label: "the API key in the config",
        value: config.gateway.apiKeys.length > 0 ? config.gateway.apiKeys : undefined,
      },
    ],
    warnings,
    hidden,
  );
  if (options.noAuth && configuredKeys !== undefined) {
    return {
      ok: false,
      message: envKey === undefined
        ? "--no-auth conflicts with the API key in the config: remove one of them"
        : "--no-auth conflicts with MCP_GATEWAY_API_KEY: unset it or drop --no-auth",
    };
  }
  const auth = options.noAuth ? "off" : configuredKeys === undefined ? "generated" : "configured";
  const apiKeys = auth === "off" ? [] : configuredKeys ?? [generateKey()];

  const logDir = pick<string>(
    [
      { label: "--log-dir", value: options.logDir },
      { label: "MCP_GATEWAY_LOG_DIR", value: env("MCP_GATEWAY_LOG_DIR") || undefined },
    ],
    warnings,
    plain,
  ) ?? DEFAULTS.logDir;

  const payloadDir = pick<string>(
    [
      { label: "--payload-dir", value: options.payloadDir },
      { label: "MCP_GATEWAY_PAYLOAD_DIR", value: env("MCP_GATEWAY_PAYLOAD_DIR") || undefined },
      { label: "gateway.payloadDir in the config", value: config.gateway.payloadDir },
    ],
    warnings,
    plain,
  ) ?? DEFAULTS.payloadDir;

  const envThreshold = env("MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD") || undefined;
  if (envThreshold !== undefined && !/^\d+$/.test(envThreshold)) {
    return {
      ok: false,
      message:
        `invalid MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD "${envThreshold}": expected a non-negative integer (bytes)`,
    };
  }
  const payloadSizeThreshold = pick<number>(
    [
      { label: "--payload-size-threshold", value: options.payloadSizeThreshold },
      {
        label: "MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD",
        value: envThreshold === undefined ? undefined : Number(envThreshold),
      },
    ],
    warnings,
    plain,
  ) ?? DEFAULTS.payloadSizeThreshold;

  const envMaxSize = env("MCP_GATEWAY_LOG_MAX_SIZE") || undefined;
  if (envMaxSize !== undefined && !/^[1-9]\d*$/.test(envMaxSize)) {
    return {
      ok: false,
      message: `invalid MCP_GATEWAY_LOG_MAX_SIZE "${envMaxSize}": expected a positive integer (bytes)`,
    };
  }
  const logMaxSize = envMaxSize === undefined ? DEFAULTS.logMaxSize : Number(envMaxSize);

  const payloadPathPrefix = pick<string>(
    [
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
    ok: true,
    warnings,
    settings: {
      payloadPathPrefix,
      logMaxSize,
      listen,
      domain,
      apiKeys,
      auth,
      logDir,
      payloadDir,
      payloadSizeThreshold,
      mode: options.mode ?? "routed",
      sequentialLaunch: options.sequentialLaunch,
      verbosity: options.verbosity,
    },
  };
}
