/**
 * The `gateway` section: its fields with defaults, the key spellings, tracing, the Go gateway's settings awmg
 * does not support yet, and the enforcement mode written at the top level.
 */
import * as v from "valibot";
import { type Format, fromValibot, unknownKeys } from "./checks.ts";
import { isSingleReference } from "./expand.ts";
import type { ConfigIssue } from "./issues.ts";
import { type GatewayInput, gatewaySchema, knownKeys } from "./schema.ts";
import { isRecord, joinPath } from "./tree.ts";
import { GATEWAY_DEFAULTS, type GatewaySection, type TracingSection } from "./types.ts";

/**
 * Go gateway settings awmg knows but does not act on yet, with the one value that is what awmg does anyway:
 * that value passes, any other is refused as not supported (never as a mistake in the config).
 */
const NOT_YET: Readonly<
  Record<string, { readonly what: string; readonly same: (value: unknown) => boolean }>
> = {
  containerRuntime: { what: "a container runtime other than docker", same: (value) => value === "docker" },
  containerRuntimeCommand: {
    what: "a container runtime binary other than docker",
    same: (value) => value === "docker",
  },
  containerRuntimeArgs: {
    what: "runtime arguments before 'run'",
    same: (value) => Array.isArray(value) && value.length === 0,
  },
  dockerless: { what: "running containers with Podman instead of Docker", same: (value) => value === false },
};

function notYetSupported(gateway: Readonly<Record<string, unknown>>): ConfigIssue[] {
  return Object.entries(NOT_YET).flatMap(([key, { what, same }]) =>
    gateway[key] === undefined || same(gateway[key]) ? [] : [{
      path: `gateway.${key}`,
      message: `'gateway.${key}' is a Go gateway setting awmg does not support yet (${what})`,
      found: JSON.stringify(gateway[key]),
      suggestion: "remove it: awmg launches stdio containers with docker run",
    }]
  );
}

/** An RFC 1123 hostname label, which the Go gateway accepts as a domain (a container network's name). */
const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * The keys a tracing section may hold. In JSON, headers moved to OTEL_EXPORTER_OTLP_HEADERS (gh-aw spec
 * 4.1.3.7); the opentelemetry section needs its endpoint, as in the Go gateway (the legacy tracing one does not).
 */
function checkTracing(section: unknown, path: string, format: Format, errors: ConfigIssue[]): void {
  if (!isRecord(section)) return;
  errors.push(...unknownKeys(section, knownKeys.tracing, path, format));
  if (format === "json" && "headers" in section) {
    errors.push({
      path: joinPath(path, "headers"),
      message: `unrecognized field '${
        joinPath(path, "headers")
      }': OTLP headers are not part of the JSON config`,
      suggestion: "set OTEL_EXPORTER_OTLP_HEADERS instead (gh-aw MCP Gateway specification 4.1.3.7)",
    });
  }
  if (path.endsWith("opentelemetry") && section.endpoint === undefined) {
    errors.push({
      path: joinPath(path, "endpoint"),
      message: `endpoint is required in ${path}`,
      suggestion: 'add endpoint = "https://collector.example/v1/traces", or remove the section',
    });
  }
}

type Issues = { readonly errors: ConfigIssue[]; readonly warnings: ConfigIssue[] };

/**
 * Checks the gateway section (the config's, or gh-aw's stdin JSON `gateway`) and gives it with its defaults;
 * the defaults alone when it is absent or malformed (its errors recorded).
 */
export function buildGateway(value: unknown, raw: unknown, format: Format, issues: Issues): GatewaySection {
  const defaults: GatewaySection = {
    apiKeys: [],
    allowedHosts: [],
    allowedOrigins: [],
    trustedBots: [],
    sinkVisibilityExemptServers: [],
    sanitizeResults: false,
    imageHosts: [],
    ...GATEWAY_DEFAULTS,
  };
  if (value === undefined) return defaults;
  const parsed = v.safeParse(gatewaySchema, tracingChosen(value, format, issues), { abortEarly: false });
  if (!parsed.success) {
    issues.errors.push(...fromValibot("gateway", parsed.issues));
    return defaults;
  }
  const g = parsed.output;
  checkKeySpellings(g, issues);
  checkDomain(isRecord(raw) ? raw.domain : undefined, issues.errors);
  const otel = g.opentelemetry ?? g.tracing;
  if (otel?.spanId !== undefined && otel.traceId === undefined) {
    issues.errors.push({
      path: `gateway.${g.opentelemetry === undefined ? "tracing" : "opentelemetry"}.spanId`,
      message: "a parent span id needs the trace id it belongs to",
      suggestion: 'add "traceId" (32 lowercase hex characters) or remove "spanId"',
    });
  }
  issues.errors.push(...notYetSupported(g));
  return gatewaySection(g);
}

