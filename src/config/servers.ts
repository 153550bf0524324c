/**
 * The servers of a configuration: each entry's shape, type (stdio, http, or a registered custom type),
 * launch, mounts, environment, upstream auth, guard and guard policy, checked one by one with every error
 * kept.
 */
import * as v from "valibot";
import { type Format, fromValibot, unenforced, unknownKeys } from "./checks.ts";
import type { EnvLookup } from "./expand.ts";
import type { ConfigIssue } from "./issues.ts";
import { parsePolicy } from "./policy.ts";
import { customSchemasSchema, knownKeys, type ServerInput, serverSchema } from "./schema.ts";
import { closest } from "./suggest.ts";
import { isRecord, joinPath } from "./tree.ts";
import {
  type EnvEntry,
  GATEWAY_DEFAULTS,
  type GuardDefinition,
  type Mount,
  type ServerConfig,
} from "./types.ts";

const BUILTIN_TYPES = ["stdio", "http", "local"];
/** Security policy keys awmg cannot enforce yet: refusing them beats running without the policy. */
const POLICY_SERVER_KEYS = ["tool_response_filters", "toolResponseFilters"];
/** The upstream auth types awmg implements. */
const AUTH_TYPES = ["github-oidc"];
/** What `github-oidc` needs from the environment (GitHub Actions with `permissions: id-token: write`). */
export const OIDC_VARIABLES = ["ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"] as const;
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

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

/** What every server's check needs: the config's format, the environment, the custom types, the reports. */
export interface ServerContext {
  readonly format: Format;
  readonly env: EnvLookup;
  readonly customTypes: Readonly<Record<string, string>>;
  readonly errors: ConfigIssue[];
  readonly warnings: ConfigIssue[];
}

/** One server entry being checked: where it is, what every type shares, and how to refuse a field. */
interface Entry {
  readonly input: ServerInput;
  readonly path: string;
  readonly context: ServerContext;
  /** How many errors the config had before this entry: any more and the entry is not built. */
  readonly before: number;
  readonly common: Omit<ServerConfig & { type: "stdio" }, "type" | "env" | "launch">;
  /** Records an error when `field` is set: it does not apply to this server. */
  forbid(field: keyof ServerInput, why: string, suggestion?: string): void;
}

function failed({ context, before }: Entry): boolean {
  return context.errors.length > before;
}

/** Checks one server entry: undefined when it has errors (each recorded). */
export function buildServer(
  id: string,
  input: ServerInput,
  path: string,
  context: ServerContext,
): ServerConfig | undefined {
  const { errors } = context;
  const rawType = input.type ?? "";
  const type = rawType === "" || rawType === "local" ? "stdio" : rawType;
  const entry: Entry = {
    input,
    path,
    context,
    before: errors.length,
    common: {
      id,
      tools: input.tools === undefined || input.tools.includes("*") ? undefined : input.tools,
      registry: input.registry,
      isolation: input.isolation ?? "shared",
      protocolVersion: input.protocolVersion ?? "auto",
      pins: input.pins ?? "enforce",
      scan: input.scan ?? "enforce",
      toolTimeout: input.toolTimeout === 0 ? undefined : input.toolTimeout,
      rateLimitThreshold: input.rateLimitThreshold ?? GATEWAY_DEFAULTS.rateLimitThreshold,
      rateLimitCooldown: input.rateLimitCooldown ?? GATEWAY_DEFAULTS.rateLimitCooldown,
    },
    forbid: (field, why, suggestion) => {
      if (input[field] !== undefined) errors.push({ path: joinPath(path, field), message: why, suggestion });
    },
  };
  if (input.auth !== undefined && !AUTH_TYPES.includes(input.auth.type)) {
    errors.push(
      unenforced(
        joinPath(path, "auth.type"),
        `auth of type "${input.auth.type}" (awmg implements "github-oidc")`,
      ),
    );
  }
  if (type === "http") return httpServer(entry);
  if (type !== "stdio") return customServer(entry, type);
  return stdioServer(entry);
}

