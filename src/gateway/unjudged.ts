/**
 * What a guarded server sends besides tool results, which its guard cannot judge (a guard labels tool calls
 * and their results only): the questions it puts to clients, its log lines and progress messages, its
 * prompts and resources. Each is kept from clients, never passed on unlabelled; docs/guards.md has the table.
 */
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { InputRequired } from "./calls.ts";

/**
 * The questions whose text comes from the server: a sampling request's messages and an elicitation's
 * message and schema can carry what a tool result would be judged for. `roots/list` carries nothing.
 */
const QUESTIONS_WITH_TEXT = new Set(["sampling/createMessage", "elicitation/create"]);

/** The capabilities a guarded server is not shown with: what they offer is refused (see Gateway#refusal). */
const HIDDEN_CAPABILITIES = ["prompts", "resources", "completions", "tasks"];

/**
 * Methods that read a server's data outside tool calls: resources, prompts and completions (a prompt's text
 * or a completion's values can carry what a tool result would be judged for), and the tasks extension's (a
 * guarded call is never answered with a task, see ForwardOptions.judged). Refused with -32600.
 */
const UNJUDGED_READS = new Set([
  "resources/read",
  "resources/subscribe",
  "prompts/get",
  "completion/complete",
  "tasks/get",
  "tasks/update",
  "tasks/cancel",
]);

/**
 * The listings of what those reads would read (a resource's name and URI can be data too): answered as by a
 * server without prompts or resources, -32601, since a guarded server is not shown with those capabilities.
 */
const HIDDEN_LISTINGS = new Set(["prompts/list", "resources/list", "resources/templates/list"]);

/** The refusal of a client request to a guarded server that its guard cannot judge, if it is one. */
export function guardedRefusal(serverId: string, request: JsonRpcRequest): JsonRpcResponse | undefined {
  const { id, method } = request;
  if (UNJUDGED_READS.has(method)) {
    return errorResponse(id, ErrorCode.InvalidRequest, `${method} is refused on a guarded server`, {
      server: serverId,
      detail: `the guard of '${serverId}' labels tool calls only; ${method} would bypass its policy`,
    });
  }
  if (HIDDEN_LISTINGS.has(method)) {
    return errorResponse(id, ErrorCode.MethodNotFound, `Method not found: ${method}`, {
      server: serverId,
      detail: `a guarded server shows its tools alone: its guard labels tool calls only`,
    });
  }
  return undefined;
}

/** Why a guarded server's question is refused, for the client's error and the server's log. */
export function refusedQuestion(serverId: string, method: string): string {
  return `the guard of '${serverId}' labels tool calls only; the text of its ${method} would reach the client unjudged`;
}

/** Whether a server request to a client carries the server's text. */
export function carriesText(method: string): boolean {
  return QUESTIONS_WITH_TEXT.has(method);
}

/** The first question of an `input_required` round that carries the server's text, if any. */
export function questionWithText(result: InputRequired): string | undefined {
  for (const ask of Object.values(result.inputRequests ?? {})) {
    if (carriesText(String(ask?.method))) return String(ask.method);
  }
  return undefined;
}

/** A progress notification without its `message`, the one part that is the server's free text. */
export function withoutMessage(notification: JsonRpcNotification): JsonRpcNotification {
  // A hostile server's notification may have no params at all.
  const { message: _, ...params } = (notification.params ?? {}) as Record<string, unknown>;
  return { ...notification, params };
}

/** A guarded server's initialize result as clients see it: its tools (and logging), nothing the guard refuses. */
export function toolsOnly(result: Record<string, unknown>): Record<string, unknown> {
  const capabilities = { ...(result.capabilities as Record<string, unknown> | undefined) };
  for (const name of HIDDEN_CAPABILITIES) delete capabilities[name];
  return { ...result, capabilities };
}
