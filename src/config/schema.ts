/**
 * valibot schemas for the shapes of a configuration, in its canonical (camelCase) spelling.
 *
 * Each validator's message is the description of what is expected; `validate.ts` turns valibot issues
 * into `ConfigIssue`s with the path and the value found.
 */
import * as v from "valibot";
import { HEADER_NAME_EXPECTED, HEADER_VALUE_EXPECTED, isHeaderName, isHeaderValue } from "./headers.ts";

const text = (expected = "a string") => v.string(expected);
const nonEmpty = (expected = "a non-empty string") => v.pipe(v.string(expected), v.nonEmpty(expected));
/** A string with something besides whitespace (the Go gateway trims before it checks). */
const nonBlank = (expected = "a non-blank string") =>
  v.pipe(v.string(expected), v.check((text) => text.trim() !== "", expected));
const stringList = (expected = "an array of strings") => v.array(v.string(expected), expected);
/** What an environment variable's name must be: `NAME=value` is how a process receives it. */
const ENV_NAME_EXPECTED = "an environment variable name: not empty, without '=' or NUL";
/** A server's environment: names a process can receive, values without NUL (no process can hold one). */
const envMap = v.record(
  v.pipe(v.string(), v.check((name) => name !== "" && !/[=\0]/.test(name), ENV_NAME_EXPECTED)),
  v.pipe(v.string("string value"), v.check((value) => !value.includes("\0"), "a value without NUL")),
  "an object of string values",
);
/** A remote server's headers, each one fetch can send. */
const headerMap = v.record(
  v.pipe(v.string(), v.check(isHeaderName, HEADER_NAME_EXPECTED)),
  v.pipe(v.string("string value"), v.check(isHeaderValue, HEADER_VALUE_EXPECTED)),
  "an object of string values",
);

/** An integer in a range, given as a number or (after `${VAR}` expansion) a string of digits. */
function integer(expected: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return v.pipe(
    v.union([
      v.number(expected),
      v.pipe(v.string(expected), v.regex(/^-?\d+$/, expected), v.transform(Number)),
    ], expected),
    v.integer(expected),
    v.minValue(min, expected),
    v.maxValue(max, expected),
  );
}

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, as an integer or a duration string such as "90s", "30m" or "6h". */
const duration = (expected: string) =>
  v.union([
    v.pipe(v.number(expected), v.integer(expected), v.minValue(1, expected)),
    v.pipe(
      v.string(expected),
      v.regex(/^\d+[smhd]?$/, expected),
      v.transform((s) => {
        const unit = s.at(-1) ?? "s";
        const factor = durationUnits[unit];
        return factor === undefined ? Number(s) : Number(s.slice(0, -1)) * factor;
      }),
      v.minValue(1, expected),
    ),
  ], expected);

const CHECK = '"enforce", "warn" or "off"';

/**
 * An image reference as docker reads one (`ghcr.io/owner/name:tag`, `host:5000/name@sha256:...`): it starts
 * with a letter or digit, so that the runtime cannot read it as one of its own options (`--privileged`).
 */
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\/:@-]*$/;

