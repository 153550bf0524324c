/**
 * Turns a parsed configuration document, already in canonical (camelCase) spelling, into a
 * `GatewayConfig`, or into the complete list of what is wrong with it.
 */
import * as v from "valibot";
import { type EnvLookup, expandVariables, isSingleReference } from "./expand.ts";
import { type ConfigIssue, type ConfigSource, describeFound } from "./issues.ts";
import { parsePolicy } from "./policy.ts";
import {
  customSchemasSchema,
  type GatewayInput,
  gatewaySchema,
  guardSchema,
  knownKeys,
  type ServerInput,
  serverSchema,
} from "./schema.ts";
import { closest } from "./suggest.ts";
import { isRecord, joinPath } from "./tree.ts";
import {
  type EnvEntry,
  GATEWAY_DEFAULTS,
  type GatewayConfig,
  type GatewaySection,
  type GuardDefinition,
  type Mount,
  type ServerConfig,
  type TracingSection,
} from "./types.ts";

/** The two input formats differ in spelling and in a few rules. */
export type Format = "toml" | "json";

/** A document in canonical spelling: `servers`, `gateway`, `customSchemas`. */
export interface CanonicalDocument {
  readonly servers?: unknown;
  readonly gateway?: unknown;
  readonly customSchemas?: unknown;
  /** Guard definitions by name. */
  readonly guards?: unknown;
  /** The enforcement mode written at the top level (TOML `guards_mode`, as the Go gateway reads it). */
  readonly guardsMode?: unknown;
  /** Top-level keys the format does not know, as written. */
  readonly unknownTopLevel: readonly string[];
}

/** What the caller learns: the config or the errors, and warnings either way. */
export type ValidationResult =
  | { readonly ok: true; readonly config: GatewayConfig; readonly warnings: readonly ConfigIssue[] }
  | {
    readonly ok: false;
    readonly errors: readonly ConfigIssue[];
    readonly warnings: readonly ConfigIssue[];
  };

const BUILTIN_TYPES = ["stdio", "http", "local"];
/** Security policy keys awmg cannot enforce yet: refusing them beats running without the policy. */
const POLICY_SERVER_KEYS = ["tool_response_filters", "toolResponseFilters"];
/** The upstream auth types awmg implements. */
const AUTH_TYPES = ["github-oidc"];
/** What `github-oidc` needs from the environment (GitHub Actions with `permissions: id-token: write`). */
export const OIDC_VARIABLES = ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"] as const;
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const SECRET_FIELDS = new Set(["env", "headers", "apiKey", "agentId", "agentIds"]);

type PathKey = string | number;

/**
 * The Go gateway's words for a value out of range, by section and field: scripts and docs written against Go
 * match them, so awmg's message carries them beside its own expected/found.
 */
const GO_PHRASES: Readonly<Record<"gateway" | "server", Readonly<Record<string, string>>>> = {
  gateway: {
    port: "port must be between 1 and 65535",
    payloadSizeThreshold: "payload_size_threshold must be a positive integer",
    startupTimeout: "startupTimeout must be a positive integer",
    toolTimeout: "toolTimeout must be a positive integer",
    trustedBots: "trusted_bots must be a non-empty array when present",
    payloadDir: "payloadDir must be an absolute path",
  },
  server: {
    toolTimeout: "tool_timeout must be at least 10",
    connectTimeout: "connect_timeout must be a positive integer",
  },
};

/** Converts valibot issues under `base` into config issues; values under secret fields stay hidden. */
function fromValibot(base: string, issues: readonly v.BaseIssue<unknown>[]): ConfigIssue[] {
  return issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key as PathKey);
    const path = keys.reduce<string>(joinPath, base);
    const secret = keys.some((key) => typeof key === "string" && SECRET_FIELDS.has(key));
    const field = keys.at(-1);
    const phrases = GO_PHRASES[base.startsWith("gateway") ? "gateway" : "server"];
    const phrase = issue.kind === "schema"
      ? undefined
      : typeof field === "string"
      ? phrases[field]
      : keys.at(-2) === "trustedBots"
      ? `trusted_bots[${field}] must be a non-empty string`
      : undefined;
    return {
      path,
      message: phrase ?? (issue.kind === "schema" ? "wrong type" : "invalid value"),
      expected: issue.message,
      found: describeFound(issue.input, secret),
    };
  });
}

