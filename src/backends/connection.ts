/**
 * A backend server as a managed connection: started with the MCP handshake done, watched, restarted on
 * demand with backoff after it dies. It knows nothing of clients or sessions.
 */
import { getLogger } from "@logtape/logtape";
import { preview } from "../jsonrpc/framer.ts";
import { isFailure, type JsonRpcMessage, type JsonRpcResponse } from "../jsonrpc/messages.ts";
import { rpcRecorder } from "../observability/rpc.ts";
import { HttpPipe, type HttpTarget } from "./http.ts";
import { greet, type HandshakePeer } from "./greeting.ts";
import type { BackendRevisionSetting } from "../config/types.ts";
import {
  type AnnouncedCapabilities,
  envelope,
  LIST_CHANGES,
  META,
  MODERN_VERSION,
  withMeta,
} from "../protocol/revision.ts";
import type { HeadStart } from "./head_start.ts";
import type { LaunchSpec } from "./launch.ts";
import {
  describeExit,
  type ExitStatus,
  type MessagePipe,
  type PipeEvents,
  STOP_GRACE_MS,
  Unavailable,
} from "./pipe.ts";
import { type StdioLimits, StdioPipe } from "./stdio.ts";

/** Lifecycle of a backend connection. */
export type BackendState = "starting" | "running" | "stopped" | "error";

/** How a backend is reached: a process to start, or a remote URL. */
export type Transport =
  | {
    readonly kind: "stdio";
    readonly spec: LaunchSpec;
    readonly limits: StdioLimits;
    /** Processes started before the gateway was built; this server's is taken at its first launch. */
    readonly headStart?: HeadStart;
  }
  | { readonly kind: "http"; readonly target: HttpTarget };

/** What the connection needs to know. */
export interface ConnectionOptions {
  readonly serverId: string;
  readonly transport: Transport;
  readonly startupTimeoutMs: number;
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** The client capabilities declared to the backend. */
  readonly capabilities: Readonly<Record<string, unknown>>;
  /** Which revision to speak: found at start ("auto"), or pinned. */
  readonly revision: BackendRevisionSetting;
  /** Every message that does not answer one of the connection's own calls, with its text. */
  readonly onMessage: (message: JsonRpcMessage, text: string) => void;
  /** The backend went away; every request in flight to it has to fail now. */
  readonly onDown: (reason: string) => void;
  /**
   * Hides the config's secrets in why a start failed (`lastError`, the StartFailure), which /health shows
   * without auth and clients get in their errors: it often quotes what the backend said.
   */
  readonly redact: (text: string) => string;
}

/** Why a backend could not be started, with what an operator needs to fix it. */
export class StartFailure extends Error {
  constructor(
    readonly serverId: string,
    readonly transport: Transport,
    readonly reason: string,
    readonly stderrTail: readonly string[],
  ) {
    super(`backend server '${serverId}' failed to start: ${reason}`);
  }
}

export { Unavailable };

const STDERR_TAIL = 40;
/** How many resource URIs the gateway subscribes to on one 2026-07-28 server. */
const MAX_SUBSCRIBED_URIS = 1024;
const STABLE_AFTER_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

/** One running (or restartable) backend process. */
export class BackendConnection {
  state: BackendState = "stopped";
  /** When the current process finished its handshake. */
  startedAt?: number;
  /**
   * The backend's answer to initialize (capabilities, serverInfo, instructions, its protocolVersion); for a
   * 2026-07-28 server, the same made from its `server/discover`.
   */
  initializeResult?: Record<string, unknown>;
  /** The revision the running backend speaks. */
  revision?: string;
  /**
   * Whether the backend, found to speak 2026-07-28 with protocolVersion "auto", named a 2025 revision too:
   * the gateway then speaks 2025 to it, on another connection, for 2025 clients.
   */
  speaksBoth = false;
  /** The backend's tools as last listed. */
  tools: readonly Record<string, unknown>[] = [];
  lastError?: string;
  pid?: number;

