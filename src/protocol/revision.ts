/**
 * What differs between the 2025 revisions and 2026-07-28 on the wire: which revision a request speaks, the
 * per-request `_meta` envelope, the request headers that mirror the body, the new error codes and the fields
 * every modern result carries. Pure: it reads and builds messages, nothing more.
 */

/** The stateless revision: no handshake, every request carries its version and capabilities in `_meta`. */
export const MODERN_VERSION = "2026-07-28";

/** The handshake revisions the gateway speaks to clients, newest first. */
export const LEGACY_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;

/** Every revision the gateway speaks to clients, newest first (what `server/discover` offers). */
export const SERVED_VERSIONS: readonly string[] = [MODERN_VERSION, ...LEGACY_VERSIONS];

/** The `_meta` keys of the per-request envelope. */
export const META = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
  logLevel: "io.modelcontextprotocol/logLevel",
  serverInfo: "io.modelcontextprotocol/serverInfo",
  subscriptionId: "io.modelcontextprotocol/subscriptionId",
} as const;

/** The error codes 2026-07-28 defines. */
export const ModernError = {
  HeaderMismatch: -32020,
  MissingClientCapability: -32021,
  UnsupportedVersion: -32022,
} as const;

/** The log levels of `notifications/message`, least severe first. */
const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

/** A modern request's envelope, as the client declared it. */
export interface Envelope {
  readonly version: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly clientInfo?: unknown;
  /** The least severe log level the client wants for this request; absent means no log notifications. */
  readonly logLevel?: string;
}