/**
 * The section's unknown keys reported and its tracing sections checked; as the Go gateway, opentelemetry wins
 * over the legacy tracing section, which is then not read at all.
 */
function tracingChosen(section: unknown, format: Format, { errors, warnings }: Issues): unknown {
  if (!isRecord(section)) return section;
  errors.push(...unknownKeys(section, knownKeys.gateway, "gateway", format));
  let chosen: Record<string, unknown> = section;
  if (section.opentelemetry !== undefined && section.tracing !== undefined) {
    warnings.push({
      path: "gateway.tracing",
      message:
        "both [gateway.tracing] and [gateway.opentelemetry] are set; [gateway.opentelemetry] takes precedence",
    });
    const { tracing: _, ...rest } = section;
    chosen = rest;
  }
  for (const key of ["opentelemetry", "tracing"]) checkTracing(chosen[key], `gateway.${key}`, format, errors);
  return chosen;
}

/** `agentIds` beside `agentId` or `apiKey` is an error; `apiKey` beside `agentId` a warning (agentId wins). */
function checkKeySpellings(g: GatewayInput, { errors, warnings }: Issues): void {
  if (g.agentIds !== undefined && (g.apiKey !== undefined || g.agentId !== undefined)) {
    errors.push({
      path: "gateway",
      message:
        '"agentIds" holds the keys; "apiKey" and "agentId" beside it are spellings of the same setting',
      suggestion: 'keep "agentIds" for several keys, or "agentId" for one',
    });
  } else if (g.apiKey !== undefined && g.agentId !== undefined) {
    warnings.push({
      path: "gateway.apiKey",
      message: g.apiKey === g.agentId
        ? '"apiKey" repeats "agentId"; "agentId" is the current spelling'
        : 'both "agentId" and "apiKey" are set; "agentId" takes precedence, as in the Go gateway',
      suggestion: 'remove "apiKey"',
    });
  }
}

/** The domain as written (before expansion): localhost, host.docker.internal, a hostname label or a ${VAR}. */
function checkDomain(rawDomain: unknown, errors: ConfigIssue[]): void {
  if (
    typeof rawDomain !== "string" || ["localhost", "host.docker.internal"].includes(rawDomain) ||
    isSingleReference(rawDomain) || HOSTNAME_LABEL.test(rawDomain)
  ) return;
  errors.push({
    path: "gateway.domain",
    message:
      `domain '${rawDomain}' must be 'localhost', 'host.docker.internal', an RFC-1123 hostname label ` +
      "(e.g. 'awmg-mcpg'), or a variable expression",
    expected: '"localhost", "host.docker.internal", a hostname label or a ${VAR} reference',
    found: JSON.stringify(rawDomain),
  });
}

