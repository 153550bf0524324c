/**
 * The unified endpoint: one MCP server made of all backends. Tools and prompts are named
 * `<serverID>___<name>`; resources keep their URIs and are routed by the server that listed them.
 */
import { getLogger } from "@logtape/logtape";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import { isFailure, type JsonRpcId, type JsonRpcRequest, type JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { ForwardOptions } from "./calls.ts";
import { decodeCursor, encodeCursor, prefixName, splitName } from "./names.ts";
import { ResourceRoutes } from "./resources.ts";
import { Refusal } from "./upstream.ts";

/** The requests whose result may be a task of the tasks extension (a handle, or the task itself). */
const TASK_RESULTS = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
  "tasks/get",
  "tasks/update",
  "tasks/cancel",
]);

/**
 * The transform of a request forwarded from the unified endpoint: one that may answer with a task also
 * prefixes the task's id with its server, as the unified endpoint names tasks.
 */
export function withTaskIds(
  serverId: string,
  method: string,
  inner: ForwardOptions["transform"],
): ForwardOptions["transform"] {
  if (!TASK_RESULTS.has(method)) return inner;
  const prefixed = (result: unknown) => {
    const taskId = (result as { taskId?: unknown } | undefined)?.taskId;
    return typeof taskId === "string"
      ? { ...(result as object), taskId: prefixName(serverId, taskId) }
      : result;
  };
  return (result, raw) => {
    const out = inner === undefined ? result : inner(result, raw);
    if (out instanceof Promise) return out.then((done) => done instanceof Refusal ? done : prefixed(done));
    return out instanceof Refusal ? out : prefixed(out);
  };
}

/** A request the unified endpoint hands to one server, with the server's own names in it. */
export interface Routed {
  readonly serverId: string;
  readonly request: JsonRpcRequest;
}

/** The unified endpoint's refusal of a request it cannot route. */
function unknown(request: JsonRpcRequest, code: number, message: string, detail: string): JsonRpcResponse {
  return errorResponse(request.id, code, message, { server: "", detail });
}

/** What the unified endpoint needs of the gateway, for the caller's identity. */
export interface Backends {
  /** The servers in configuration order. */
  readonly ids: readonly string[];
  /** Calls a backend and returns its response (the gateway's errors included). */
  call(
    serverId: string,
    method: string,
    params: Record<string, unknown> | undefined,
  ): Promise<JsonRpcResponse>;
  /** The tools a server shows clients (allow-list and schema fixes applied), starting it when needed. */
  tools(serverId: string): Promise<readonly Record<string, unknown>[]>;
}

/** Which listing a method aggregates: the result key, whether names get a prefix, where URIs are. */
const LISTINGS: Record<string, { key: string; prefix: boolean; uriField?: "uri" | "uriTemplate" }> = {
  "prompts/list": { key: "prompts", prefix: true },
  "resources/list": { key: "resources", prefix: false, uriField: "uri" },
  "resources/templates/list": { key: "resourceTemplates", prefix: false, uriField: "uriTemplate" },
};

const log = getLogger(["awmg", "gateway"]);

/** Routing state of the unified endpoint for one identity: which server owns which resource. */
export class UnifiedRouter {
  readonly #resources = new ResourceRoutes();

  constructor(readonly backends: Backends) {}

