/**
 * JSON-RPC 2.0 message types and their classification.
 *
 * The gateway treats messages as data: it reads `id`, `method` and a few params and forwards the rest
 * untouched, so these types describe only the envelope.
 */

/** A JSON-RPC request id. `null` appears only in error responses to unparseable requests. */
export type JsonRpcId = string | number;

/** JSON-RPC params: an object or an array, as the spec allows. */
export type JsonRpcParams = Record<string, unknown> | unknown[];

/** A request: has an id and expects exactly one response. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: JsonRpcParams;
}

/** A notification: a method without an id; no response is sent. */
export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: JsonRpcParams;
}

/** The error object of a failed response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A successful response. */
export interface JsonRpcSuccess {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result: unknown;
}

/** A failed response; `id` is null when the request's id could not be read. */
export interface JsonRpcFailure {
  jsonrpc: "2.0";
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

/** Any response. */
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

/** Any JSON-RPC message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** The outcome of classifying a parsed JSON value. */
export type Classified =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse }
  | { kind: "invalid"; reason: string; id: JsonRpcId | null };

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Classifies a parsed JSON value as a request, notification or response, or says why it is none. */
export function classify(value: unknown): Classified {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "invalid", reason: "a JSON-RPC message must be a JSON object", id: null };
  }
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== "2.0") {
    return { kind: "invalid", reason: 'the "jsonrpc" member must be exactly "2.0"', id };
  }
  if ("method" in message) {
    if (typeof message.method !== "string" || message.method === "") {
      return { kind: "invalid", reason: 'the "method" member must be a non-empty string', id };
    }
    if (message.params !== undefined && (typeof message.params !== "object" || message.params === null)) {
      return { kind: "invalid", reason: 'the "params" member must be an object or an array', id };
    }
    if (!("id" in message)) return { kind: "notification", message: value as JsonRpcNotification };
    if (id === null) {
      return { kind: "invalid", reason: 'the "id" member must be a string or a number', id: null };
    }
    return { kind: "request", message: value as JsonRpcRequest };
  }
  if ("result" in message || "error" in message) {
    if (id === null && message.id !== null) {
      return { kind: "invalid", reason: 'a response needs an "id" that is a string, a number or null', id };
    }
    if ("error" in message) {
      const error = message.error as Record<string, unknown> | null;
      if (typeof error !== "object" || error === null || typeof error.code !== "number") {
        return { kind: "invalid", reason: 'the "error" member must be an object with a numeric "code"', id };
      }
    }
    return { kind: "response", message: value as JsonRpcResponse };
  }
  return {
    kind: "invalid",
    reason: 'a message needs a "method" (request) or a "result"/"error" (response)',
    id,
  };
}

/** True for a failed response. */
export function isFailure(message: JsonRpcResponse): message is JsonRpcFailure {
  return "error" in message;
}

const REQUEST_MEMBERS = new Set(["jsonrpc", "id", "method", "params"]);

/**
 * The request with only the members JSON-RPC defines: the object itself when it has no others, else a copy
 * without them, so nothing a client added beside the envelope reaches a backend.
 */
export function bareRequest(request: JsonRpcRequest): JsonRpcRequest {
  for (const key in request) {
    if (!REQUEST_MEMBERS.has(key)) {
      const { jsonrpc, id, method, params } = request;
      return params === undefined ? { jsonrpc, id, method } : { jsonrpc, id, method, params };
    }
  }
  return request;
}
