/**
 * Turns a parsed configuration document, already in canonical (camelCase) spelling, into a
 * `GatewayConfig`, or into the complete list of what is wrong with it.
 */
import * as v from "valibot";
import { type Format, fromValibot } from "./checks.ts";
import { type EnvLookup, expandVariables } from "./expand.ts";
import { buildGateway, withTopLevelMode } from "./gateway.ts";
import { type ConfigIssue, type ConfigSource, describeFound } from "./issues.ts";
import { parsePolicy } from "./policy.ts";
import { guardSchema } from "./schema.ts";
import { buildServers, validateCustomSchemas } from "./servers.ts";
import { closest } from "./suggest.ts";
import { isRecord, joinPath } from "./tree.ts";
import type { GatewayConfig, GatewaySection, GuardDefinition, ServerConfig } from "./types.ts";

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

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
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
  errors.push(...unknownTopLevel(document, format));

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
  const servers = serversOf(tree.servers, { format, source, env, customTypes, errors, warnings }, guards);

  if (errors.length > 0) return { ok: false, errors, warnings };
  const secrets = secretsOf(
    servers,
    [...expanded.secrets, ...gateway.apiKeys, ...clusterSecrets(gateway)],
    env,
  );
  return { ok: true, warnings, config: deepFreeze({ source, servers, gateway, guards, secrets }) };
}

/** A top-level key the format does not have, with the nearest one it does. */
function unknownTopLevel(document: CanonicalDocument, format: Format): ConfigIssue[] {
  const known = format === "json"
    ? ["mcpServers", "gateway", "customSchemas", "guards"]
    : ["servers", "gateway", "custom_schemas", "guards", "guards_mode"];
  return document.unknownTopLevel.map((key) => {
    const near = closest(key, known);
    return {
      path: key,
      message: `unrecognized field '${key}'`,
      suggestion: near === undefined
        ? `the top-level keys are ${known.join(", ")}`
        : `did you mean '${near}'?`,
    };
  });
}

/** The servers table built, or the issue with it as a whole. */
function serversOf(
  value: unknown,
  context: Parameters<typeof buildServers>[1] & { readonly source: ConfigSource },
  guards: Parameters<typeof buildServers>[2],
): ServerConfig[] {
  const { format, source, errors, warnings } = context;
  if (value !== undefined && !isRecord(value)) {
    errors.push({
      path: "servers",
      message: "wrong type",
      expected: "an object of servers by id",
      found: describeFound(value),
    });
    return [];
  }
  if (value === undefined || Object.keys(value).length === 0) {
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
    return [];
  }
  return buildServers(value, context, guards);
}

/** The shared store's password and the state keys, written in the config or not. */
function clusterSecrets(gateway: GatewaySection): string[] {
  const passwords = gateway.store === undefined ? [] : urlPasswords(gateway.store);
  return [...passwords, gateway.stateKey ?? "", gateway.previousStateKey ?? ""].filter((value) =>
    value !== ""
  );
}

/**
 * The password written into a URL, as written and as the URL parser encodes it, so that a message quoting the
 * URL whole does not show it either way.
 */
function urlPasswords(url: string): string[] {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1] ?? "";
  const colon = userinfo.indexOf(":");
  return [colon === -1 ? "" : userinfo.slice(colon + 1), URL.parse(url)?.password ?? ""];
}

/**
 * Every secret the logs must never show: the config's expanded variables and API keys, the values of the
 * environment variables servers get passed through, the OIDC request token when a server uses OIDC, and a
 * password written into a remote server's URL.
 */
function secretsOf(servers: readonly ServerConfig[], known: readonly string[], env: EnvLookup): string[] {
  const passedThrough = servers.flatMap((server) =>
    server.type === "stdio"
      ? server.env.flatMap((entry) => "passthrough" in entry ? [env(entry.name) ?? ""] : [])
      : []
  );
  const oidc = servers.some((server) => server.type === "http" && server.oidcAudience !== undefined)
    ? [env("ACTIONS_ID_TOKEN_REQUEST_TOKEN") ?? ""]
    : [];
  const passwords = servers.flatMap((server) => server.type === "http" ? urlPasswords(server.url) : []);
  return [...new Set([...known, ...passedThrough, ...oidc, ...passwords])].filter((secret) => secret !== "");
}