/** How a canonical key is spelt in the format at hand, for suggestions. */
function spell(key: string, format: Format): string {
  return format === "toml" ? key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : key;
}

function unknownKeys(
  object: Record<string, unknown>,
  known: readonly string[],
  path: string,
  format: Format,
): ConfigIssue[] {
  return Object.keys(object).filter((key) => !known.includes(key)).map((key) => {
    const near = closest(key, known.map((k) => spell(k, format)));
    return {
      path: joinPath(path, key),
      message: `unrecognized field '${joinPath(path, key)}'`,
      suggestion: near === undefined ? "check for typos or deprecated options" : `did you mean '${near}'?`,
    };
  });
}

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

/** The error for a policy awmg would not enforce. */
function unenforced(path: string, what: string): ConfigIssue {
  return {
    path,
    message: `${what} cannot be enforced by awmg: the server would run without this security policy`,
    suggestion: `remove '${path}' to run without the policy, or use a gateway that enforces it`,
  };
}

function parseMount(spec: string, path: string, errors: ConfigIssue[]): Mount | undefined {
  const parts = spec.split(":");
  const fail = (message: string, suggestion: string) => {
    errors.push({
      path,
      message,
      expected: '"source:dest:mode" with absolute paths and mode "ro" or "rw"',
      found: JSON.stringify(spec),
      suggestion,
    });
    return undefined;
  };
  if (parts.length !== 3) {
    return fail(
      `invalid mount specification: expected 3 parts separated by ':', found ${parts.length}`,
      'write it as "/host/path:/container/path:ro"',
    );
  }
  const [source, target, mode] = parts;
  if (source === "" || target === "") {
    return fail(
      "invalid mount specification: source and destination are required",
      'e.g. "/host/data:/data:rw"',
    );
  }
  if (!source.startsWith("/") || !target.startsWith("/")) {
    const which = !source.startsWith("/") ? `source "${source}"` : `destination "${target}"`;
    return fail(
      `invalid mount specification: ${which} is not an absolute path`,
      'start both paths with "/" (use ${HOME} for the home directory)',
    );
  }
  if (mode !== "ro" && mode !== "rw") {
    return fail(`invalid mount mode "${mode}"`, `use "ro" (read-only) or "rw" (read-write)`);
  }
  return { source, target, mode };
}

function envEntries(env: Record<string, string> | undefined): EnvEntry[] {
  return Object.entries(env ?? {}).map(([name, value]) =>
    value === "" ? { name, passthrough: true as const } : { name, value }
  );
}

interface ServerContext {
  readonly format: Format;
  readonly env: EnvLookup;
  readonly customTypes: Readonly<Record<string, string>>;
  readonly errors: ConfigIssue[];
  readonly warnings: ConfigIssue[];
}

