/**
 * What one dispatch is given and gives back: the context of a client message (who asks, at which endpoint,
 * in which session and revision) and the outcome the HTTP layer turns into a response.
 */
import type { JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import type { Span } from "../observability/tracing.ts";
import type { Envelope } from "../protocol/revision.ts";
import type { Exchange } from "./exchange.ts";
import type { Session } from "./session.ts";
import type { Subscription } from "./subscription.ts";

/** Who is asking and where: the endpoint's server ("" for unified), the client's identity, its session. */
export interface RequestContext {
  readonly serverId: string;
  readonly identity: number;
  /** The guards' agent: the `X-Agent-ID` header within the API key's identity, else the identity alone. */
  readonly agent: string;
  readonly session?: Session;
  /** The client's connection as a signal, aborted when it goes away (made on demand). */
  readonly disconnect?: () => AbortSignal;
  /** The client accepts an SSE answer. */
  readonly streamable?: boolean;
  /** The message as the client sent it. */
  readonly text?: string;
  /** The trace span of this client request, when tracing is on. */
  readonly span?: Span;
  /** The envelope of a 2026-07-28 request; undefined for the handshake revisions. */
  readonly modern?: Envelope;
  /** Another replica sent the request on to this one, whose held call it resumes. */
  readonly hopped?: boolean;
}

/** What the HTTP layer sends back. */
export type Outcome =
  | { readonly kind: "accepted" }
  | { readonly kind: "reply"; readonly message: JsonRpcResponse; readonly session?: Session }
  | { readonly kind: "exchange"; readonly exchange: Exchange }
  | { readonly kind: "subscription"; readonly subscription: Subscription }
  /** A retry of a call another replica holds: the HTTP layer sends the request there. */
  | { readonly kind: "elsewhere"; readonly replica: string; readonly request: JsonRpcRequest };

/** An answer the gateway makes itself. */
export function reply(message: JsonRpcResponse): Outcome {
  return { kind: "reply", message };
}
