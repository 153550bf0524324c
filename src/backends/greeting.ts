/**
 * The MCP handshake with a backend just launched or connected: which revision it speaks (a `server/discover`
 * probe), and its greeting (`initialize` for a 2025 server; a 2026-07-28 server's discovery stands for it).
 */
import type { BackendRevisionSetting } from "../config/types.ts";
import { isFailure, type JsonRpcResponse } from "../jsonrpc/messages.ts";
import { LEGACY_VERSIONS, META, MODERN_VERSION } from "../protocol/revision.ts";
import { type Discovery, HttpPipe } from "./http.ts";
import type { MessagePipe } from "./pipe.ts";

/** The MCP protocol revision the gateway asks backends for. */
const BACKEND_PROTOCOL_VERSION = "2025-11-25";

/**
 * How long a process may stay silent on the `server/discover` probe before it is taken for a 2025 server:
 * some of those never answer a request that comes before `initialize`.
 */
const PROBE_SILENCE_MS = 3000;

/** What the handshake found out about a backend. */
export interface Greeting {
  /** The revision the backend speaks. */
  readonly revision: string;
  /** The backend's answer to initialize; for a 2026-07-28 server, the same made from its `server/discover`. */
  readonly initializeResult: Record<string, unknown>;
  /** Found to speak 2026-07-28 with protocolVersion "auto", it named a 2025 revision too. */
  readonly speaksBoth: boolean;
}

/** What the handshake needs from the connection it greets a backend for. */
export interface HandshakePeer {
  readonly serverId: string;
  /** Which revision to speak: found ("auto"), or pinned. */
  readonly setting: BackendRevisionSetting;
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** The client capabilities declared to a 2025 backend. */
  readonly capabilities: Readonly<Record<string, unknown>>;
  /** The envelope of the connection's own requests to a 2026-07-28 server. */
  readonly envelope: Record<string, unknown>;
  /** Makes a request of the connection's own and returns its response; rejects on timeout or exit. */
  call(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<JsonRpcResponse>;
  /** Whether the pipe has ended. */
  ended(pipe: MessagePipe): boolean;
  /** Launches the process again; the connection's later calls go to it. */
  relaunch(): MessagePipe;
}

/**
 * Finds the backend's revision and greets it: a 2026-07-28 server's `server/discover` result is adopted; a
 * 2025 server gets `initialize` (launched again first when it exited on the probe). Throws why not, before
 * `deadline`.
 */
export async function greet(pipe: MessagePipe, deadline: number, peer: HandshakePeer): Promise<Greeting> {
  const found = peer.setting === "2025-11-25" ? undefined : await discover(pipe, deadline, peer);
  if (
    found !== undefined && found.kind !== "modern" &&
    (found.kind === "failed" || peer.setting === MODERN_VERSION)
  ) {
    throw new Error(
      peer.setting === MODERN_VERSION
        ? `server/discover did not name ${MODERN_VERSION} (${found.why}); protocolVersion = "${MODERN_VERSION}" needs a server that speaks it, "auto" falls back to initialize`
        : `server/discover failed: ${found.why}`,
    );
  }
  if (found?.kind === "modern") return adoptModern(pipe, found.result, peer);
  // A process that exited on the probe is a 2025 server that wanted initialize first: launch it again.
  if (peer.ended(pipe)) pipe = peer.relaunch();
  const response = await peer.call("initialize", {
    protocolVersion: BACKEND_PROTOCOL_VERSION,
    capabilities: peer.capabilities,
    clientInfo: peer.clientInfo,
  }, Math.max(0, deadline - Date.now()));
  if (isFailure(response)) {
    const detail = (response.error.data as { detail?: unknown } | undefined)?.detail;
    throw new Error(
      `initialize failed: ${response.error.message}${detail === undefined ? "" : `: ${detail}`}`,
    );
  }
  const initializeResult = response.result as Record<string, unknown>;
  pipe.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  return { revision: String(initializeResult.protocolVersion), initializeResult, speaksBoth: false };
}

/** A 2026-07-28 server: its discover result stands for the initialize result clients are shown. */
function adoptModern(pipe: MessagePipe, result: Record<string, unknown>, peer: HandshakePeer): Greeting {
  if (pipe instanceof HttpPipe) pipe.speakModern();
  const { capabilities, instructions, _meta, supportedVersions } = result as {
    capabilities?: unknown;
    instructions?: unknown;
    _meta?: Record<string, unknown>;
    supportedVersions: unknown[];
  };
  return {
    revision: MODERN_VERSION,
    speaksBoth: peer.setting === "auto" &&
      supportedVersions.some((version) => (LEGACY_VERSIONS as readonly unknown[]).includes(version)),
    initializeResult: {
      protocolVersion: MODERN_VERSION,
      capabilities: capabilities ?? {},
      serverInfo: _meta?.[META.serverInfo] ?? { name: peer.serverId, version: "unknown" },
      ...(typeof instructions === "string" ? { instructions } : {}),
    },
  };
}

/**
 * Finds out whether the backend speaks 2026-07-28 with a `server/discover` probe. A process that does not
 * answer within PROBE_SILENCE_MS, answers with an error or exits is a 2025 server; a remote server is asked
 * by its pipe, where only a definitive answer counts.
 */
async function discover(pipe: MessagePipe, deadline: number, peer: HandshakePeer): Promise<Discovery> {
  if (pipe instanceof HttpPipe) return await pipe.discover(peer.envelope);
  const silence = Math.min(PROBE_SILENCE_MS, Math.max(0, deadline - Date.now()));
  try {
    const response = await peer.call("server/discover", { _meta: peer.envelope }, silence);
    const versions = isFailure(response)
      ? undefined
      : (response.result as { supportedVersions?: unknown }).supportedVersions;
    if (Array.isArray(versions) && versions.includes(MODERN_VERSION)) {
      return { kind: "modern", result: (response as { result: Record<string, unknown> }).result };
    }
    return { kind: "legacy", why: "it answered server/discover without naming 2026-07-28" };
  } catch (error) {
    return { kind: "legacy", why: (error as Error).message };
  }
}
