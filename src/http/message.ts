/**
 * A POST's body read into one checked client message: the body within its size and time limits, parsed,
 * classified, and its 2026-07-28 envelope read and held against the request's headers. Each refusal is the
 * response to answer with.
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { ErrorCode } from "../jsonrpc/errors.ts";
import { type Classified, classify } from "../jsonrpc/messages.ts";
import { type Envelope, headerMismatch, ModernError, readEnvelope } from "../protocol/revision.ts";
import { readBody } from "./body.ts";
import { type Env, remote } from "./gate.ts";
import { rpcError } from "./responses.ts";

/** A well-formed client message as the POST carried it. */
export interface ClientMessage {
  readonly classified: Exclude<Classified, { kind: "invalid" }>;
  /** Its method; "response" for a client's answer to a server request. */
  readonly method: string;
  /** The body as sent, passed on to the backend unchanged. */
  readonly body: string;
  /** The envelope of a 2026-07-28 request; undefined for the handshake revisions. */
  readonly modern?: Envelope;
}

/** How much of a body the gateway takes, and for how long it waits. */
export interface BodyLimits {
  readonly maxBodySize: number;
  readonly bodyTimeoutMs: number;
}

const clientLog = getLogger(["awmg", "client"]);

/** Reads the POST of `serverId`'s endpoint, sent with MCP-Protocol-Version `version`, into one message. */
export async function readMessage(
  c: Context<Env>,
  serverId: string,
  version: string | undefined,
  limits: BodyLimits,
): Promise<ClientMessage | Response> {
  const body = await bodyText(c, limits);
  if (body instanceof Response) return body;
  const classified = parseMessage(body, serverId);
  if (classified instanceof Response) return classified;
  const method = "method" in classified.message ? classified.message.method : "response";
  if (classified.kind === "response") return { classified, method, body };
  const reading = readEnvelope(classified.message.params, version);
  const id = classified.kind === "request" ? classified.message.id : null;
  if (reading.kind === "invalid") return rpcError(400, reading.code, reading.message, reading.data, id);
  if (reading.kind !== "modern" || classified.kind !== "request") return { classified, method, body };
  const mismatch = headerMismatch((name) => c.req.header(name), method, classified.message.params);
  if (mismatch !== undefined) return rpcError(400, ModernError.HeaderMismatch, mismatch, undefined, id);
  return { classified, method, body, modern: reading.envelope };
}

async function bodyText(
  c: Context<Env>,
  { maxBodySize, bodyTimeoutMs }: BodyLimits,
): Promise<string | Response> {
  const read = await readBody(c.req.raw, maxBodySize, bodyTimeoutMs);
  if (read.kind === "too-large") {
    return rpcError(
      413,
      ErrorCode.InvalidRequest,
      `Request body too large: the limit is ${maxBodySize} bytes`,
      {
        detail: "gateway.maxBodySize (max_body_size in TOML) sets the limit",
      },
    );
  }
  if (read.kind === "timeout") {
    clientLog.warn("Dropped a request whose body did not arrive within {seconds}s, remote={remote}", {
      seconds: bodyTimeoutMs / 1000,
      remote: remote(c),
    });
    const response = rpcError(
      408,
      ErrorCode.InvalidRequest,
      "Request timeout: the body did not arrive in time",
      {
        detail: `the limit is ${bodyTimeoutMs / 1000}s (gateway.bodyTimeout)`,
      },
    );
    response.headers.set("connection", "close");
    return response;
  }
  return read.text;
}

function parseMessage(body: string, serverId: string): Exclude<Classified, { kind: "invalid" }> | Response {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return rpcError(400, ErrorCode.ParseError, "Parse error", {
      server: serverId,
      detail: (error as Error).message,
    });
  }
  if (Array.isArray(parsed)) {
    return rpcError(400, ErrorCode.InvalidRequest, "Invalid Request: JSON-RPC batches are not supported", {
      server: serverId,
      detail: "send one message per request",
    });
  }
  const classified = classify(parsed);
  if (classified.kind !== "invalid") return classified;
  return rpcError(400, ErrorCode.InvalidRequest, `Invalid Request: ${classified.reason}`, {
    server: serverId,
    detail: classified.reason,
  }, classified.id);
}