  /** Answers a unified request itself, or says which server to forward it to (names stripped). */
  async handle(request: JsonRpcRequest): Promise<JsonRpcResponse | Routed> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    switch (request.method) {
      case "tools/list":
        return await this.#tools(request.id);
      case "tools/call":
      case "prompts/get":
        return this.#byPrefix(
          request,
          "name",
          request.method === "tools/call" ? "tool" : "prompt",
          `names on the unified endpoint are <server>___<name>; servers: ${this.backends.ids.join(", ")}`,
        );
      case "prompts/list":
      case "resources/list":
      case "resources/templates/list":
        return await this.#list(request, params);
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe":
        return this.#byUri(request, String(params.uri), `Unknown resource '${String(params.uri)}'`);
      case "tasks/get":
      case "tasks/update":
      case "tasks/cancel":
        // The tasks extension: a task id is its server's, prefixed like a tool name so ids stay apart.
        return this.#byPrefix(
          request,
          "taskId",
          "task",
          "task ids on the unified endpoint are <server>___<id>, as the call that created the task gave it",
        );
      case "completion/complete":
        return this.#completion(request, params);
      case "logging/setLevel": {
        await Promise.all(this.backends.ids.map((id) => this.backends.call(id, request.method, params)));
        return { jsonrpc: "2.0", id: request.id, result: {} };
      }
      default:
        return unknown(
          request,
          ErrorCode.MethodNotFound,
          `Method not found: ${request.method}`,
          "the unified endpoint serves tools, prompts, resources, completion and logging; use /mcp/<server> for the rest",
        );
    }
  }

  /** Routes by the `<server>___<name>` in `params[field]`: that server gets the request with the bare name. */
  #byPrefix(
    request: JsonRpcRequest,
    field: "name" | "taskId",
    what: string,
    detail: string,
  ): JsonRpcResponse | Routed {
    const params = (request.params ?? {}) as Record<string, unknown>;
    const value = params[field];
    const split = typeof value === "string" ? splitName(value) : undefined;
    if (split === undefined || !this.backends.ids.includes(split.serverId)) {
      return unknown(request, ErrorCode.InvalidParams, `Unknown ${what} '${String(value)}'`, detail);
    }
    return { serverId: split.serverId, request: { ...request, params: { ...params, [field]: split.name } } };
  }

  /** Routes to the server that listed `uri`. */
  #byUri(request: JsonRpcRequest, uri: string, message: string): JsonRpcResponse | Routed {
    const owner = this.#resources.owner(uri);
    if (owner === undefined) {
      return unknown(request, ErrorCode.InvalidParams, message, "list resources first");
    }
    if ("refused" in owner) {
      const refused = `Resource '${uri}' has no one server: ${owner.refused}`;
      return unknown(
        request,
        ErrorCode.InvalidParams,
        refused,
        "a URI is read from the one server that lists it",
      );
    }
    return { serverId: owner.serverId, request };
  }

  /** A completion goes where its reference lives: a prefixed prompt name, or a listed resource's URI. */
  #completion(request: JsonRpcRequest, params: Record<string, unknown>): JsonRpcResponse | Routed {
    const ref = (params.ref ?? {}) as Record<string, unknown>;
    if (ref.type === "ref/prompt" && typeof ref.name === "string") {
      const split = splitName(ref.name);
      if (split === undefined) {
        return unknown(request, ErrorCode.InvalidParams, `Unknown prompt '${ref.name}'`, "");
      }
      return {
        serverId: split.serverId,
        request: { ...request, params: { ...params, ref: { ...ref, name: split.name } } },
      };
    }
    return typeof ref.uri === "string"
      ? this.#byUri(request, ref.uri, "Unknown completion reference")
      : unknown(request, ErrorCode.InvalidParams, "Unknown completion reference", "list resources first");
  }

  async #tools(id: JsonRpcId): Promise<JsonRpcResponse> {
    const lists = await Promise.all(this.backends.ids.map(async (serverId) => {
      try {
        const tools = await this.backends.tools(serverId);
        return tools.map((tool) => ({ ...tool, name: prefixName(serverId, String(tool.name)) }));
      } catch (error) {
        log.warn("tools/list on the unified endpoint leaves out server {server}: {error}", {
          server: serverId,
          error: (error as Error).message,
        });
        return [];
      }
    }));
    return { jsonrpc: "2.0", id, result: { tools: lists.flat() } };
  }

  /** A server's page as the unified endpoint shows it: names prefixed, resources another server owns left out. */
  #shown(method: string, serverId: string, items: Record<string, unknown>[]): Record<string, unknown>[] {
    const listing = LISTINGS[method];
    const owned = listing.uriField === undefined
      ? items
      : this.#resources.claim(serverId, items, listing.uriField);
    if (owned.length < items.length) {
      log.warn(
        "{method} on the unified endpoint leaves out {count} of server {server}'s: another server listed them first",
        {
          method,
          count: items.length - owned.length,
          server: serverId,
        },
      );
    }
    return listing.prefix
      ? owned.map((item) => ({ ...item, name: prefixName(serverId, String(item.name)) }))
      : owned;
  }

  async #list(request: JsonRpcRequest, params: Record<string, unknown>): Promise<JsonRpcResponse> {
    const listing = LISTINGS[request.method];
    const state = typeof params.cursor === "string" ? decodeCursor(params.cursor) : { server: 0 };
    if (state === undefined || state.server >= this.backends.ids.length) {
      return errorResponse(request.id, ErrorCode.InvalidParams, "Invalid cursor", {
        server: "",
        detail: String(params.cursor),
      });
    }
    for (let server = state.server; server < this.backends.ids.length; server++) {
      const serverId = this.backends.ids[server];
      const cursor = server === state.server ? state.cursor : undefined;
      const response = await this.backends.call(
        serverId,
        request.method,
        cursor === undefined ? undefined : { cursor },
      );
      if (isFailure(response)) {
        if (response.error.code !== ErrorCode.MethodNotFound) {
          log.warn("{method} on the unified endpoint leaves out server {server}: {error}", {
            method: request.method,
            server: serverId,
            error: response.error.message,
          });
        }
        continue;
      }
      const result = response.result as Record<string, unknown>;
      const items = (result[listing.key] ?? []) as Record<string, unknown>[];
      const shown = this.#shown(request.method, serverId, items);
      const next = typeof result.nextCursor === "string"
        ? encodeCursor({ server, cursor: result.nextCursor })
        : server + 1 < this.backends.ids.length
        ? encodeCursor({ server: server + 1 })
        : undefined;
      return {
        jsonrpc: "2.0",
        id: request.id,
        result: {
          [listing.key]: shown,
          ...(next ? { nextCursor: next } : {}),
          // A page is one server's: its caching hints are the page's (2026-07-28 servers give them).
          ...(typeof result.ttlMs === "number" ? { ttlMs: result.ttlMs } : {}),
          ...(typeof result.cacheScope === "string" ? { cacheScope: result.cacheScope } : {}),
        },
      };
    }
    return { jsonrpc: "2.0", id: request.id, result: { [listing.key]: [] } };
  }
}