/** Fields of one server entry. */
export const serverSchema = v.object({
  type: v.optional(text()),
  command: v.optional(nonEmpty()),
  args: v.optional(stringList()),
  container: v.optional(
    v.pipe(
      nonEmpty("a non-empty image name"),
      v.regex(
        IMAGE,
        "an image reference such as ghcr.io/owner/image:tag (letters, digits and ._/:@-, not an option)",
      ),
    ),
  ),
  entrypoint: v.optional(nonBlank("a non-blank path")),
  entrypointArgs: v.optional(stringList()),
  mounts: v.optional(stringList('an array of "source:dest:mode" strings')),
  env: v.optional(envMap),
  url: v.optional(
    v.pipe(nonEmpty("an http(s) URL"), v.url("an http(s) URL"), v.regex(/^https?:\/\//i, "an http(s) URL")),
  ),
  headers: v.optional(headerMap),
  tools: v.optional(stringList("an array of tool names")),
  registry: v.optional(text()),
  isolation: v.optional(v.picklist(["shared", "session"], '"shared" or "session"')),
  protocolVersion: v.optional(
    v.picklist(["auto", "2026-07-28", "2025-11-25"], '"auto", "2026-07-28" or "2025-11-25"'),
  ),
  workingDirectory: v.optional(v.pipe(nonEmpty("an absolute path"), v.startsWith("/", "an absolute path"))),
  toolTimeout: v.optional(
    v.pipe(
      integer("0 (the gateway's toolTimeout) or at least 10 (seconds)", 0),
      v.check((n) => n === 0 || n >= 10, "0 (the gateway's toolTimeout) or at least 10 (seconds)"),
    ),
  ),
  connectTimeout: v.optional(integer("a positive integer (seconds)", 1)),
  rateLimitThreshold: v.optional(integer("a positive integer (rate-limited answers in a row)", 1)),
  rateLimitCooldown: v.optional(integer("a positive integer (seconds)", 1)),
  auth: v.optional(
    v.object(
      { type: nonEmpty(), audience: v.optional(nonEmpty()) },
      'an object such as {"type": "github-oidc"}',
    ),
  ),
  guard: v.optional(nonEmpty("the name of a guard in guards")),
  pins: v.optional(v.picklist(["enforce", "warn", "off"], CHECK)),
  scan: v.optional(v.picklist(["enforce", "warn", "off"], CHECK)),
  /** Checked by `policy.ts`, which knows the Go gateway's spellings. */
  guardPolicies: v.optional(v.unknown()),
}, "an object");

/** One entry of the top-level `guards` section. */
export const guardSchema = v.variant("type", [
  v.object({
    type: v.literal("wasm"),
    path: nonEmpty("the path of a .wasm file"),
    config: v.optional(v.record(v.string(), v.unknown(), "an object")),
    policy: v.optional(v.unknown()),
  }, "an object"),
  v.object({
    type: v.literal("noop"),
    config: v.optional(v.record(v.string(), v.unknown(), "an object")),
    policy: v.optional(v.unknown()),
  }, "an object"),
], '"wasm" (with "path") or "noop"');

const hex = (length: number, what: string) =>
  v.pipe(
    v.string(`${length} lowercase hex characters (${what})`),
    v.regex(new RegExp(`^[0-9a-f]{${length}}$`), `${length} lowercase hex characters (${what})`),
    v.check((id) => !/^0+$/.test(id), `${length} lowercase hex characters, not all zero (${what})`),
  );

/** Fields of `gateway.opentelemetry` (`[gateway.opentelemetry]` or `[gateway.tracing]` in TOML). */
export const tracingSchema = v.object({
  endpoint: v.optional(
    v.pipe(
      nonEmpty("an https URL (http only on loopback)"),
      v.url("an https URL (http only on loopback)"),
      v.regex(
        /^(https:\/\/|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$))/i,
        "an https URL (http only on loopback)",
      ),
    ),
  ),
  headers: v.optional(
    v.union(
      [text(), v.record(v.string(), v.string())],
      'a "key=value,key2=value2" string or an object of strings',
    ),
  ),
  traceId: v.optional(hex(32, "a W3C trace id")),
  spanId: v.optional(hex(16, "a W3C span id")),
  serviceName: v.optional(nonEmpty()),
  sampleRate: v.optional(
    v.pipe(
      v.number("a number from 0 to 1"),
      v.minValue(0, "a number from 0 to 1"),
      v.maxValue(1, "a number from 0 to 1"),
    ),
  ),
  signalPath: v.optional(
    v.pipe(nonEmpty('a path such as "/v1/traces"'), v.startsWith("/", 'a path such as "/v1/traces"')),
  ),
}, "an object");

const ORIGIN = 'origin such as "https://app.example.com" (scheme, host and port; no path)';

const STORE_URL = 'a Redis URL such as "redis://host:6379" or "rediss://:${REDIS_PASSWORD}@host:6380/0"';
const REPLICA_ID = "a short lowercase name (letters, digits and -, at most 32)";
/** What a replica's URL must be, as an error says it. */
export const REPLICA_URL = 'the URL other replicas reach this one at, such as "http://10.0.0.5:8000"';
/**
 * A replica's URL: an origin alone. No user or password either: hops are signed, and /health, which needs no
 * key, lists the replicas' URLs.
 */
export const REPLICA_ORIGIN = /^https?:\/\/[^\s/?#@]+\/?$/i;

/** The fewest characters of a key replicas share: random text, long enough that it cannot be guessed. */
export const MIN_STATE_KEY = 32;

/** A replica's name: lowercase letters, digits and `-`, at most 32, as session ids carry it. */
export const REPLICA_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

const stateKey = v.pipe(
  v.string(`at least ${MIN_STATE_KEY} characters of random text`),
  v.minLength(MIN_STATE_KEY, `at least ${MIN_STATE_KEY} characters of random text (openssl rand -hex 32)`),
);

/** Fields of the `gateway` section. */
export const gatewaySchema = v.object({
  port: v.optional(integer("an integer from 1 to 65535", 1, 65535)),
  apiKey: v.optional(nonEmpty()),
  agentId: v.optional(nonEmpty()),
  agentIds: v.optional(
    v.pipe(v.array(nonEmpty(), "an array of non-empty strings"), v.minLength(1, "a non-empty array")),
  ),
  domain: v.optional(nonEmpty()),
  startupTimeout: v.optional(integer("a positive integer (seconds)", 1)),
  toolTimeout: v.optional(integer("a positive integer (seconds)", 1)),
  payloadDir: v.optional(v.pipe(nonEmpty("an absolute path"), v.startsWith("/", "an absolute path"))),
  payloadPathPrefix: v.optional(nonEmpty()),
  sessionTimeout: v.optional(duration('a positive number of seconds or a duration such as "30m" or "6h"')),
  keepaliveInterval: v.optional(
    v.pipe(
      integer("-1 (off) or a positive integer (seconds)", -1),
      v.check((n) => n !== 0, "-1 (off) or a positive integer (seconds)"),
    ),
  ),
  maxBodySize: v.optional(integer("a positive integer (bytes)", 1)),
  payloadSizeThreshold: v.optional(integer("a positive integer (bytes)", 1)),
  maxMessageSize: v.optional(integer("a positive integer (bytes)", 1)),
  maxUnsentBytes: v.optional(integer("a positive integer (bytes)", 1)),
  maxSessions: v.optional(integer("a positive integer", 1)),
  maxHeldRequests: v.optional(integer("a positive integer", 1)),
  maxAgents: v.optional(integer("a positive integer", 1)),
  inputRequiredTimeout: v.optional(integer("a positive integer (seconds)", 1)),
  bodyTimeout: v.optional(integer("a positive integer (seconds)", 1)),
  allowedHosts: v.optional(stringList("an array of host names")),
  opentelemetry: v.optional(tracingSchema),
  tracing: v.optional(tracingSchema),
  guardsMode: v.optional(
    v.pipe(
      v.string('"strict", "filter" or "propagate"'),
      v.transform((mode) => mode.trim().toLowerCase()),
      v.picklist(["strict", "filter", "propagate"], '"strict", "filter" or "propagate"'),
    ),
  ),
  trustedBots: v.optional(
    v.pipe(
      v.array(nonBlank("a non-blank bot account name"), "a non-empty array of bot account names"),
      v.minLength(1, "a non-empty array of bot account names"),
    ),
  ),
  forcePublicRepos: v.optional(v.boolean("true or false")),
  toolLock: v.optional(nonEmpty("the path of a lock file written by awmg pin")),
  sanitizeResults: v.optional(v.boolean("true or false")),
  imageHosts: v.optional(stringList("an array of host names")),
  store: v.optional(
    v.pipe(
      v.string(STORE_URL),
      v.regex(/^rediss?:\/\/[^\s/?#]+(\/\d{1,2})?$/, STORE_URL),
    ),
  ),
  stateKey: v.optional(stateKey),
  previousStateKey: v.optional(stateKey),
  replicaId: v.optional(
    v.pipe(v.string(REPLICA_ID), v.regex(REPLICA_NAME, REPLICA_ID)),
  ),
  replicaUrl: v.optional(
    v.pipe(v.string(REPLICA_URL), v.regex(REPLICA_ORIGIN, REPLICA_URL)),
  ),
  // The Go gateway's container runtime settings: known, so that they are refused as not supported yet
  // (validate.ts) rather than as unrecognized.
  containerRuntime: v.optional(v.picklist(["docker", "podman"], '"docker" or "podman"')),
  containerRuntimeCommand: v.optional(nonEmpty()),
  containerRuntimeArgs: v.optional(stringList("an array of strings")),
  dockerless: v.optional(v.boolean("true or false")),
  sinkVisibilityExemptServers: v.optional(stringList("an array of server ids")),
  allowedOrigins: v.optional(
    v.array(
      v.pipe(v.string(ORIGIN), v.regex(/^https?:\/\/[^/\s?#]+$/i, ORIGIN)),
      `an array of ${ORIGIN}s`,
    ),
  ),
}, "an object");

/** The `customSchemas` section: type name to schema URL. */
export const customSchemasSchema = v.record(
  v.string(),
  nonEmpty("an https URL"),
  "an object of type names to URLs",
);

/** The keys each section accepts, for unknown-key detection and suggestions. */
export const knownKeys = {
  server: Object.keys(serverSchema.entries),
  gateway: Object.keys(gatewaySchema.entries),
  tracing: Object.keys(tracingSchema.entries),
} as const;

export type ServerInput = v.InferOutput<typeof serverSchema>;
export type GatewayInput = v.InferOutput<typeof gatewaySchema>;