function httpServer(entry: Entry): ServerConfig | undefined {
  const { input, path, context, forbid } = entry;
  const { errors } = context;
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
  if (failed(entry) || input.url === undefined) return undefined;
  return {
    ...entry.common,
    type: "http",
    url: input.url,
    headers: { ...input.headers },
    connectTimeout: input.connectTimeout ?? GATEWAY_DEFAULTS.connectTimeout,
    ...(input.auth === undefined ? {} : { oidcAudience: input.auth.audience ?? input.url }),
  };
}

/** A server of a type registered under customSchemas; an unknown type is an error with the nearest name. */
function customServer({ path, context, common }: Entry, type: string): ServerConfig | undefined {
  const schemaUrl = context.customTypes[type];
  if (schemaUrl !== undefined) return { ...common, type: "custom", customType: type, schemaUrl };
  const near = closest(type, [...BUILTIN_TYPES, ...Object.keys(context.customTypes)]);
  context.errors.push({
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

function stdioServer(entry: Entry): ServerConfig | undefined {
  const { input, path, context, forbid } = entry;
  const { errors, format } = context;
  forbid("url", '"url" applies only to http servers', 'set "type": "http" or remove "url"');
  forbid("connectTimeout", '"connectTimeout" applies only to http servers', 'remove "connectTimeout"');
  forbid("auth", '"auth" applies only to http servers', 'remove "auth" or set "type": "http"');
  forbid("headers", '"headers" apply only to http servers', 'set "type": "http" or remove "headers"');
  const mounts = (input.mounts ?? []).map((spec, i) =>
    parseMount(spec, joinPath(joinPath(path, "mounts"), i), errors)
  );
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
  const env = envEntries(input.env);
  if (input.container !== undefined) {
    if (format === "toml" && input.command !== undefined) {
      errors.push({
        path: joinPath(path, "command"),
        message: 'use either "command" or "container", not both',
        suggestion: 'keep "container" to run an image, or "command" to run a program',
      });
    }
    if (failed(entry)) return undefined;
    return {
      ...entry.common,
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
  return commandServer(entry, env);
}

/** A stdio server that runs a program (TOML's `command`); the JSON format names only containers. */
function commandServer(entry: Entry, env: EnvEntry[]): ServerConfig | undefined {
  const { input, path, context, forbid } = entry;
  for (const field of ["entrypoint", "entrypointArgs", "mounts"] as const) {
    forbid(field, `"${field}" applies only to container servers`, 'add "container": "<image>"');
  }
  if (input.command === undefined && context.format === "toml") {
    context.errors.push({
      path,
      message: 'a stdio server requires "command" (a program to run) or "container" (an image)',
      suggestion: 'e.g. command = "docker" and args = ["run", "--rm", "-i", "image"]',
    });
  } else if (context.format === "json" && input.command === undefined) {
    context.errors.push({
      path: joinPath(path, "container"),
      message: 'a stdio server requires "container"',
      expected: "a Docker image name",
      found: "nothing",
      suggestion: 'add "container": "ghcr.io/owner/image:tag"',
    });
  }
  if (failed(entry) || input.command === undefined) return undefined;
  return {
    ...entry.common,
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

export function validateCustomSchemas(value: unknown, errors: ConfigIssue[]): Record<string, string> {
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

/** Every server of the `servers` object, each checked; the errors go to the context's list. */
export function buildServers(
  entries: Record<string, unknown>,
  context: ServerContext,
  guards: Readonly<Record<string, GuardDefinition>>,
): ServerConfig[] {
  const { errors, format } = context;
  const servers: ServerConfig[] = [];
  for (const [id, entry] of Object.entries(entries)) {
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
    const server = buildServer(id, parsed.output, path, context);
    const policyKey = isRecord(entry) && "guard-policies" in entry ? "guard-policies" : "guardPolicies";
    if (server !== undefined) {
      servers.push(withGuard(server, parsed.output, joinPath(path, policyKey), guards, errors));
    }
  }
  return servers;
}
