/**
 * JSON-RPC error codes used by the gateway and a builder for error responses.
 */
import type { JsonRpcFailure, JsonRpcId } from "./messages.ts";

/** Standard and gateway-specific JSON-RPC error codes. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The backend server is not running or could not be reached. */
  ServerUnavailable: -32001,
  /** The backend server did not answer within the tool timeout. */
  ServerTimeout: -32002,
  /** The API key is missing or wrong. */
  Unauthorized: -32003,
  /** The gateway is shutting down. */
  ShuttingDown: -32004,
  /** The request's Host or Origin is not one the gateway serves (DNS-rebinding protection). */
  Forbidden: -32005,
  /** A message exceeded a size limit. */
  MessageTooLarge: -32006,
  /** A remote server answered HTTP 429 Too Many Requests. */
  RateLimited: -32007,
  /** A server's guard could not label a call (it trapped, timed out or answered nonsense): refused. */
  GuardFailed: -32008,
} as const;

/** One of the error codes above. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** Builds a JSON-RPC error response. */
export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcFailure {
  const error = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

/** The -32001 "Server unavailable" error, naming the server and why. */
export function unavailableResponse(id: JsonRpcId | null, server: string, detail: string): JsonRpcFailure {
  return errorResponse(id, ErrorCode.ServerUnavailable, "Server unavailable", { server, detail });
}
