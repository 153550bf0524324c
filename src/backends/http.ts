/**
 * A remote MCP server over Streamable HTTP: each message is a POST; answers come as JSON or SSE. The
 * server's `Mcp-Session-Id` is kept, an expired session is re-initialized once, transport failures become
 * JSON-RPC errors naming the URL and the cause, and a keepalive ping keeps long sessions alive.
 */
import { createParser } from "eventsource-parser";
import { ErrorCode, errorResponse, unavailableResponse } from "../jsonrpc/errors.ts";
import { readDeclared, readLimited, readPreview } from "../jsonrpc/framer.ts";
import { LegacySse } from "./legacy_sse.ts";
import { NO_REDIRECTS, redirectRefusal } from "./redirects.ts";
import { classify, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { ExitStatus, MessagePipe, PipeEvents } from "./pipe.ts";
import { MODERN_VERSION, requestHeaders } from "../protocol/revision.ts";

/** Where and how to reach a remote server. */
export interface HttpTarget {
  readonly serverId: string;
  readonly url: string;
  /** The URL as logs and errors show it (`shownUrl`): no credentials, no query values. */
  readonly shown: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds between keepalive pings; undefined for none. */
  readonly keepaliveMs?: number;
  /** Largest answer (a JSON body or one SSE event) in bytes. */
  readonly maxMessageSize: number;
  /** Milliseconds allowed for the handshake (`initialize`) to be answered. */
  readonly connectTimeoutMs: number;
  /** A bearer token source (GitHub Actions OIDC), sent as `Authorization` on every request. */
  readonly bearer?: BearerSource;
  /** Hides the config's secrets in a failure sent to clients: an error page may quote the request's headers. */
  readonly redact: (text: string) => string;
}

/** One POST of a message: its text, and whether it may be retried (see #post). */
interface PostAttempt {
  readonly text?: string;
  readonly mayRetry: boolean;
  readonly demandsSession?: boolean;
  /** The W3C trace context of the backend call, sent as the `traceparent` header. */
  readonly traceparent?: string;
}

/** One POST on its way: the message as sent, how to fail it, and how to try it once more. */
interface Post {
  readonly message: JsonRpcMessage;
  readonly text: string;
  /** The id of a request; undefined for a notification or a response. */
  readonly id?: JsonRpcId;
  readonly initialize: boolean;
  readonly attempt: PostAttempt;
  /** The session the POST was sent in, to tell a forgotten session from one replaced meanwhile. */
  readonly usedSession?: string;
  readonly bearer?: string;
  /** Answers the caller with an error naming `detail` (a request) or reports the loss (anything else). */
  fail(detail: string): void;
  retry(changes: Partial<PostAttempt>): Promise<void>;
}

/** Where bearer tokens come from: a valid token, and a way to drop one the server refused. */
export interface BearerSource {
  token(): Promise<string>;
  invalidate(): void;
}

const OWN_ID = "awmg-http-";

/** What a `server/discover` probe found out about a remote server's revision. */
export type Discovery =
  | { readonly kind: "modern"; readonly result: Record<string, unknown> }
  | { readonly kind: "legacy"; readonly why: string }
  | { readonly kind: "failed"; readonly why: string };

/** A Streamable HTTP connection to one remote MCP server. */
export class HttpPipe implements MessagePipe {
  readonly exited: Promise<ExitStatus>;
  readonly #target: HttpTarget;
  readonly #events: PipeEvents;
  readonly #abort = new AbortController();
  readonly #keepalive?: ReturnType<typeof setInterval>;
  #end!: (status: ExitStatus) => void;
  #session?: string;
  #protocolVersion?: string;
  #initialize?: JsonRpcRequest;
  #ownIds = 0;
  #reinitializing?: Promise<void>;
  /** Set once the server turned out to speak only the 2024-11-05 HTTP+SSE transport. */
  #legacy?: LegacySse;
  /** Set once the server was found to speak 2026-07-28: every request carries its headers, none a session. */
  #modern = false;
  /** A 2026-07-28 server's requests in flight, by id: closing a request's stream is how it is cancelled. */
  readonly #open = new Map<string | number, AbortController>();

  constructor(target: HttpTarget, events: PipeEvents) {
    this.#target = target;
    this.#events = events;
    this.exited = new Promise((resolve) => this.#end = resolve);
    if (target.keepaliveMs !== undefined) {
      this.#keepalive = setInterval(() => this.send(this.#own("ping")), target.keepaliveMs);
    }
  }

  /** Sends a message; requests are answered through the events, transport failures as JSON-RPC errors. */
  send(message: JsonRpcMessage, text = JSON.stringify(message), traceparent?: string): string {
    if ("method" in message && message.method === "initialize" && "id" in message) this.#initialize = message;
    if (this.#modern && "method" in message && message.method === "notifications/cancelled") {
      // The revision has no notifications over HTTP: the request's stream is closed instead.
      const requestId = (message.params as { requestId?: string | number } | undefined)?.requestId;
      if (requestId !== undefined) this.#open.get(requestId)?.abort();
      return text;
    }
    this.#post(message, { text, mayRetry: true, traceparent }).catch((error) =>
      this.#events.stderr(`unexpected failure: ${(error as Error).message}`)
    );
    return text;
  }

  /**
   * Asks the server for `server/discover` as a 2026-07-28 client would. Only a definitive answer counts:
   * a discovery naming 2026-07-28 is modern, an answer that is not a modern one is legacy (a 2025 server),
   * and no answer, an auth refusal or a server error is a failure, never taken for a revision.
   */
  async discover(meta: Record<string, unknown>): Promise<Discovery> {
    const { url, shown } = this.#target;
    const request = this.#own("server/discover", { _meta: meta });
    let bearer: string | undefined;
    try {
      bearer = await this.#target.bearer?.token();
    } catch (error) {
      return { kind: "failed", why: `cannot get an OIDC token for ${shown}: ${(error as Error).message}` };
    }
    let response: Response;
    try {
      response = await fetch(url, {
        ...NO_REDIRECTS,
        method: "POST",
        headers: this.#modernHeaders(bearer, request),
        body: JSON.stringify(request),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#target.connectTimeoutMs)]),
      });
    } catch (error) {
      return { kind: "failed", why: `cannot reach ${shown}: ${(error as Error).message}` };
    }
    const redirected = redirectRefusal(response.status, shown);
    if (redirected !== undefined) {
      await response.body?.cancel();
      return { kind: "failed", why: redirected };
    }
    const body = await readLimited(response.body, this.#target.maxMessageSize) ?? "";
    if (response.status === 401 || response.status === 403 || response.status >= 500) {
      return { kind: "failed", why: `${shown} answered server/discover with HTTP ${response.status}` };
    }
    const data = (response.headers.get("content-type") ?? "").includes("text/event-stream")
      ? body.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? ""
      : body;
    let answer: { result?: { supportedVersions?: unknown } } | undefined;
    try {
      answer = JSON.parse(data);
    } catch {
      answer = undefined;
    }
    const versions = answer?.result?.supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_VERSION)) {
      return { kind: "modern", result: answer!.result as Record<string, unknown> };
    }
    return { kind: "legacy", why: `${shown} answered server/discover with HTTP ${response.status}` };
  }

  /** Speaks 2026-07-28 from now on: the revision's headers on every request, no session, no pings. */
  speakModern(): void {
    this.#modern = true;
    clearInterval(this.#keepalive);
  }

  /** Ends the connection: the remote session is deleted, keepalives stop. */
  async stop(_graceMs: number): Promise<ExitStatus> {
    clearInterval(this.#keepalive);
    if (this.#session !== undefined) {
      await fetch(this.#target.url, {
        ...NO_REDIRECTS,
        method: "DELETE",
        headers: this.#headers(),
        signal: AbortSignal.timeout(2000),
      })
        .then((r) => r.body?.cancel(), () => {});
    }
    this.#abort.abort();
    const status = { code: null, signal: null };
    this.#end(status);
    return status;
  }

  #own(method: string, params?: Record<string, unknown>): JsonRpcRequest {
    return { jsonrpc: "2.0", id: `${OWN_ID}${++this.#ownIds}`, method, ...(params ? { params } : {}) };
  }

  /** The configured headers, with the bearer token (OIDC) when there is one: what every transport sends. */
  #ownHeaders(bearer: string | undefined): Record<string, string> {
    return bearer === undefined
      ? { ...this.#target.headers }
      : { ...this.#target.headers, authorization: `Bearer ${bearer}` };
  }

  /** The headers of every POST: the configured ones, and the JSON body with JSON or SSE answers. */
  #postHeaders(bearer: string | undefined): Record<string, string> {
    return {
      ...this.#ownHeaders(bearer),
      "content-type": "application/json",
      "accept": "application/json, text/event-stream",
    };
  }

  /** The headers of a message to a 2026-07-28 server: no session, the revision's headers for a request. */
  #modernHeaders(bearer: string | undefined, message: JsonRpcMessage): Record<string, string> {
    return {
      ...this.#postHeaders(bearer),
      ...("method" in message ? requestHeaders(message.method, message.params) : {}),
    };
  }

  /**
   * Request headers. `initialize` goes without a session (as the spec says) unless the server demanded one;
   * later calls carry the server's session, or `gateway-init-{serverID}` for servers that issue none but
   * require the header on every request.
   */
  #headers(initialize = false, demandsSession = false, bearer?: string): Record<string, string> {
    const session = this.#session ??
      (initialize && !demandsSession ? undefined : `gateway-init-${this.#target.serverId}`);
    return {
      ...this.#postHeaders(bearer),
      ...(session === undefined ? {} : { "mcp-session-id": session }),
      ...(this.#protocolVersion === undefined ? {} : { "mcp-protocol-version": this.#protocolVersion }),
    };
  }

  /**
   * POSTs one message. `mayRetry` allows one transparent retry (a refused token, a forgotten session);
   * `demandsSession` sends a session id with initialize for servers that require one on every request.
   */
  async #post(message: JsonRpcMessage, attempt: PostAttempt): Promise<void> {
    const text = attempt.text ?? JSON.stringify(message);
    const id = "id" in message && "method" in message ? message.id : undefined;
    const fail = (said: string) => {
      const detail = this.#target.redact(said);
      if (id === undefined) {
        this.#events.stderr(`${detail} (a ${"method" in message ? message.method : "response"} was lost)`);
      } else {
        const failure = unavailableResponse(id, this.#target.serverId, detail);
        this.#events.message(failure, JSON.stringify(failure));
      }
    };
    if (this.#legacy !== undefined) {
      const problem = await this.#legacy.post(text);
      return problem === undefined ? undefined : fail(problem);
    }
    const usedSession = this.#session;
    let bearer: string | undefined;
    if (this.#target.bearer !== undefined) {
      try {
        bearer = await this.#target.bearer.token();
      } catch (error) {
        return fail(`cannot get an OIDC token for ${this.#target.shown}: ${(error as Error).message}`);
      }
    }
    const post: Post = {
      message,
      text,
      id,
      initialize: "method" in message && message.method === "initialize",
      attempt,
      usedSession,
      bearer,
      fail,
      retry: (changes) => this.#post(message, { ...attempt, text, mayRetry: false, ...changes }),
    };
    const stream = this.#modern && id !== undefined ? new AbortController() : undefined;
    if (stream !== undefined) this.#open.set(id!, stream);
    try {
      const response = await this.#send(post, stream?.signal);
      if (response !== undefined) await this.#answered(post, response);
    } finally {
      if (stream !== undefined) this.#open.delete(id!);
    }
  }

  /** The POST itself; undefined when it failed (the caller was told) or the client cancelled the call. */
  async #send(post: Post, cancelled: AbortSignal | undefined): Promise<Response | undefined> {
    const { message, initialize, attempt, bearer } = post;
    try {
      return await fetch(this.#target.url, {
        ...NO_REDIRECTS,
        method: "POST",
        headers: {
          ...(this.#modern
            ? this.#modernHeaders(bearer, message)
            : this.#headers(initialize, attempt.demandsSession ?? false, bearer)),
          ...(attempt.traceparent === undefined ? {} : { traceparent: attempt.traceparent }),
        },
        body: post.text,
        signal: initialize
          ? AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#target.connectTimeoutMs)])
          : cancelled === undefined
          ? this.#abort.signal
          : AbortSignal.any([this.#abort.signal, cancelled]),
      });
    } catch (error) {
      if (cancelled?.aborted) return undefined;
      const reason = (error as Error).name === "TimeoutError"
        ? `no answer within connectTimeout (${this.#target.connectTimeoutMs / 1000}s)`
        : (error as Error).message;
      post.fail(`cannot reach ${this.#target.shown}: ${reason}`);
      return undefined;
    }
  }

  /** What the server's answer to a POST comes to: a message, a stream, a retry, or the POST's failure. */
  async #answered(post: Post, response: Response): Promise<void> {
    const { id, initialize, attempt, fail } = post;
    const redirected = redirectRefusal(response.status, this.#target.shown);
    if (redirected !== undefined) {
      await response.body?.cancel();
      return fail(redirected);
    }
    const session = response.headers.get("mcp-session-id");
    if (session !== null) this.#session = session;
    if (response.status === 401 && post.bearer !== undefined && attempt.mayRetry) {
      await response.body?.cancel();
      this.#events.stderr(`${this.#target.shown} refused the OIDC token (HTTP 401); fetching a new one`);
      this.#target.bearer!.invalidate();
      return await post.retry({});
    }
    if (
      this.#modern && response.status >= 400 && response.status < 500 && response.status !== 429 &&
      response.status !== 401
    ) {
      // The revision answers its own errors (-32020/-32021/-32022, -32601) with a 4xx and the error as the body.
      const body = await readLimited(response.body, this.#target.maxMessageSize) ?? "";
      if (/"jsonrpc"\s*:\s*"2\.0"/.test(body) && /"error"\s*:/.test(body)) return this.#receive(body);
      return fail(
        `${this.#target.shown} answered HTTP ${response.status}${
          body ? `: ${this.#target.redact(body).slice(0, 200)}` : ""
        }`,
      );
    }
    if ((response.status === 404 || response.status === 400) && attempt.mayRetry) {
      return await this.#sessionRefused(post, response);
    }
    if (response.status === 202 || response.status === 204) return void await response.body?.cancel();
    if (response.status === 429) return await this.#rateLimited(id, response);
    if (initialize && (response.status === 404 || response.status === 405)) {
      await response.body?.cancel();
      return await this.#toLegacy(post.message, post.text, fail, response.status);
    }
    if (!response.ok) {
      const body = await readPreview(response.body);
      return fail(`${this.#target.shown} answered HTTP ${response.status}${body ? `: ${body}` : ""}`);
    }
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("text/event-stream")) return await this.#readStream(response, id);
    const body = await readDeclared(response, this.#target.maxMessageSize);
    if (body === undefined) {
      return this.#oversized(id, `an answer of more than ${this.#target.maxMessageSize} bytes`);
    }
    this.#receive(body);
  }

  /**
   * A 404 or 400 that may be about the session: initialize sent again with a session id for a server that
   * demands one, or the forgotten session re-initialized (once, for every POST that meets it) and the POST
   * retried in the new one.
   */
  async #sessionRefused(post: Post, response: Response): Promise<void> {
    const body = await readPreview(response.body);
    const aboutSession = response.status === 404 || /session/i.test(body);
    if (aboutSession && post.initialize && !post.attempt.demandsSession && this.#session === undefined) {
      return await post.retry({ demandsSession: true });
    }
    const { usedSession } = post;
    if (aboutSession && usedSession !== undefined && this.#initialize !== undefined) {
      if (this.#session === usedSession) this.#reinitializing ??= this.#reinitialize(usedSession);
      await this.#reinitializing;
      return await post.retry({ demandsSession: false });
    }
    post.fail(`${this.#target.shown} answered HTTP ${response.status}${body ? `: ${body}` : ""}`);
  }

  /** A 429: the caller gets the rate-limit error with the server's Retry-After; a lost notification is reported. */
  async #rateLimited(id: JsonRpcId | undefined, response: Response): Promise<void> {
    await response.body?.cancel();
    const retryAfter = response.headers.get("retry-after");
    const detail = `${this.#target.shown} answered HTTP 429 Too Many Requests${
      retryAfter ? ` (Retry-After: ${retryAfter})` : ""
    }`;
    if (id === undefined) return this.#events.stderr(detail);
    const failure = errorResponse(id, ErrorCode.RateLimited, "Rate limited", {
      server: this.#target.serverId,
      detail,
    });
    this.#events.message(failure, JSON.stringify(failure));
  }

  /**
   * Switches to the 2024-11-05 HTTP+SSE transport, as the SDK clients do, when a server answers the
   * initialize POST with 404 or 405, and sends the initialize that way.
   */
  async #toLegacy(
    message: JsonRpcMessage,
    text: string,
    fail: (detail: string) => void,
    status: number,
  ): Promise<void> {
    const { shown } = this.#target;
    this.#events.stderr(
      `${shown} answered initialize with HTTP ${status}: it does not speak Streamable HTTP; ` +
        "using the 2024-11-05 HTTP+SSE transport",
    );
    const headers = async () => this.#ownHeaders(await this.#target.bearer?.token());
    const events = {
      message: (data: string) => this.#receive(data),
      closed: (reason: string) => {
        if (this.#abort.signal.aborted) return;
        this.#events.stderr(reason);
        this.#end({ code: null, signal: null });
      },
    };
    try {
      this.#legacy = await LegacySse.open(
        this.#target,
        headers,
        events,
        this.#abort.signal,
        this.#target.connectTimeoutMs,
        this.#target.maxMessageSize,
      );
    } catch (error) {
      return fail(`${shown} speaks neither Streamable HTTP nor HTTP+SSE: ${(error as Error).message}`);
    }
    return await this.#post(message, { text, mayRetry: false });
  }

  /** Fails the request whose answer passed the size limit, naming the limit. */
  #oversized(id: string | number | undefined, what: string): void {
    const detail =
      `${this.#target.shown} sent ${what} (gateway.maxMessageSize is ${this.#target.maxMessageSize})`;
    this.#events.oversized(this.#target.maxMessageSize + 1, detail);
    if (id === undefined) return;
    const failure = errorResponse(id, ErrorCode.MessageTooLarge, "Message too large", {
      server: this.#target.serverId,
      detail,
    });
    this.#events.message(failure, JSON.stringify(failure));
  }

  /** Opens a new session after the server forgot ours, replaying the gateway's initialize. */
  async #reinitialize(expired: string): Promise<void> {
    this.#events.stderr(`session ${expired} expired at ${this.#target.shown}; initializing a new one`);
    this.#session = undefined;
    await this.#post({ ...this.#initialize!, id: this.#own("initialize").id }, { mayRetry: false });
    await this.#post({ jsonrpc: "2.0", method: "notifications/initialized" }, { mayRetry: false });
    this.#reinitializing = undefined;
  }

  async #readStream(response: Response, id: string | number | undefined): Promise<void> {
    let pending = 0;
    const parser = createParser({
      onEvent: (event) => {
        pending = 0;
        this.#receive(event.data);
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        pending += chunk.byteLength;
        if (pending > this.#target.maxMessageSize) {
          return this.#oversized(id, `an SSE event of more than ${this.#target.maxMessageSize} bytes`);
        }
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch (error) {
      this.#events.stderr(`the SSE answer from ${this.#target.shown} broke off: ${(error as Error).message}`);
    }
  }

  #receive(text: string): void {
    if (text.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.#events.noise(text);
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const classified = classify(item);
      if (classified.kind === "invalid") {
        this.#events.noise(JSON.stringify(item));
        continue;
      }
      const message = classified.message;
      if (!("method" in message) && typeof message.id === "string" && message.id.startsWith(OWN_ID)) continue;
      if (!("method" in message) && "result" in message && this.#initialize?.id === message.id) {
        this.#protocolVersion = String((message.result as { protocolVersion?: unknown }).protocolVersion);
      }
      this.#events.message(message, Array.isArray(parsed) ? JSON.stringify(item) : text);
    }
  }
}