function buildServer(
  id: string,
  input: ServerInput,
  path: string,
  context: ServerContext,
): ServerConfig | undefined {
  const { errors, format } = context;
  const before = errors.length;
  const rawType = input.type ?? "";
  const type = rawType === "" || rawType === "local" ? "stdio" : rawType;
  const tools = input.tools === undefined || input.tools.includes("*") ? undefined : input.tools;
  const common = {
    id,
    tools,
    registry: input.registry,
    isolation: input.isolation ?? "shared",
    protocolVersion: input.protocolVersion ?? "auto",
    toolTimeout: input.toolTimeout === 0 ? undefined : input.toolTimeout,
    rateLimitThreshold: input.rateLimitThreshold ?? GATEWAY_DEFAULTS.rateLimitThreshold,
    rateLimitCooldown: input.rateLimitCooldown ?? GATEWAY_DEFAULTS.rateLimitCooldown,
  };
  const forbid = (field: keyof ServerInput, why: string, suggestion?: string) => {
    if (input[field] !== undefined) errors.push({ path: joinPath(path, field), message: why, suggestion });
  };

  if (input.auth !== undefined && !AUTH_TYPES.includes(input.auth.type)) {
    errors.push(
      unenforced(
        joinPath(path, "auth.type"),
        `auth of type "${input.auth.type}" (awmg implements "github-oidc")`,
      ),
    );
  }
  if (type === "http") {
    if (input.auth?.type === "github-oidc") {
      const missing = OIDC_VARIABLES.filter((name) => (context.env(name) ?? "") === "");
      if (missing.length > 0) {
        errors.push({
          path: joinPath(path, "auth"),
          message: `github-oidc auth needs ${missing.join(" and ")}, which ${
            missing.length === 1 ? "is" : "are"
          } not set`,
          suggestion: "run in GitHub Actions with `permissions: id-token: write`, or remove the auth block",
        });
      }
    }
    if (input.url === undefined) {
      errors.push({
        path: joinPath(path, "url"),
        message: 'an http server requires "url"',
        expected: "an http(s) URL",
        found: "nothing",
        suggestion: 'add "url": "https://host/mcp"',
      });
    }
    for (const field of ["command", "container", "entrypoint", "entrypointArgs", "args"] as const) {
      forbid(field, `"${field}" applies only to stdio servers, not to type "http"`);
    }
    forbid(
      "mounts",
      'mounts apply only to stdio servers, not to type "http"',
      'remove "mounts" or use type "stdio"',
    );
    // The Go gateway's schema allows env here and expands it (an undefined variable fails), then ignores it.
    if (input.env !== undefined) {
      context.warnings.push({
        path: joinPath(path, "env"),
        message: '"env" has no effect on an http server (as in the Go gateway)',
        suggestion: 'send values to the server with "headers"',
      });
    }
    if (errors.length > before || input.url === undefined) return undefined;
    return {
      ...common,
      type: "http",
      url: input.url,
      headers: { ...input.headers },
      connectTimeout: input.connectTimeout ?? GATEWAY_DEFAULTS.connectTimeout,
      ...(input.auth === undefined ? {} : { oidcAudience: input.auth.audience ?? input.url }),
    };
  }

  if (type !== "stdio") {
    const schemaUrl = context.customTypes[type];
    if (schemaUrl === undefined) {
      const near = closest(type, [...BUILTIN_TYPES, ...Object.keys(context.customTypes)]);
      errors.push({
        path: joinPath(path, "type"),
        message: `unknown server type "${type}"`,
        expected: '"stdio", "http" or a type registered in customSchemas',
        found: JSON.stringify(type),
        suggestion: near === undefined
          ? `register it under "customSchemas" with an https schema URL`
          : `did you mean "${near}"?`,
      });
      return undefined;
    }
    return { ...common, type: "custom", customType: type, schemaUrl };
  }

  forbid("url", '"url" applies only to http servers', 'set "type": "http" or remove "url"');
  forbid("connectTimeout", '"connectTimeout" applies only to http servers', 'remove "connectTimeout"');
  forbid("auth", '"auth" applies only to http servers', 'remove "auth" or set "type": "http"');
  forbid("headers", '"headers" apply only to http servers', 'set "type": "http" or remove "headers"');
  const mounts = (input.mounts ?? []).map((spec, i) =>
    parseMount(spec, joinPath(joinPath(path, "mounts"), i), errors)
  );
  const env = envEntries(input.env);

  if (format === "json" && input.command !== undefined) {
    errors.push({
      path: joinPath(path, "command"),
      message: '"command" is not supported in the JSON stdin format',
      suggestion: 'use "container": "<image>"; awmg runs it as docker run --rm -i <image>',
    });
  }
  if (input.container !== undefined || format === "json") {
    forbid("workingDirectory", '"workingDirectory" applies only to TOML command servers', "remove it");
  }
  if (input.container !== undefined) {
    if (format === "toml" && input.command !== undefined) {
      errors.push({
        path: joinPath(path, "command"),
        message: 'use either "command" or "container", not both',
        suggestion: 'keep "container" to run an image, or "command" to run a program',
      });
    }
    if (errors.length > before) return undefined;
    return {
      ...common,
      type: "stdio",
      env,
      launch: {
        kind: "container",
        image: input.container,
        entrypoint: input.entrypoint,
        entrypointArgs: input.entrypointArgs ?? [],
        dockerArgs: input.args ?? [],
        mounts: mounts.filter((m): m is Mount => m !== undefined),
      },
    };
  }
  for (const field of ["entrypoint", "entrypointArgs", "mounts"] as const) {
    forbid(field, `"${field}" applies only to container servers`, 'add "container": "<image>"');
  }
  if (input.command === undefined && format === "toml") {
    errors.push({
      path,
      message: 'a stdio server requires "command" (a program to run) or "container" (an image)',
      suggestion: 'e.g. command = "docker" and args = ["run", "--rm", "-i", "image"]',
    });
  } else if (input.container === undefined && format === "json" && input.command === undefined) {
    errors.push({
      path: joinPath(path, "container"),
      message: 'a stdio server requires "container"',
      expected: "a Docker image name",
      found: "nothing",
      suggestion: 'add "container": "ghcr.io/owner/image:tag"',
    });
  }
  if (errors.length > before || input.command === undefined) return undefined;
  return {
    ...common,
    type: "stdio",
    env,
    launch: {
      kind: "command",
      command: input.command,
      args: input.args ?? [],
      ...(input.workingDirectory === undefined ? {} : { cwd: input.workingDirectory }),
    },
  };
}

