/**
 * A dispatched message's outcome as an HTTP response: 202 for what needs no answer, JSON when the response
 * comes first (with the session header of a new session), SSE when a progress notification or a server
 * request comes before it, and a 2026-07-28 client's `subscriptions/listen` stream.
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import type { Delivery, Exchange } from "../gateway/exchange.ts";
import type { Outcome } from "../gateway/dispatch.ts";
import type { Session } from "../gateway/session.ts";
import type { Subscription } from "../gateway/subscription.ts";
import type { JsonRpcMessage, JsonRpcResponse } from "../jsonrpc/messages.ts";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { Span } from "../observability/tracing.ts";
import { type Envelope, modernErrorStatus, modernResult } from "../protocol/revision.ts";
import { type Env, remote } from "./gate.ts";
import { json } from "./responses.ts";
import { SSE_HEADERS, type SseStream } from "./sse.ts";

/** The header that names a 2025 client's session. */
export const SESSION_HEADER = "mcp-session-id";

/** What the answer needs to know of the request it answers. */
export interface Answering {
  readonly c: Context<Env>;
  readonly method: string;
  /** The envelope of a 2026-07-28 request; undefined for the handshake revisions. */
  readonly modern?: Envelope;
  readonly span?: Span;
  readonly session?: Session;
  /** The client accepts an SSE answer. */
  readonly streamable: boolean;
  /** The endpoint's backend as log lines name it. */
  readonly backend: string;
  /** An SSE stream held to maxUnsentBytes; `reader` names who reads it in the warning when it overflows. */
  openStream(reader: string): SseStream;
  /** The request sent on to the replica holding its call: its answer, or undefined when it is gone. */
  sendOn(replica: string): Promise<Response | undefined>;
}

const clientLog = getLogger(["awmg", "client"]);

/** The response to a dispatched message. */
export function respond(outcome: Outcome, answering: Answering): Response | Promise<Response> {
  switch (outcome.kind) {
    case "accepted":
      return answering.c.body(null, 202);
    case "subscription":
      return subscriptionStream(outcome.subscription, answering);
    case "reply":
      return reply(outcome.message, outcome.session, answering);
    case "exchange":
      return exchangeAnswer(outcome.exchange, answering);
    case "elsewhere":
      return answering.sendOn(outcome.replica).then((answer) => answer ?? ownerGone(outcome, answering));
  }
}

/** A retry whose replica is gone: the client starts over at once rather than wait for a timeout. */
function ownerGone(outcome: Extract<Outcome, { kind: "elsewhere" }>, answering: Answering): Response {
  const detail = `replica '${outcome.replica}' held this call and is gone (or does not answer): ` +
    "send the request again without requestState to start over";
  clientLog.warn("Could not send a retry on to replica {replica}; the client starts over", {
    replica: outcome.replica,
  });
  const message = errorResponse(outcome.request.id, ErrorCode.InvalidParams, "Invalid params: " + detail, {
    detail,
  });
  return jsonAnswer(message, undefined, answering);
}

/**
 * A JSON answer; its size and any error go on the request's span. A 2026-07-28 request's errors get the
 * revision's HTTP status.
 */
function jsonAnswer(
  message: JsonRpcMessage,
  text: string | undefined,
  { span, modern }: Answering,
): Response {
  if (span !== undefined) {
    if (text !== undefined) span.set({ "http.response.body.size": text.length });
    if ("error" in message) span.fail(message.error.message);
  }
  const status = modern !== undefined && "error" in message ? modernErrorStatus(message.error.code) : 200;
  return json(message, status, undefined, text);
}

/** A delivery as the client's revision expects it: a 2026-07-28 result gets modernResult's fields. */
function shown(delivery: Delivery, { modern, method }: Answering): Delivery {
  const { message } = delivery;
  if (modern === undefined || !("result" in message)) return delivery;
  const result = modernResult(method, message.result);
  return result === message.result
    ? delivery
    : { message: { ...message, result: result as Record<string, unknown> } };
}

function subscriptionStream(subscription: Subscription, answering: Answering): Response {
  const stream = answering.openStream(
    `the subscription ${JSON.stringify(subscription.id)} of ${remote(answering.c)}`,
  );
  subscription.attach(stream);
  stream.closed.then(() => {
    subscription.detach();
    answering.span?.end();
  });
  return new Response(stream.body, { headers: SSE_HEADERS });
}

function reply(message: JsonRpcResponse, session: Session | undefined, answering: Answering): Response {
  if (session !== undefined) {
    clientLog.info(
      "New MCP client connection, remote={remote}, method=POST, path={path}, backend={server}, session={session}",
      {
        remote: remote(answering.c),
        path: answering.c.req.path,
        server: answering.backend,
        session: session.id,
      },
    );
  }
  answering.span?.set({ "mcp.session": session?.id });
  if (answering.modern !== undefined) {
    return jsonAnswer(shown({ message }, answering).message, undefined, answering);
  }
  return json(message, 200, session ? { [SESSION_HEADER]: session.id } : undefined);
}

/** JSON when the response comes first or the client takes no SSE; else an SSE stream of the exchange. */
async function exchangeAnswer(exchange: Exchange, answering: Answering): Promise<Response> {
  const first = shown(await exchange.next(), answering);
  if (!("method" in first.message)) return jsonAnswer(first.message, first.text, answering);
  if (!answering.streamable) {
    for await (const delivery of exchange) {
      const { message, text } = shown(delivery, answering);
      if (!("method" in message)) return jsonAnswer(message, text, answering);
    }
  }
  const stream = answering.openStream(`session ${answering.session?.id ?? "(none)"}`);
  stream.closed.then(() => {
    exchange.abandon("the client closed its SSE stream");
    answering.span?.end();
  });
  stream.send(first.message, undefined, first.text);
  (async () => {
    for await (const delivery of exchange) {
      const { message, text } = shown(delivery, answering);
      stream.send(message, undefined, text);
    }
    stream.close();
  })();
  return new Response(stream.body, { headers: SSE_HEADERS });
}