/** What a request's `_meta` says about its revision. */
export type EnvelopeReading =
  | { readonly kind: "legacy" }
  | { readonly kind: "modern"; readonly envelope: Envelope }
  | { readonly kind: "invalid"; readonly code: number; readonly message: string; readonly data?: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The -32022 error for a revision the gateway does not speak. */
export function unsupportedVersion(requested: string): EnvelopeReading & { kind: "invalid" } {
  return {
    kind: "invalid",
    code: ModernError.UnsupportedVersion,
    message: `Unsupported protocol version: ${requested}`,
    data: { supported: SERVED_VERSIONS, requested },
  };
}

/**
 * Reads the envelope of a request: legacy when `_meta` names no protocol version (and the header, if any,
 * names a handshake revision), modern when header and body agree on 2026-07-28, and otherwise the spec's
 * error: -32602 for a missing or malformed field, -32020 when header and body disagree, -32022 for a
 * revision the gateway does not speak.
 */
export function readEnvelope(params: unknown, header: string | undefined): EnvelopeReading {
  const meta = isRecord(params) && isRecord(params._meta) ? params._meta : undefined;
  const version = meta?.[META.protocolVersion];
  if (version === undefined) {
    if (header === MODERN_VERSION) {
      return invalid(-32602, `Invalid params: _meta["${META.protocolVersion}"] is required`);
    }
    return header === undefined || SERVED_VERSIONS.includes(header)
      ? { kind: "legacy" }
      : unsupportedVersion(header);
  }
  if (typeof version !== "string") {
    return invalid(-32602, `Invalid params: _meta["${META.protocolVersion}"] must be a string`);
  }
  if (header === undefined) {
    return invalid(
      ModernError.HeaderMismatch,
      "Header mismatch: the MCP-Protocol-Version header is required",
    );
  }
  if (header !== version) {
    return invalid(
      ModernError.HeaderMismatch,
      `Header mismatch: MCP-Protocol-Version header value '${header}' does not match body value '${version}'`,
    );
  }
  if (version !== MODERN_VERSION) return unsupportedVersion(version);
  const capabilities = meta![META.clientCapabilities];
  if (!isRecord(capabilities)) {
    return invalid(-32602, `Invalid params: _meta["${META.clientCapabilities}"] must be an object`);
  }
  const logLevel = meta![META.logLevel];
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as string)) {
    return invalid(
      -32602,
      `Invalid params: _meta["${META.logLevel}"] must be one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  return {
    kind: "modern",
    envelope: {
      version,
      capabilities,
      clientInfo: meta![META.clientInfo],
      ...(logLevel === undefined ? {} : { logLevel: logLevel as string }),
    },
  };
}

function invalid(code: number, message: string, data?: unknown): EnvelopeReading {
  return { kind: "invalid", code, message, ...(data === undefined ? {} : { data }) };
}

/** Whether a log notification at `level` reaches a client that asked for `wanted` and above. */
export function logLevelShown(level: unknown, wanted: string): boolean {
  return LOG_LEVELS.indexOf(String(level)) >= LOG_LEVELS.indexOf(wanted);
}

/** The methods whose request carries `Mcp-Name`, and the param it mirrors. */
const NAMED: Readonly<Record<string, "name" | "uri">> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

/** A header value in the Base64 sentinel form `=?base64?...?=`, decoded; undefined when it is malformed. */
function decodeHeader(value: string): string | undefined {
  if (!value.startsWith("=?base64?") || !value.endsWith("?=") || value.length < 11) return value;
  try {
    const bytes = Uint8Array.from(atob(value.slice(9, -2)), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Checks the request headers that mirror the body (`Mcp-Method`, `Mcp-Name`); the problem, in the spec's
 * words, or undefined when they agree.
 */
export function headerMismatch(
  header: (name: string) => string | undefined,
  method: string,
  params: unknown,
): string | undefined {
  const sentMethod = header("mcp-method");
  if (sentMethod === undefined) return "Header mismatch: the Mcp-Method header is required";
  if (sentMethod !== method) {
    return `Header mismatch: Mcp-Method header value '${sentMethod}' does not match body value '${method}'`;
  }
  const field = NAMED[method];
  if (field === undefined) return undefined;
  const sentName = header("mcp-name");
  if (sentName === undefined) return "Header mismatch: the Mcp-Name header is required";
  const name = decodeHeader(sentName);
  const bodyName = isRecord(params) ? params[field] : undefined;
  if (name === undefined) return "Header mismatch: the Mcp-Name header is not valid Base64 UTF-8";
  if (name !== bodyName) {
    return `Header mismatch: Mcp-Name header value '${name}' does not match body value '${String(bodyName)}'`;
  }
  return undefined;
}

/** The `subscriptions/listen` filter flag each list-change notification needs, and the capability it is offered under. */
export const LIST_CHANGES = {
  "notifications/tools/list_changed": ["toolsListChanged", "tools"],
  "notifications/prompts/list_changed": ["promptsListChanged", "prompts"],
  "notifications/resources/list_changed": ["resourcesListChanged", "resources"],
} as const;

/** A server's capabilities, as far as what it announces goes (`listChanged`, resource `subscribe`). */
export type AnnouncedCapabilities = Readonly<
  Record<string, { readonly listChanged?: boolean; readonly subscribe?: boolean } | undefined>
>;

/** The methods whose results carry caching hints. */
const CACHEABLE = new Set([
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "server/discover",
]);

/** Caching hints of a result the gateway passes on from a server that gave none: not cached, not shared. */
export const NO_CACHE = { ttlMs: 0, cacheScope: "private" } as const;

/**
 * A result as a 2026-07-28 client expects it: with `resultType` (`complete` unless the result already says),
 * and caching hints on the results that carry them. Returns the same object when nothing was missing.
 */
export function modernResult(method: string, result: unknown): unknown {
  if (!isRecord(result)) return result;
  const typed = typeof result.resultType === "string";
  const hinted = !CACHEABLE.has(method) || (result.ttlMs !== undefined && result.cacheScope !== undefined);
  if (typed && hinted) return result;
  return {
    ...result,
    ...(typed ? {} : { resultType: "complete" }),
    ...(hinted
      ? {}
      : { ttlMs: result.ttlMs ?? NO_CACHE.ttlMs, cacheScope: result.cacheScope ?? NO_CACHE.cacheScope }),
  };
}

/**
 * The HTTP status of a JSON error answer to a 2026-07-28 request: 404 for an unknown method, 400 for the
 * revision's own errors, 200 (the error in the body) for the rest.
 */
export function modernErrorStatus(code: number): number {
  if (code === -32601) return 404;
  return code === ModernError.HeaderMismatch || code === ModernError.MissingClientCapability ||
      code === ModernError.UnsupportedVersion
    ? 400
    : 200;
}

/** A copy of request params without the envelope, the retry fields and the headers' mirror: what a 2025 server gets. */
export function legacyParams(params: Record<string, unknown>): Record<string, unknown> {
  const { _meta, inputResponses: _responses, requestState: _state, ...rest } = params;
  if (!isRecord(_meta)) return rest;
  const meta: Record<string, unknown> = {};
  let kept = false;
  for (const [key, value] of Object.entries(_meta)) {
    if (key.startsWith("io.modelcontextprotocol/")) continue;
    meta[key] = value;
    kept = true;
  }
  return kept ? { ...rest, _meta: meta } : rest;
}

/** Whether a header value can go as it is: visible ASCII and inner spaces, not the Base64 sentinel's shape. */
function headerSafe(value: string): boolean {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) &&
    !(value.startsWith("=?base64?") && value.endsWith("?="));
}

/** A value for `Mcp-Name` or `Mcp-Param-*`: as it is when header-safe, else in the Base64 sentinel form. */
function headerValue(value: string): string {
  if (headerSafe(value)) return value;
  return `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}?=`;
}

/** The request headers a 2026-07-28 request carries over HTTP: its revision, method and name. */
export function requestHeaders(method: string, params: unknown): Record<string, string> {
  const field = NAMED[method];
  const name = field === undefined || !isRecord(params) ? undefined : params[field];
  return {
    "mcp-protocol-version": MODERN_VERSION,
    "mcp-method": method,
    ...(typeof name === "string" ? { "mcp-name": headerValue(name) } : {}),
  };
}

/** The envelope of a request the gateway sends a 2026-07-28 server on behalf of a client (or itself). */
export function envelope(
  clientInfo: unknown,
  capabilities: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return {
    [META.protocolVersion]: MODERN_VERSION,
    [META.clientInfo]: clientInfo,
    [META.clientCapabilities]: capabilities,
  };
}

/** The tasks extension: a call may be answered with a task handle, its result read later with `tasks/get`. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/**
 * Takes the tasks extension out of the client capabilities a request's envelope declares (copies, never
 * the session's own objects); true when it was there.
 */
export function withoutTasks(request: { params?: unknown }): boolean {
  const params = isRecord(request.params) ? request.params : undefined;
  const meta = isRecord(params?._meta) ? params._meta : undefined;
  const capabilities = meta?.[META.clientCapabilities];
  const extensions = isRecord(capabilities) ? capabilities.extensions : undefined;
  if (!isRecord(extensions) || !(TASKS_EXTENSION in extensions)) return false;
  const { [TASKS_EXTENSION]: _, ...kept } = extensions;
  request.params = {
    ...params,
    _meta: {
      ...meta,
      [META.clientCapabilities]: { ...capabilities as Record<string, unknown>, extensions: kept },
    },
  };
  return true;
}

/** Request params with `meta` added to their `_meta` (keys already there are kept). */
export function withMeta(params: unknown, meta: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const base = isRecord(params) ? params : {};
  const own = isRecord(base._meta) ? base._meta : {};
  return { ...base, _meta: { ...meta, ...own } };
}
