/**
 * The checks every route passes before its own work: DNS-rebinding protection (Host and Origin) and the
 * API key. Each route calls them itself rather than through middleware: a request that matches one handler
 * skips Hono's middleware composition altogether.
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { ErrorCode } from "../jsonrpc/errors.ts";
import { authChecker } from "./auth.ts";
import { type OriginCheck, requestHost } from "./origin.ts";
import { rpcError } from "./responses.ts";

/** The bindings Deno's server gives each request. */
export type Env = { Bindings: { remoteAddr?: Deno.NetAddr } };

/** A route's work once the request has passed the gate, with the identity its API key gave. */
export type GatedRoute = (c: Context<Env>, identity: number) => Response | Promise<Response>;

/** The gate of every route. */
export interface Gate {
  /** The origin check alone (for /health, which needs no key): the refusal to answer with, if any. */
  originRefusal(c: Context<Env>): Response | undefined;
  /** A route behind the origin check and the API key. */
  gated(route: GatedRoute): (c: Context<Env>) => Response | Promise<Response>;
}

const OAUTH_DISCOVERY = "/.well-known/oauth-authorization-server";
const KEY_HINT = { detail: 'send the API key as "Authorization: <api-key>"' } as const;
const authLog = getLogger(["awmg", "auth"]);
const originLog = getLogger(["awmg", "origin"]);

/** The client's address, for log lines. */
export function remote(c: Context<Env>): string {
  const addr = c.env?.remoteAddr;
  return addr === undefined ? "unknown" : `${addr.hostname}:${addr.port}`;
}

/** The Host and Origin check's refusal of a request (403, logged), or undefined when it may pass. */
function originRefusal(originCheck: OriginCheck, c: Context<Env>): Response | undefined {
  const refusal = originCheck(requestHost(c.req.raw), c.req.header("origin") ?? null);
  if (refusal === undefined) return undefined;
  const { header, value, setting } = refusal;
  originLog.warn("Refused a request with {header} {value}, remote={remote}, path={path}", {
    header,
    value,
    remote: remote(c),
    path: c.req.path,
  });
  return rpcError(
    403,
    ErrorCode.Forbidden,
    `Forbidden: ${header} ${JSON.stringify(value)} is not allowed`,
    {
      header,
      value,
      detail:
        `a web page on another site may be driving a browser here (DNS rebinding); if clients really use this ${
          header === "Host" ? "name" : "origin"
        }, add it to ${setting}`,
    },
  );
}

/** The API key's verdict on a request: the caller's identity, or the refusal to answer with (logged). */
function authenticate(check: ReturnType<typeof authChecker>, c: Context<Env>): number | Response {
  const result = check(c.req.header("authorization"));
  if (result.kind === "ok") return result.identity;
  // OAuth discovery answers 404 without a key, as the Go gateway's: clients that probe it learn there is
  // none. Checked only here, on the way to a 401, so no route (and no router cost) is added for it.
  if (c.req.path.endsWith(OAUTH_DISCOVERY)) {
    return rpcError(404, ErrorCode.InvalidRequest, "Not found: awmg does not use OAuth", KEY_HINT);
  }
  const reason = result.kind === "missing"
    ? "missing Authorization header"
    : result.kind === "invalid"
    ? "invalid API key"
    : `malformed Authorization header: ${result.reason}`;
  authLog.error("Authentication failed: {reason}, remote={remote}, path={path}", {
    reason,
    remote: remote(c),
    path: c.req.path,
  });
  return rpcError(
    result.kind === "malformed" ? 400 : 401,
    ErrorCode.Unauthorized,
    `Unauthorized: ${reason}`,
    KEY_HINT,
  );
}

/** The gate for these API keys (none: auth is off) and this origin check. */
export function createGate(apiKeys: readonly string[], originCheck: OriginCheck): Gate {
  const check = authChecker(apiKeys);
  const identify = apiKeys.length > 0 ? (c: Context<Env>) => authenticate(check, c) : () => 0;
  const refuseOrigin = (c: Context<Env>) => originRefusal(originCheck, c);
  return {
    originRefusal: refuseOrigin,
    gated: (route) => (c) => {
      const refused = refuseOrigin(c);
      if (refused !== undefined) return refused;
      const identity = identify(c);
      return typeof identity === "number" ? route(c, identity) : identity;
    },
  };
}
