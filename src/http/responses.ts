/**
 * Plain HTTP responses carrying JSON or JSON-RPC errors.
 */
import { errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcId } from "../jsonrpc/messages.ts";

const JSON_HEADERS = { "content-type": "application/json" } as const;
const NO_HEADERS: Record<string, string> = {};

/** A JSON response; `text` is used as the body when the value is already serialized. */
export function json(
  body: unknown,
  status = 200,
  headers: Record<string, string> = NO_HEADERS,
  text?: string,
): Response {
  return new Response(text ?? JSON.stringify(body), {
    status,
    headers: headers === NO_HEADERS ? JSON_HEADERS : { ...JSON_HEADERS, ...headers },
  });
}

/** A JSON-RPC error as an HTTP response with the given status. */
export function rpcError(
  status: number,
  code: number,
  message: string,
  data?: unknown,
  id: JsonRpcId | null = null,
): Response {
  return json(errorResponse(id, code, message, data), status);
}