function validateCustomSchemas(value: unknown, errors: ConfigIssue[]): Record<string, string> {
  if (value === undefined) return {};
  const parsed = v.safeParse(customSchemasSchema, value, { abortEarly: false });
  if (!parsed.success) {
    errors.push(...fromValibot("customSchemas", parsed.issues));
    return {};
  }
  const types: Record<string, string> = {};
  for (const [name, url] of Object.entries(parsed.output)) {
    const path = joinPath("customSchemas", name);
    if (BUILTIN_TYPES.includes(name)) {
      errors.push({
        path,
        message: `"${name}" is a built-in server type and cannot be redefined`,
        suggestion: "choose another name for the custom type",
      });
    } else if (!/^https:\/\/[^\s/]+/i.test(url)) {
      errors.push({
        path,
        message: "a custom schema URL must use https",
        expected: "an https:// URL",
        found: JSON.stringify(url),
      });
    } else {
      types[name] = url;
    }
  }
  return types;
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

function buildGateway(
  value: unknown,
  raw: unknown,
  format: Format,
  issues: { readonly errors: ConfigIssue[]; readonly warnings: ConfigIssue[] },
): GatewaySection {
  const { errors, warnings } = issues;
  const defaults: GatewaySection = {
    apiKeys: [],
    allowedHosts: [],
    allowedOrigins: [],
    trustedBots: [],
    sinkVisibilityExemptServers: [],
    ...GATEWAY_DEFAULTS,
  };
  if (value === undefined) return defaults;
  let section: unknown = value;
  if (isRecord(section)) {
    errors.push(...unknownKeys(section, knownKeys.gateway, "gateway", format));
    // As the Go gateway: opentelemetry wins over the legacy tracing section, which is then not read at all.
    if (section.opentelemetry !== undefined && section.tracing !== undefined) {
      warnings.push({
        path: "gateway.tracing",
        message:
          "both [gateway.tracing] and [gateway.opentelemetry] are set; [gateway.opentelemetry] takes precedence",
      });
      const { tracing: _, ...rest } = section;
      section = rest;
    }
    const tracing = section as Record<string, unknown>;
    for (const key of ["opentelemetry", "tracing"]) {
      checkTracing(tracing[key], `gateway.${key}`, format, errors);
    }
  }
  const parsed = v.safeParse(gatewaySchema, section, { abortEarly: false });
  if (!parsed.success) {
    errors.push(...fromValibot("gateway", parsed.issues));
    return defaults;
  }
  const g = parsed.output;
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
  const rawDomain = isRecord(raw) ? raw.domain : undefined;
  if (
    typeof rawDomain === "string" && !["localhost", "host.docker.internal"].includes(rawDomain) &&
    !isSingleReference(rawDomain) && !HOSTNAME_LABEL.test(rawDomain)
  ) {
    errors.push({
      path: "gateway.domain",
      message:
        `domain '${rawDomain}' must be 'localhost', 'host.docker.internal', an RFC-1123 hostname label ` +
        "(e.g. 'awmg-mcpg'), or a variable expression",
      expected: '"localhost", "host.docker.internal", a hostname label or a ${VAR} reference',
      found: JSON.stringify(rawDomain),
    });
  }
  const otel = g.opentelemetry ?? g.tracing;
  if (otel?.spanId !== undefined && otel.traceId === undefined) {
    errors.push({
      path: `gateway.${g.opentelemetry === undefined ? "tracing" : "opentelemetry"}.spanId`,
      message: "a parent span id needs the trace id it belongs to",
      suggestion: 'add "traceId" (32 lowercase hex characters) or remove "spanId"',
    });
  }
  errors.push(...notYetSupported(g));
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

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The mode written at the top level (TOML `guards_mode`), unless the gateway section sets one too. */
function withTopLevelMode(gateway: GatewaySection, mode: unknown, errors: ConfigIssue[]): GatewaySection {
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

/** The top-level `guards` section: definitions by name, each with its policy checked. */
function buildGuards(value: unknown, errors: ConfigIssue[]): Record<string, GuardDefinition> {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    errors.push({
      path: "guards",
      message: "wrong type",
      expected: "an object of guards by name",
      found: describeFound(value),
    });
    return {};
  }
  const guards: Record<string, GuardDefinition> = {};
  for (const [name, entry] of Object.entries(value)) {
    const path = joinPath("guards", name);
    const parsed = v.safeParse(guardSchema, entry, { abortEarly: false });
    if (!parsed.success) {
      errors.push(...fromValibot(path, parsed.issues));
      continue;
    }
    const policy = parsed.output.policy === undefined
      ? undefined
      : parsePolicy(parsed.output.policy, joinPath(path, "policy"), errors);
    guards[name] = parsed.output.type === "wasm"
      ? { type: "wasm", path: parsed.output.path, ...(policy === undefined ? {} : { policy }) }
      : { type: "noop", ...(policy === undefined ? {} : { policy }) };
  }
  return guards;
}

/** Accepts the JSON spelling `guard-policies` for the canonical `guardPolicies`. */
function withPolicySpelling(
  entry: Record<string, unknown>,
  path: string,
  errors: ConfigIssue[],
): Record<string, unknown> {
  if (!("guard-policies" in entry)) return entry;
  const { "guard-policies": policies, ...rest } = entry;
  if (rest.guardPolicies !== undefined) {
    errors.push({
      path: joinPath(path, "guard-policies"),
      message: "guard policies are set twice",
      suggestion: "keep one spelling",
    });
  }
  return { ...rest, guardPolicies: policies };
}

/** Adds a server's guard and policy, checking that the guard it names is defined. */
function withGuard(
  server: ServerConfig,
  input: ServerInput,
  policyPath: string,
  guards: Readonly<Record<string, GuardDefinition>>,
  errors: ConfigIssue[],
): ServerConfig {
  const path = policyPath.slice(0, policyPath.lastIndexOf("."));
  if (input.guard !== undefined && guards[input.guard] === undefined) {
    const near = closest(input.guard, Object.keys(guards));
    errors.push({
      path: joinPath(path, "guard"),
      message: `no guard named "${input.guard}" is defined`,
      suggestion: near === undefined ? 'define it under "guards"' : `did you mean "${near}"?`,
    });
  }
  // An empty policy object is no policy, as in the Go gateway.
  const empty = isRecord(input.guardPolicies) && Object.keys(input.guardPolicies).length === 0;
  const policy = input.guardPolicies === undefined || empty
    ? undefined
    : parsePolicy(input.guardPolicies, policyPath, errors, server.id);
  return {
    ...server,
    ...(input.guard === undefined ? {} : { guard: input.guard }),
    ...(policy === undefined ? {} : { guardPolicy: policy }),
  };
}

/** What the JSON config schema requires (the Go gateway's): the servers, the gateway's port and domain, a key. */
function missingRequired(document: CanonicalDocument): ConfigIssue[] {
  const missing = (path: string, property: string, example: string): ConfigIssue => ({
    path: joinPath(path, property),
    message: `missing property '${property}'${
      path === "" ? "" : ` in '${path}'`
    } (required by the JSON config schema)`,
    suggestion: `add ${example}`,
  });
  const issues: ConfigIssue[] = [];
  if (document.servers === undefined) issues.push(missing("", "mcpServers", '"mcpServers": {}'));
  if (document.gateway === undefined) {
    issues.push(missing("", "gateway", '"gateway": {"port": 8080, "domain": "localhost"}'));
  } else if (isRecord(document.gateway)) {
    if (document.gateway.port === undefined) issues.push(missing("gateway", "port", '"port": 8080'));
    if (document.gateway.domain === undefined) {
      issues.push(missing("gateway", "domain", '"domain": "localhost"'));
    }
    const { agentId, apiKey, agentIds } = document.gateway;
    if (agentId === undefined && apiKey === undefined && agentIds === undefined) {
      issues.push({
        ...missing("gateway", "agentId", '"agentId": "${MCP_GATEWAY_AGENT_ID}"'),
        message:
          "missing property 'agentId' in 'gateway' (the JSON config schema requires \"agentId\" or the deprecated \"apiKey\")",
      });
    }
  }
  return issues;
}

/** Validates a canonical document: expansion, shapes, cross-field rules. Reports every problem. */
export function validateDocument(
  document: CanonicalDocument,
  format: Format,
  source: ConfigSource,
  env: EnvLookup,
): ValidationResult {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];

  // The Go gateway's schema binds the JSON config it reads on stdin; a .json file given to --config is awmg's.
  if (format === "json" && source.kind === "stdin") errors.push(...missingRequired(document));
  for (const key of document.unknownTopLevel) {
    const known = format === "json"
      ? ["mcpServers", "gateway", "customSchemas", "guards"]
      : ["servers", "gateway", "custom_schemas", "guards", "guards_mode"];
    const near = closest(key, known);
    errors.push({
      path: key,
      message: `unrecognized field '${key}'`,
      suggestion: near === undefined
        ? `the top-level keys are ${known.join(", ")}`
        : `did you mean '${near}'?`,
    });
  }

  const expanded = expandVariables(
    {
      servers: document.servers,
      gateway: document.gateway,
      customSchemas: document.customSchemas,
      guards: document.guards,
      guardsMode: document.guardsMode,
    },
    env,
  );
  errors.push(...expanded.errors);
  const tree = expanded.value as Record<string, unknown>;

  const customTypes = validateCustomSchemas(tree.customSchemas, errors);
  const gateway = withTopLevelMode(
    buildGateway(tree.gateway, document.gateway, format, { errors, warnings }),
    tree.guardsMode,
    errors,
  );
  const guards = buildGuards(tree.guards, errors);

  const servers: ServerConfig[] = [];
  if (tree.servers !== undefined && !isRecord(tree.servers)) {
    errors.push({
      path: "servers",
      message: "wrong type",
      expected: "an object of servers by id",
      found: describeFound(tree.servers),
    });
  } else if (tree.servers === undefined || Object.keys(tree.servers).length === 0) {
    // As the Go gateway: a TOML file must define servers; the JSON config may list none (an orchestrator's
    // gateway with nothing to route yet), and so may the built-in default config.
    const file = format === "toml" && source.kind === "file";
    (file ? errors : warnings).push({
      path: "servers",
      message: file
        ? "no servers defined in configuration"
        : "no servers are configured; the gateway will have nothing to route to",
      ...(file ? { suggestion: 'add a [servers.<id>] table with "command" or "container"' } : {}),
    });
  } else {
    for (const [id, entry] of Object.entries(tree.servers)) {
      const path = joinPath("servers", id);
      if (!SERVER_ID.test(id) || id.includes("___")) {
        errors.push({
          path,
          message: `invalid server id "${id}"`,
          expected: 'letters, digits, "-" and "_", starting with a letter or digit, without "___"',
          found: JSON.stringify(id),
        });
        continue;
      }
      const input = isRecord(entry) ? withPolicySpelling(entry, path, errors) : entry;
      if (isRecord(input)) {
        const policies = Object.keys(input).filter((key) => POLICY_SERVER_KEYS.includes(key));
        errors.push(
          ...policies.map((key) => unenforced(joinPath(path, key), "tool response filters (jq)")),
        );
        errors.push(...unknownKeys(input, [...knownKeys.server, ...policies], path, format));
      }
      const parsed = v.safeParse(serverSchema, input, { abortEarly: false });
      if (!parsed.success) {
        errors.push(...fromValibot(path, parsed.issues));
        continue;
      }
      const server = buildServer(id, parsed.output, path, { format, env, customTypes, errors, warnings });
      const policyKey = isRecord(entry) && "guard-policies" in entry ? "guard-policies" : "guardPolicies";
      if (server !== undefined) {
        servers.push(withGuard(server, parsed.output, joinPath(path, policyKey), guards, errors));
      }
    }
  }

  if (errors.length > 0) return { ok: false, errors, warnings };
  const passedThrough = servers.flatMap((server) =>
    server.type === "stdio"
      ? server.env.flatMap((entry) => "passthrough" in entry ? [env(entry.name) ?? ""] : [])
      : []
  );
  const oidc = servers.some((server) => server.type === "http" && server.oidcAudience !== undefined)
    ? [env("ACTIONS_ID_TOKEN_REQUEST_TOKEN") ?? ""]
    : [];
  const secrets = [...new Set([...expanded.secrets, ...passedThrough, ...gateway.apiKeys, ...oidc])].filter((
    s,
  ) => s !== "");
  return { ok: true, warnings, config: deepFreeze({ source, servers, gateway, guards, secrets }) };
}
