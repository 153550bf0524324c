/**
 * The MCP brain: sessions, one upstream per (server, identity), and the dispatch of each client message
 * in routed mode (`/mcp/{serverID}`) and unified mode (`/mcp`).
 */
import { getLogger } from "@logtape/logtape";
import type { StartFailure } from "../backends/connection.ts";
import type { HeadStart } from "../backends/head_start.ts";
import type { EnvLookup } from "../backends/launch.ts";
import type { GatewayConfig } from "../config/types.ts";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { Classified, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import { type PayloadStore, resultText } from "../payloads/store.ts";
import { offload } from "./offload.ts";
import { UNIFIED } from "./names.ts";
import { type Outcome, reply, type RequestContext } from "./dispatch.ts";
import { Handshake } from "./handshake.ts";
import { paramsProblem } from "./params.ts";
import { type Listener, type Session, SessionStore } from "./session.ts";
import { isAllowed } from "./tools.ts";
import { type Backends, UnifiedRouter, withTaskIds } from "./unified.ts";
import { GuardedCalls, type Reflection, reflection } from "./guarded.ts";
import { type LabelStore, MemoryLabelStore } from "../difc/store.ts";
import { type ForwardOptions, HoldBudget, toolTimeoutMsOf } from "./calls.ts";
import { type ReplicaKeys, type Retry, RetryStates } from "./retries.ts";
import { Refusal, type Upstream } from "./upstream.ts";
import { type Audience, type LaunchedServer, type ServerHealth, Upstreams } from "./upstreams.ts";
import { guardedRefusal } from "./unjudged.ts";
import type { ToolVetting } from "../pins/vetting.ts";
import type { PinnedServer } from "../pins/lock.ts";
import { ToolLists } from "./tool_lists.ts";
import { type GatewayState, Shutdown } from "./shutdown.ts";
import { StartGate, startServers } from "./startup.ts";
import { sanitizeResult } from "../pins/sanitize.ts";
import type { Subscription } from "./subscription.ts";
import type { Mode } from "../difc/labels.ts";
import type { ServerGuard } from "../guards/registry.ts";

/** Where sanitized results are counted (the digest reads this category). */
const sanitizeLog = getLogger(["awmg", "sanitize"]);

/** Guard instances kept live across agents; an agent past it gets fresh ones on its next call. */
const GUARD_INSTANCES = 256;

export type { ServerHealth };

/** Runtime options of the gateway. */
export interface GatewayOptions {
  readonly sequentialLaunch: boolean;
  /** Unique id of this gateway process, put on its containers' labels. */
  readonly instanceId: string;
  /** Stdio servers started before the gateway was built; each server's first launch takes its process. */
  readonly headStart?: HeadStart;
  /** Whether `/mcp` (unified) or `/mcp/{id}` (routed) is served. */
  readonly mode: "routed" | "unified";
  /** Milliseconds allowed for a forwarded request, unless the server sets its own toolTimeout. */
  readonly toolTimeoutMs: number;
  /** Milliseconds a client session may stay idle. */
  readonly sessionTimeoutMs: number;
  /** Milliseconds close() waits for requests in flight. */
  readonly shutdownTimeoutMs: number;
  /** The gateway's own environment; a backend gets only the variables its config names from it. */
  readonly hostEnv: EnvLookup;
  /** Where tool results above the size threshold go. */
  readonly payloads: PayloadStore;
  /** Told each server's tools (as clients see them) at startup and whenever they change. */
  readonly onTools?: (serverId: string, tools: readonly Record<string, unknown>[]) => void;
  /** Tool definitions held to their pins and scanned for hidden instructions; undefined checks nothing. */
  readonly vetting?: ToolVetting;
  /** A tool that fails its checks at start fails the start (--strict-pins) instead of being withheld. */
  readonly strictPins?: boolean;
  /** The guarded servers' guards, and the enforcement mode; unguarded servers are not in the map. */
  readonly guards?: {
    readonly servers: ReadonlyMap<string, ServerGuard>;
    readonly mode: Mode;
    readonly modeChosen: boolean;
  };
  /** This gateway among replicas (its name, the state keys they share); undefined when it runs alone. */
  readonly replica?: ReplicaKeys;
  /** Where guarded agents' labels and counts live; this process's memory when undefined. */
  readonly labels?: LabelStore;
  /** Hides the config's secrets in what the gateway reports without the logger (/health, clients' errors). */
  readonly redact: (text: string) => string;
}

/** The reference monitor of the guarded servers; undefined when no server is guarded. */
function guardedCalls(
  config: GatewayConfig,
  options: GatewayOptions,
  servers: ReadonlyMap<string, LaunchedServer>,
): GuardedCalls | undefined {
  const { guards } = options;
  if (guards === undefined || guards.servers.size === 0) return undefined;
  return new GuardedCalls({
    guards: guards.servers,
    mode: guards.mode,
    modeChosen: guards.modeChosen,
    store: options.labels ?? new MemoryLabelStore(config.gateway.maxAgents),
    maxAgents: config.gateway.maxAgents,
    liveInstances: GUARD_INSTANCES,
    timeoutMs: (id) => toolTimeoutMsOf(servers.get(id), options.toolTimeoutMs),
  });
}

/** The gateway: owns sessions and backend connections, dispatches client messages. */
export class Gateway {
  readonly sessions: SessionStore;
  readonly #config: GatewayConfig;
  readonly #options: GatewayOptions;
  readonly #upstreams: Upstreams;
  readonly #servers: Map<string, LaunchedServer>;
  readonly #unified = new Map<number, UnifiedRouter>();
  readonly #tools: ToolLists;
  /** The reference monitor; undefined when no server is guarded, so unguarded calls pay one check. */
  readonly #guarded?: GuardedCalls;
  readonly #log = getLogger(["awmg", "gateway"]);
  readonly #retries: RetryStates;
  readonly #holds: HoldBudget;
  /** The open `subscriptions/listen` streams of modern clients. */
  readonly #subscriptions = new Set<Subscription>();
  readonly #handshake: Handshake;
  readonly #shutdown: Shutdown;
  /** What messages meet of the start (startup.ts); made by start(), which serve() calls before listening. */
  #startGate?: StartGate;

  constructor(config: GatewayConfig, options: GatewayOptions) {
    this.#config = config;
    this.#options = options;
    this.#servers = new Map(
      config.servers.filter((s): s is LaunchedServer => s.type !== "custom").map((s) => [s.id, s]),
    );
    this.#guarded = guardedCalls(config, options, this.#servers);
    const { maxSessions, maxHeldRequests, inputRequiredTimeout } = config.gateway;
    this.#holds = new HoldBudget(maxHeldRequests, inputRequiredTimeout * 1000);
    this.#retries = new RetryStates(this.#holds.timeoutMs, options.replica);
    this.#upstreams = new Upstreams({
      servers: this.#servers,
      settings: config.gateway,
      instanceId: options.instanceId,
      headStart: options.headStart,
      hostEnv: options.hostEnv,
      toolTimeoutMs: options.toolTimeoutMs,
      holds: this.#holds,
      guarded: (serverId) => this.#guarded?.guardOf(serverId) !== undefined,
      audience: (serverId, identity, only) => this.#audience(serverId, identity, only),
      onToolsChanged: (serverId, tools) => void this.#tools.announce(serverId, tools),
      redact: options.redact,
    });
    this.#tools = new ToolLists({
      servers: this.#servers,
      mode: options.mode,
      vetting: options.vetting,
      onTools: options.onTools,
      primary: (serverId) => this.upstream(serverId, 0).connection,
      call: (serverId, method, params) => this.#call(serverId, 0, undefined, method, params),
    });
    this.sessions = new SessionStore(
      options.sessionTimeoutMs,
      maxSessions,
      (session, why) => this.#sessionClosed(session, why, maxSessions),
    );
    this.#handshake = new Handshake({
      serverIds: () => this.serverIds,
      sessions: this.sessions,
      maxSessions,
      subscriptions: this.#subscriptions,
      replicaId: options.replica?.id,
      upstream: (serverId, identity, session, legacyClient) =>
        this.upstream(serverId, identity, session, legacyClient),
      call: (serverId, identity, session, method, params) =>
        this.#call(serverId, identity, session, method, params),
    });
    this.#shutdown = new Shutdown({
      upstreams: this.#upstreams,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      endClients: () => {
        this.sessions.close();
        for (const subscription of this.#subscriptions) subscription.end();
        this.#guarded?.close();
      },
      log: this.#log,
    });
  }

  /** Says why the store closed a session: idle past sessionTimeout, or the least recently used at the bound. */
  #sessionClosed(session: Session, why: "expired" | "evicted", maxSessions: number): void {
    if (why === "expired") {
      this.#log.info("Session {session} expired after {seconds}s idle", {
        session: session.id,
        seconds: this.#options.sessionTimeoutMs / 1000,
      });
    } else {
      this.#log.warn(
        "Closed session {session}, the least recently used idle one: {count} sessions is the bound (gateway.maxSessions)",
        { session: session.id, count: maxSessions },
      );
    }
  }

  /** The ids of the servers clients can reach. */
  get serverIds(): string[] {
    return [...this.#servers.keys()];
  }

  /** The serving mode. */
  get mode(): "routed" | "unified" {
    return this.#options.mode;
  }

  /** "open" until close() starts, then "closing", then "closed". */
  get state(): GatewayState {
    return this.#shutdown.state;
  }

  /** Whether start() is still running (health is 503 until it ends). */
  get starting(): boolean {
    return this.#startGate?.state === "starting";
  }

  /**
   * Starts every backend for the primary identity (startup.ts); returns the failures (empty when all are up).
   * Messages dispatched meanwhile wait for it.
   */
  start(): Promise<StartFailure[]> {
    const started = startServers({
      config: this.#config,
      serverIds: this.serverIds,
      connection: (id) => this.upstream(id, 0).connection,
      tools: this.#tools,
      sequential: this.#options.sequentialLaunch,
      strictPins: this.#options.strictPins === true,
      log: this.#log,
    });
    this.#startGate = new StartGate(started);
    return started;
  }

  /** The upstream for a server and caller (see Upstreams.get). */
  upstream(serverId: string, identity: number, session?: Session, legacyClient = false): Upstream {
    return this.#upstreams.get(serverId, identity, session, legacyClient);
  }

  /** Dispatches one well-formed client message. */
  async dispatch(
    context: RequestContext,
    classified: Exclude<Classified, { kind: "invalid" }>,
  ): Promise<Outcome> {
    const held = this.#startGate?.hold(classified);
    if (held !== undefined) {
      const refused = await held;
      if (refused !== undefined) return refused;
    }
    switch (classified.kind) {
      case "request":
        return await this.#request(context, classified.message);
      case "notification": {
        const { method, params } = classified.message;
        if (method === "notifications/initialized") return { kind: "accepted" };
        if (method === "notifications/cancelled") {
          const requestId = (params as { requestId?: string | number } | undefined)?.requestId;
          if (requestId !== undefined) {
            context.session?.cancel(
              requestId,
              (params as { reason?: string }).reason ?? "cancelled by the client",
            );
          }
          return { kind: "accepted" };
        }
        for (const serverId of context.serverId === UNIFIED ? this.serverIds : [context.serverId]) {
          this.upstream(serverId, context.identity, context.session, context.modern === undefined)
            .notify(classified.message);
        }
        return { kind: "accepted" };
      }
      case "response": {
        const id = classified.message.id;
        const relay = typeof id === "string" ? context.session?.relays.get(id) : undefined;
        if (relay === undefined) {
          this.#log.warn("Dropped a client response with id {id}: no server request is waiting for it", {
            id,
          });
        } else {
          context.session!.relays.delete(id as string);
          relay(classified.message);
        }
        return { kind: "accepted" };
      }
    }
  }

  async #request(context: RequestContext, request: JsonRpcRequest): Promise<Outcome> {
    if (context.modern !== undefined) {
      const answered = await this.#handshake.modernOnly(context, request);
      if (answered !== undefined) return answered;
    }
    if (request.method === "ping") return reply({ jsonrpc: "2.0", id: request.id, result: {} });
    const problem = paramsProblem(request.method, request.params);
    if (problem !== undefined) {
      return reply(errorResponse(request.id, ErrorCode.InvalidParams, `Invalid params: ${problem}`, {
        ...(context.serverId === UNIFIED ? {} : { server: context.serverId }),
        detail: `${request.method} was not forwarded`,
      }));
    }
    if (request.method === "initialize") return await this.#handshake.initialize(context, request);
    if (request.method === "logging/setLevel" && context.session !== undefined) {
      context.session.logLevel = String((request.params as { level: string }).level);
    }
    if (context.serverId !== UNIFIED) {
      return await this.#forward(context, context.serverId, request, context.text);
    }
    const routed = await this.#router(context.identity).handle(request);
    if (!("serverId" in routed)) return reply(routed);
    return await this.#forward(context, routed.serverId, routed.request);
  }

  /** Forwards to one server, applying its allow-list and the schema fixes of its tool list. */
  async #forward(
    context: RequestContext,
    serverId: string,
    request: JsonRpcRequest,
    text?: string,
  ): Promise<Outcome> {
    const answered = this.#handshake.answeredForModernBackend(context, serverId, request);
    if (answered !== undefined) return reply(answered);
    const refused = this.#refusal(serverId, request);
    if (refused !== undefined) return reply(refused);
    if (this.#guarded?.guardOf(serverId) !== undefined && request.method === "tools/call") {
      return await this.#guardedCall(context, serverId, request, text);
    }
    const transform = this.#transform(context, serverId, request.method);
    const shown = context.serverId === UNIFIED ? withTaskIds(serverId, request.method, transform) : transform;
    return this.#exchange(context, serverId, request, shown, text);
  }

  /** The refusal of a request the server's config does not let through: a tool off its allow-list, a read its guard cannot judge. */
  #refusal(serverId: string, request: JsonRpcRequest): JsonRpcResponse | undefined {
    const allowList = this.#servers.get(serverId)?.tools;
    const params = request.params as { name?: unknown } | undefined;
    if (request.method === "tools/call" && !isAllowed(allowList, String(params?.name))) {
      this.#log.warn(
        "Blocked a call to tool {tool} on {server}: it is not in the server's tools allow-list",
        { tool: params?.name, server: serverId },
      );
      return errorResponse(
        request.id,
        ErrorCode.InvalidParams,
        `Tool '${String(params?.name)}' is not allowed`,
        {
          server: serverId,
          detail: `server '${serverId}' allows only: ${allowList!.join(", ")}`,
        },
      );
    }
    if (this.#guarded?.guardOf(serverId) !== undefined) {
      const refused = guardedRefusal(serverId, request);
      if (refused !== undefined) return refused;
    }
    return this.#withheld(serverId, request);
  }

  /** The refusal of a call to a tool, or a get of a prompt, that its pins or the scan withheld. */
  #withheld(serverId: string, request: JsonRpcRequest): JsonRpcResponse | undefined {
    const { method } = request;
    if (method !== "tools/call" && method !== "prompts/get") return undefined;
    const name = String((request.params as { name?: unknown } | undefined)?.name);
    const tool = method === "tools/call";
    const why = tool
      ? this.#options.vetting?.refusal(serverId, name)
      : this.#options.vetting?.promptRefusal(serverId, name);
    if (why === undefined) return undefined;
    const what = tool ? "Tool" : "Prompt";
    return errorResponse(request.id, ErrorCode.InvalidParams, `${what} '${name}' is withheld: ${why}`, {
      server: serverId,
      [tool ? "tool" : "prompt"]: name,
      detail: why,
    });
  }

  /** What is done to an unguarded answer before the client sees it: tool lists presented, large results offloaded. */
  #transform(context: RequestContext, serverId: string, method: string): ForwardOptions["transform"] {
    if (method === "tools/list") return (result: unknown) => this.#tools.listed(serverId, "tools", result);
    if (method === "prompts/list") {
      return (result: unknown) => this.#tools.listed(serverId, "prompts", result);
    }
    if (method !== "tools/call") return undefined;
    // The transform lives as long as the call: it keeps the session's id, not the context (and its body).
    const sessionId = context.session?.id;
    return (result: unknown, raw: { text: string; id: string | number }) =>
      this.#deliver(sessionId, serverId, result, raw.text.length, () => resultText(raw.text, raw.id, result));
  }

  /**
   * A tool result as its client gets it: cleaned of hidden text when `gateway.sanitizeResults` is on, then
   * stored on disk when it is large. `size` and `json` are the result's text as it arrived.
   */
  #deliver(
    sessionId: string | undefined,
    serverId: string,
    result: unknown,
    size: number,
    json: () => string,
  ) {
    const source = { sessionId, serverId };
    const { sanitizeResults, imageHosts } = this.#config.gateway;
    const cleaned = sanitizeResults ? sanitizeResult(result, imageHosts) : undefined;
    if (cleaned === undefined || cleaned.result === result) {
      return offload(this.#options.payloads, source, result, size, json);
    }
    const { ansi, tags, images } = cleaned;
    sanitizeLog.info(
      "Sanitized a result of {server}: {ansi} ANSI escapes, {tags} tag characters, {images} images",
      {
        server: serverId,
        ansi,
        tags,
        images,
      },
    );
    const text = JSON.stringify(cleaned.result);
    return offload(this.#options.payloads, source, cleaned.result, text.length, () => text);
  }

  /** Forwards a request with the client's context and a transform of its result. */
  #exchange(
    context: RequestContext,
    serverId: string,
    request: JsonRpcRequest,
    transform: ForwardOptions["transform"],
    text?: string,
    judged?: true,
  ): Outcome | Promise<Outcome> {
    const upstream = this.upstream(serverId, context.identity, context.session, context.modern === undefined);
    const options: ForwardOptions = {
      session: context.session,
      disconnect: context.disconnect,
      streamable: context.streamable,
      span: context.span,
      transform,
      text,
      judged,
    };
    if (context.modern === undefined) {
      return { kind: "exchange", exchange: upstream.forward(request, options) };
    }
    const modern = {
      ...options,
      modern: this.#retries.caller(context.modern, context.identity, serverId, request),
    };
    // A 2026-07-28 server's requestState is its own, and goes back to it; the bridge's are the gateway's.
    if (upstream.connection.modern) return { kind: "exchange", exchange: upstream.forward(request, modern) };
    const retry = this.#retries.retry(context.identity, serverId, request, context.hopped);
    const resumed = (retry: Retry): Outcome =>
      retry.kind === "refused"
        ? reply(retry.response)
        : retry.kind === "elsewhere"
        ? { kind: "elsewhere", replica: retry.replica, request }
        : {
          kind: "exchange",
          exchange: retry.kind === "resume"
            ? upstream.resume(retry.hold, request, retry.responses, modern)
            : upstream.forward(request, modern),
        };
    return retry instanceof Promise ? retry.then(resumed) : resumed(retry);
  }

  /** A tools/call of a guarded server: labelled and checked before it is forwarded and after it answers. */
  async #guardedCall(
    context: RequestContext,
    serverId: string,
    request: JsonRpcRequest,
    text?: string,
  ): Promise<Outcome> {
    const params = request.params as { name: string; arguments?: unknown };
    // The closures below outlive this frame: they keep what they use, not the context (and its body).
    const { agent, identity, session } = context;
    const sessionId = session?.id;
    const callTool = (tool: string, args: unknown) =>
      this.#call(serverId, identity, session, "tools/call", {
        name: tool,
        arguments: args ?? {},
      })
        .then((answer) => {
          if ("error" in answer) throw new Error(answer.error.message);
          return JSON.stringify(answer.result);
        });
    const checked = await this.#guarded!.check(serverId, agent, params.name, params.arguments, callTool);
    if (checked.kind === "answer") {
      const { shown } = checked;
      return reply(
        "error" in shown
          ? errorResponse(request.id, shown.error.code, shown.error.message, shown.error.data)
          : { jsonrpc: "2.0", id: request.id, result: shown.result },
      );
    }
    const transform = async (result: unknown, raw: { text: string; id: string | number }) => {
      const json = resultText(raw.text, raw.id, result);
      const shown = await checked.after(result, json);
      if ("error" in shown) return new Refusal(shown.error.code, shown.error.message, shown.error.data);
      if (shown.result === result) {
        return this.#deliver(sessionId, serverId, result, raw.text.length, () => json);
      }
      const changed = JSON.stringify(shown.result);
      return this.#deliver(sessionId, serverId, shown.result, changed.length, () => changed);
    };
    return this.#exchange(context, serverId, request, transform, text, true);
  }

  /** Sends one request to a server and waits for its answer (for the unified router and guards). */
  async #call(
    serverId: string,
    identity: number,
    session: Session | undefined,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<JsonRpcResponse> {
    const request: JsonRpcRequest = { jsonrpc: "2.0", id: 0, method, ...(params ? { params } : {}) };
    const exchange = this.upstream(serverId, identity, session).forward(request);
    for await (const { message } of exchange) if (!("method" in message)) return message;
    throw new Error("the exchange ended without a response");
  }

  #router(identity: number): UnifiedRouter {
    let router = this.#unified.get(identity);
    if (router === undefined) {
      const backends: Backends = {
        ids: this.serverIds,
        call: (serverId, method, params) => this.#routerCall(serverId, identity, method, params),
        tools: async (serverId) => {
          const connection = this.upstream(serverId, identity).connection;
          await connection.ensureRunning();
          return await this.#tools.shown(serverId, connection.tools);
        },
      };
      router = new UnifiedRouter(backends);
      this.#unified.set(identity, router);
    }
    return router;
  }

  /**
   * Who receives a backend's unsolicited messages: its routed sessions and subscriptions, or the unified
   * ones; `only` one revision's for a server that speaks both, whose two connections each serve one.
   */
  *#audience(serverId: string, identity: number, only?: Audience): Iterable<Listener> {
    const endpoint = this.#options.mode === "unified" ? UNIFIED : serverId;
    if (only !== "subscriptions") yield* this.sessions.matching(endpoint, identity);
    if (only === "sessions") return;
    for (const subscription of this.#subscriptions) {
      if (subscription.endpoint === endpoint && subscription.identity === identity) yield subscription;
    }
  }

  /**
   * A unified endpoint's call to one server: a guarded server's prompts and resources are left out of the
   * merged listings, and every server's prompts are vetted as a routed listing's are.
   */
  async #routerCall(
    serverId: string,
    identity: number,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<JsonRpcResponse> {
    const refused = this.#guarded?.guardOf(serverId) === undefined
      ? undefined
      : guardedRefusal(serverId, { jsonrpc: "2.0", id: 0, method });
    if (refused !== undefined) return refused;
    const response = await this.#call(serverId, identity, undefined, method, params);
    if (method !== "prompts/list" || "error" in response) return response;
    return { ...response, result: await this.#tools.listed(serverId, "prompts", response.result) };
  }

  /** What `awmg pin` records of each server (see ToolLists.definitions). */
  definitions(): Promise<Map<string, PinnedServer>> {
    return this.#tools.definitions();
  }

  /** Each session's labels and the enforcement mode, as `/reflect` answers (no agents without guards). */
  reflect(): Promise<Reflection> {
    return this.#guarded?.reflect() ??
      Promise.resolve(reflection({}, this.#options.guards?.mode ?? "strict"));
  }

  /** The health of each server, by its primary connection. */
  health(): Record<string, ServerHealth> {
    const report = this.#upstreams.health();
    for (const id of Object.keys(report)) {
      const vetted = this.#options.vetting?.report(id);
      if (vetted !== undefined) {
        report[id] = { ...report[id], definitions: { ...vetted, findings: vetted.findings.length } };
      }
    }
    return report;
  }

  /**
   * Stops accepting work, lets in-flight requests finish (up to the shutdown timeout), stops every backend;
   * resolves with how many were stopped (shutdown.ts). A later call resolves when the first close does.
   */
  close(): Promise<number> {
    return this.#shutdown.close();
  }

  /** Cuts a close under way short (a second signal): every server is killed now. */
  hurry(): void {
    this.#shutdown.hurry();
  }
}