  readonly #options: ConnectionOptions;
  readonly #log;
  readonly #stderrTail: string[] = [];
  readonly #calls = new Map<
    string,
    { method: string; startedAt: number; resolve(r: JsonRpcResponse): void }
  >();
  readonly #record;
  #pipe?: MessagePipe;
  /**
   * The removal of the process's container should its client be killed (a stop past its grace, a second
   * signal, an oversized message; stdio.ts `Spawned`), which a stop waits for.
   */
  #removal?: Promise<void>;
  #starting?: Promise<void>;
  #callCount = 0;
  #failures = 0;
  #restartAt = 0;
  #stopping = false;
  #listing?: Promise<readonly Record<string, unknown>[]>;
  /** The resource URIs clients subscribed to on a 2026-07-28 server (its listen stream carries them). */
  readonly #uris = new Set<string>();
  /** The id of the backend's `subscriptions/listen` request (2026-07-28 servers only). */
  #listenId?: string;
  #relisting?: Promise<readonly Record<string, unknown>[]>;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#log = getLogger(["awmg", "backend", options.serverId]);
    this.#record = rpcRecorder(options.serverId);
  }

  /** Starts the process and completes the handshake within the startup timeout. */
  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => this.#starting = undefined);
    return this.#starting;
  }

  /** Resolves when running; restarts a dead backend unless it is backing off from repeated crashes. */
  async ensureRunning(): Promise<void> {
    if (this.state === "running") return;
    if (this.#starting) return await this.#starting;
    if (this.#stopping) throw new Unavailable(`server '${this.#options.serverId}' is shutting down`);
    const wait = this.#restartAt - Date.now();
    if (wait > 0) {
      throw new Unavailable(
        `server '${this.#options.serverId}' ${this.lastError ?? "is down"}; next restart allowed in ${
          Math.ceil(wait / 1000)
        }s`,
      );
    }
    this.#log.info("Restarting backend server {server}", { server: this.#options.serverId });
    try {
      await this.start();
    } catch (error) {
      throw new Unavailable(error instanceof Error ? error.message : String(error));
    }
  }

  /** Sends a message (as `text` when already serialized) to the running backend; returns the text sent. */
  send(message: JsonRpcMessage, text?: string, traceparent?: string): string {
    if (this.#pipe === undefined || this.state !== "running") {
      throw new Unavailable(`server '${this.#options.serverId}' is not running`);
    }
    return this.#pipe.send(message, text, traceparent);
  }

  /** Makes a request of the connection's own (not a client's) and returns its response. */
  call(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): Promise<JsonRpcResponse> {
    const id = `awmg-${++this.#callCount}`;
    const pipe = this.#pipe;
    if (pipe === undefined) {
      return Promise.reject(new Unavailable(`server '${this.#options.serverId}' is not running`));
    }
    return new Promise<JsonRpcResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(id);
        reject(new Error(`no answer to ${method} within ${Math.round(timeoutMs / 1000)}s`));
      }, timeoutMs);
      this.#calls.set(id, {
        method,
        startedAt: Date.now(),
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
      });
      pipe.exited.then((status) => {
        if (this.#calls.delete(id)) {
          clearTimeout(timer);
          reject(new Error(`the process ${describeExit(status)} before answering ${method}`));
        }
      });
      // While it starts, the revision is still the last process's: the handshake's requests carry what they need.
      const sent = this.state === "running" && this.modern ? withMeta(params, this.#envelope) : params;
      const text = pipe.send({ jsonrpc: "2.0", id, method, ...(sent === undefined ? {} : { params: sent }) });
      this.#record({ direction: "outbound", session: null, method, id, text });
    });
  }

  /**
   * Lists every tool (following pagination) and caches the list. Asked again while a listing is in flight,
   * it lists once more after that one (which may have missed the change that prompted the ask), and every
   * ask meanwhile shares that second listing: a server that announces a burst of changes (server-everything
   * sends four at start) gets two listings, not one per announcement.
   */
  refreshTools(timeoutMs: number): Promise<readonly Record<string, unknown>[]> {
    if (this.#listing === undefined) {
      this.#listing = this.#listTools(timeoutMs).finally(() => this.#listing = undefined);
      return this.#listing;
    }
    this.#relisting ??= this.#listing.catch(() => {}).then(() => {
      this.#relisting = undefined;
      return this.refreshTools(timeoutMs);
    });
    return this.#relisting;
  }

  async #listTools(timeoutMs: number): Promise<readonly Record<string, unknown>[]> {
    const tools: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const response = await this.call(
        "tools/list",
        cursor === undefined ? undefined : { cursor },
        timeoutMs,
      );
      if (isFailure(response)) throw new Error(`tools/list failed: ${response.error.message}`);
      const result = response.result as { tools?: Record<string, unknown>[]; nextCursor?: string };
      tools.push(...(result.tools ?? []));
      cursor = result.nextCursor;
    } while (cursor !== undefined);
    this.tools = tools;
    return tools;
  }

  /**
   * Stops the backend (a process: stdin closed, SIGTERM, SIGKILL after `graceMs`); false when none was started.
   * A second stop with a shorter grace cuts the first one's short.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<boolean> {
    const first = !this.#stopping;
    this.#stopping = true;
    // The removal of this pipe's container, not of one a later launch would make.
    const [pipe, removal] = [this.#pipe, this.#removal];
    if (pipe === undefined) return false;
    const status = await pipe.stop(graceMs);
    await removal;
    if (first) {
      this.#log.info("Backend server {server} stopped ({exit})", {
        server: this.#options.serverId,
        exit: describeExit(status),
      });
    }
    return true;
  }

  /** The envelope of the connection's own requests to a 2026-07-28 server: no client capabilities. */
  get #envelope(): Record<string, unknown> {
    return envelope(this.#options.clientInfo, {});
  }

  /** How the backend is reached: the process it runs as, or its URL. */
  get transport(): Transport {
    return this.#options.transport;
  }

  /** Whether the running backend speaks 2026-07-28 (requests carry an envelope, no session). */
  get modern(): boolean {
    return this.revision === MODERN_VERSION;
  }

  /**
   * Adds or removes a resource subscription of a 2026-07-28 server, whose `subscriptions/listen` stream is
   * then opened again with the new filter (the revision has no `resources/subscribe`).
   */
  subscribe(uri: string, on: boolean): void {
    if (on === this.#uris.has(uri)) return;
    if (on && this.#uris.size >= MAX_SUBSCRIBED_URIS) {
      this.#log.warn("Not subscribing to {uri} on {server}: {count} URIs are the bound", {
        uri,
        server: this.#options.serverId,
        count: MAX_SUBSCRIBED_URIS,
      });
      return;
    }
    if (on) this.#uris.add(uri);
    else this.#uris.delete(uri);
    this.#listen();
  }

  /**
   * Opens (again) a 2026-07-28 server's `subscriptions/listen` stream for every change it announces and
   * every subscribed URI: its notifications reach sessions and subscriptions like a 2025 server's.
   */
  #listen(): void {
    const pipe = this.#pipe;
    if (pipe === undefined || !this.modern || this.state !== "running") return;
    const offered = (this.initializeResult?.capabilities ?? {}) as AnnouncedCapabilities;
    const filter: Record<string, unknown> = {};
    for (const [flag, capability] of Object.values(LIST_CHANGES)) {
      if (offered[capability]?.listChanged === true) filter[flag] = true;
    }
    if (offered.resources?.subscribe === true && this.#uris.size > 0) {
      filter.resourceSubscriptions = [...this.#uris];
    }
    if (this.#listenId !== undefined) {
      pipe.send({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: this.#listenId, reason: "the subscription filter changed" },
      });
      this.#listenId = undefined;
    }
    if (Object.keys(filter).length === 0) return;
    this.#listenId = `awmg-listen-${++this.#callCount}`;
    const text = pipe.send({
      jsonrpc: "2.0",
      id: this.#listenId,
      method: "subscriptions/listen",
      params: withMeta({ notifications: filter }, this.#envelope),
    });
    this.#record({
      direction: "outbound",
      session: null,
      method: "subscriptions/listen",
      id: this.#listenId,
      text,
    });
  }

  /** The last lines the backend wrote to stderr. */
  get stderrTail(): readonly string[] {
    return this.#stderrTail;
  }

  async #start(): Promise<void> {
    const { serverId, transport, startupTimeoutMs } = this.#options;
    this.state = "starting";
    this.#stderrTail.length = 0;
    const deadline = Date.now() + startupTimeoutMs;
    const fail = (reason: string): never => {
      this.state = "error";
      this.lastError = this.#options.redact(reason);
      this.#backOff();
      throw new StartFailure(serverId, transport, this.lastError, [...this.#stderrTail]);
    };
    /** The pipes of this start that have ended (before any call of ours hears of it). */
    const ended = new Set<MessagePipe>();
    let pipe: MessagePipe;
    try {
      pipe = this.#open(ended);
    } catch (error) {
      return fail(this.#launchFailure(error));
    }
    try {
      const greeting = await greet(pipe, deadline, this.#handshakePeer(ended));
      this.revision = greeting.revision;
      this.initializeResult = greeting.initializeResult;
      this.speaksBoth = greeting.speaksBoth;
      this.state = "running";
      if ((this.initializeResult!.capabilities as Record<string, unknown> | undefined)?.tools !== undefined) {
        await this.refreshTools(Math.max(0, deadline - Date.now()));
      }
    } catch (error) {
      await this.#pipe?.stop(0);
      return fail((error as Error).message);
    }
    this.startedAt = Date.now();
    this.lastError = undefined;
    this.#listenId = undefined;
    this.#listen();
    this.#log.info("Backend server {server} is running ({how}, MCP {revision}, {tools} tools)", {
      server: serverId,
      revision: this.speaksBoth
        ? `${this.revision} (speaks both: 2025 clients get it in 2025)`
        : this.revision,
      how: this.pid === undefined ? "remote" : `pid ${this.pid}`,
      tools: this.tools.length,
    });
  }

  /** What a pipe of this backend reports: its messages, stray output, oversized lines, stderr. */
  #pipeEvents(): PipeEvents {
    return {
      message: (message, text) => this.#receive(message, text),
      noise: (line) => this.#log.warn("Skipped output that is not JSON-RPC: {line}", { line: preview(line) }),
      oversized: (bytes, start) => this.#oversized(bytes, start),
      stderr: (line) => {
        this.#stderrTail.push(line);
        if (this.#stderrTail.length > STDERR_TAIL) this.#stderrTail.shift();
        this.#log.info("stderr: {line}", { line });
      },
    };
  }

  /**
   * Launches the process or connects to the URL (`ended` hears of the pipe's end first); refused once stopping,
   * or a start the stop interrupted would launch again the process it killed (the handshake's relaunch).
   */
  #open(ended: Set<MessagePipe>): MessagePipe {
    const { serverId, transport } = this.#options;
    if (this.#stopping) throw new Unavailable(`server '${serverId}' is shutting down`);
    let pipe: MessagePipe;
    if (transport.kind === "http") {
      this.#log.info("Connecting to MCP backend server: {server}, url={url}", {
        server: serverId,
        url: transport.target.shown,
      });
      pipe = new HttpPipe(transport.target, this.#pipeEvents());
    } else {
      const { spec } = transport;
      this.#log.info("Launching MCP backend server: {server}, command={command}, args={args}, env={env}", {
        server: serverId,
        command: spec.command,
        args: spec.args,
        env: spec.envNames,
      });
      const started = transport.headStart?.take(serverId, spec);
      const stdio = pipe = StdioPipe.spawn(spec, this.#pipeEvents(), transport.limits, started);
      this.#removal = stdio.removedContainers.then((removed) => {
        if (removed === 0) return;
        this.#log.warn("Removed the container of {server}: its server outlived its killed client", {
          server: serverId,
        });
      });
    }
    this.#pipe = pipe;
    this.pid = pipe.pid;
    pipe.exited.then((status) => {
      ended.add(pipe);
      this.#exited(pipe, status);
    });
    return pipe;
  }

  /** What the handshake needs of this connection; a relaunch after the probe starts a fresh stderr tail. */
  #handshakePeer(ended: Set<MessagePipe>): HandshakePeer {
    const { serverId, revision, clientInfo, capabilities } = this.#options;
    return {
      serverId,
      setting: revision,
      clientInfo,
      capabilities,
      envelope: this.#envelope,
      call: (method, params, timeoutMs) => this.call(method, params, timeoutMs),
      ended: (pipe) => ended.has(pipe),
      relaunch: () => {
        this.#stderrTail.length = 0;
        return this.#open(ended);
      },
    };
  }

  /** Why the launch or connection failed, for the start's error. */
  #launchFailure(error: unknown): string {
    const { transport } = this.#options;
    if (error instanceof Deno.errors.NotFound && transport.kind === "stdio") {
      return `command not found: ${transport.spec.command}`;
    }
    const target = transport.kind === "stdio" ? transport.spec.command : transport.target.shown;
    return `could not start ${target}: ${(error as Error).message}`;
  }

  #receive(message: JsonRpcMessage, text: string): void {
    const params = "method" in message
      ? message.params as { _meta?: Record<string, unknown> } | undefined
      : undefined;
    const subscription = params?._meta?.[META.subscriptionId];
    if (subscription !== undefined) {
      // A listen stream's notification: the tag is the backend's; sessions and subscriptions get it bare.
      if (
        subscription !== this.#listenId || (message as { method: string }).method.endsWith("/acknowledged")
      ) return;
      const { [META.subscriptionId]: _, ...meta } = params!._meta!;
      (message as { params: unknown }).params = { ...params, _meta: meta };
      return this.#options.onMessage(message, text);
    }
    if (!("method" in message) && typeof message.id === "string" && message.id.startsWith("awmg-listen-")) {
      return;
    }
    if ("id" in message && typeof message.id === "string" && !("method" in message)) {
      const call = this.#calls.get(message.id);
      if (call !== undefined) {
        this.#calls.delete(message.id);
        this.#record({
          direction: "inbound",
          session: null,
          method: call.method,
          id: message.id,
          text,
          duration: Date.now() - call.startedAt,
          ...(isFailure(message) ? { error: message.error.message } : {}),
        });
        call.resolve(message);
        return;
      }
    }
    this.#options.onMessage(message, text);
  }

  /**
   * A message over the size limit. A remote server's answer fails only its own request (the pipe does
   * that); a process's stdout has lost its framing, so its requests fail now and it is restarted.
   */
  #oversized(bytes: number, start: string): void {
    const { serverId, transport } = this.#options;
    if (transport.kind === "http") {
      this.#log.error("Backend server {server}: {detail}", { server: serverId, detail: start });
      return;
    }
    const limit = transport.limits.maxMessageSize;
    this.#log.error(
      "Backend server {server} sent more than {bytes} bytes in one message, starting {start}; " +
        "its requests fail and it is restarted",
      { server: serverId, bytes, start },
    );
    const pipe = this.#pipe;
    if (pipe === undefined || this.state !== "running") return;
    this.state = "error";
    this.lastError = `sent a message larger than ${limit} bytes`;
    this.#backOff();
    this.#options.onDown(
      `server '${serverId}' sent a message larger than gateway.maxMessageSize (${limit} bytes); it is being restarted`,
    );
    pipe.stop(0);
  }

  #exited(pipe: MessagePipe, status: ExitStatus): void {
    if (this.#pipe !== pipe) return;
    const wasUp = this.state === "running";
    if (this.#stopping) {
      this.state = "stopped";
    } else if (wasUp) {
      this.state = "error";
      this.lastError = `exited unexpectedly (${describeExit(status)})`;
      this.#log.error("Backend server {server} {exit}", {
        server: this.#options.serverId,
        exit: describeExit(status),
      });
      this.#backOff();
    }
    this.#options.onDown(`server '${this.#options.serverId}' ${describeExit(status)}`);
  }

  #backOff(): void {
    const stable = this.startedAt !== undefined && Date.now() - this.startedAt > STABLE_AFTER_MS;
    this.#failures = stable ? 1 : this.#failures + 1;
    const delay = this.#failures <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 2));
    this.#restartAt = Date.now() + delay;
  }
}