/** The entries of `fields` that are set (the section's optional fields stay absent, not undefined). */
function definedOf<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The checked section with every default filled in. */
function gatewaySection(g: GatewayInput): GatewaySection {
  const otel = g.opentelemetry ?? g.tracing;
  const keepalive = g.keepaliveInterval ?? GATEWAY_DEFAULTS.keepaliveInterval;
  return {
    port: g.port,
    apiKeys: g.agentIds ?? [g.agentId ?? g.apiKey].filter((k): k is string => k !== undefined),
    domain: g.domain,
    startupTimeout: g.startupTimeout ?? GATEWAY_DEFAULTS.startupTimeout,
    toolTimeout: g.toolTimeout ?? GATEWAY_DEFAULTS.toolTimeout,
    payloadDir: g.payloadDir,
    payloadPathPrefix: g.payloadPathPrefix,
    payloadSizeThreshold: g.payloadSizeThreshold,
    sessionTimeout: g.sessionTimeout ?? GATEWAY_DEFAULTS.sessionTimeout,
    keepaliveInterval: keepalive === -1 ? undefined : keepalive,
    maxBodySize: g.maxBodySize ?? GATEWAY_DEFAULTS.maxBodySize,
    maxMessageSize: g.maxMessageSize ?? GATEWAY_DEFAULTS.maxMessageSize,
    maxUnsentBytes: g.maxUnsentBytes ?? GATEWAY_DEFAULTS.maxUnsentBytes,
    maxSessions: g.maxSessions ?? GATEWAY_DEFAULTS.maxSessions,
    maxHeldRequests: g.maxHeldRequests ?? GATEWAY_DEFAULTS.maxHeldRequests,
    maxAgents: g.maxAgents ?? GATEWAY_DEFAULTS.maxAgents,
    inputRequiredTimeout: g.inputRequiredTimeout ?? GATEWAY_DEFAULTS.inputRequiredTimeout,
    bodyTimeout: g.bodyTimeout ?? GATEWAY_DEFAULTS.bodyTimeout,
    allowedHosts: g.allowedHosts ?? [],
    allowedOrigins: g.allowedOrigins ?? [],
    ...(otel === undefined ? {} : { tracing: tracingSection(otel) }),
    ...(g.guardsMode === undefined ? {} : { guardsMode: g.guardsMode }),
    trustedBots: g.trustedBots ?? [],
    ...(g.forcePublicRepos === undefined ? {} : { forcePublicRepos: g.forcePublicRepos }),
    // forcePublicRepos = false is the Go gateway's blanket opt-out of public-by-default write sinks.
    sinkVisibilityExemptServers: g.forcePublicRepos === false ? ["*"] : g.sinkVisibilityExemptServers ?? [],
    ...(g.toolLock === undefined ? {} : { toolLock: g.toolLock }),
    sanitizeResults: g.sanitizeResults ?? false,
    imageHosts: (g.imageHosts ?? []).map((host) => host.toLowerCase()),
    ...definedOf({
      store: g.store,
      stateKey: g.stateKey,
      previousStateKey: g.previousStateKey,
      replicaId: g.replicaId,
      replicaUrl: g.replicaUrl,
    }),
  };
}

/**
 * Parses OTLP headers given as "key=value,key2=value2" or an object. Values from OTEL_EXPORTER_OTLP_HEADERS
 * are percent-encoded (`decode`), as the OpenTelemetry specification says; config values are taken as written.
 */
export function otlpHeaders(
  value: string | Record<string, string> | undefined,
  decode = false,
): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "string") return { ...value };
  return Object.fromEntries(
    value.split(",").flatMap((pair) => {
      const at = pair.indexOf("=");
      const key = pair.slice(0, at).trim();
      const raw = pair.slice(at + 1).trim();
      return at === -1 || key === "" ? [] : [[key, decode ? safeDecode(raw) : raw]];
    }),
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function tracingSection(input: NonNullable<GatewayInput["opentelemetry"]>): TracingSection {
  return {
    endpoint: input.endpoint,
    headers: otlpHeaders(input.headers),
    ...(input.traceId === undefined
      ? {}
      : { parent: { traceId: input.traceId, spanId: input.spanId ?? "" } }),
    serviceName: input.serviceName,
    sampleRate: input.sampleRate,
    signalPath: input.signalPath,
  };
}

/** The mode written at the top level (TOML `guards_mode`), unless the gateway section sets one too. */
export function withTopLevelMode(
  gateway: GatewaySection,
  mode: unknown,
  errors: ConfigIssue[],
): GatewaySection {
  if (mode === undefined) return gateway;
  if (gateway.guardsMode !== undefined) {
    errors.push({
      path: "guards_mode",
      message: "the enforcement mode is set twice, here and as gateway.guards_mode",
      suggestion: "keep one of them",
    });
    return gateway;
  }
  const parsed = v.safeParse(gatewaySchema.entries.guardsMode, mode);
  if (!parsed.success) {
    errors.push(...fromValibot("guards_mode", parsed.issues));
    return gateway;
  }
  return { ...gateway, guardsMode: parsed.output };
}
