/**
 * The "message seen" hook: every JSON-RPC message between the gateway and a backend is told here once, and
 * goes to the text logs, gateway.md, rpc-messages.jsonl and (when selected) stderr. It bypasses logtape's
 * per-record machinery because it runs twice per forwarded call; the sinks are the same buffered files.
 */
import type { RpcFacts } from "./format.ts";

/** What a caller reports about one message. */
export type RpcEvent = Omit<RpcFacts, "server" | "size">;

/** Writes one RPC message somewhere; `at` is its time in ms. */
export type RpcSink = (facts: RpcFacts, at: number) => void;

/** The sinks of each server's RPC traffic; set by the log setup. */
let route: (serverId: string) => readonly RpcSink[] = () => [];

/** Installs the routing of RPC messages to sinks (called by the log setup). */
export function routeRpc(sinksOf: (serverId: string) => readonly RpcSink[]): void {
  route = sinksOf;
}

/** Returns the recorder of one server's RPC traffic. */
export function rpcRecorder(serverId: string): (event: RpcEvent) => void {
  let sinks: readonly RpcSink[] | undefined;
  let routed = route;
  return (event) => {
    if (sinks === undefined || routed !== route) [sinks, routed] = [route(serverId), route];
    if (sinks.length === 0) return;
    const facts: RpcFacts = { ...event, server: serverId, size: event.text.length };
    const at = Date.now();
    for (const sink of sinks) sink(facts, at);
  };
}

/** Where requests the gateway gave up waiting for are told; set by the log setup. */
let timeouts: ((server: string, method: string, ms: number, at: number) => void) | undefined;

/** Installs the receiver of timeouts (called by the log setup); undefined drops them. */
export function routeTimeouts(to: typeof timeouts): void {
  timeouts = to;
}

/** Records a request to `server` that got no answer within `ms`. */
export function recordTimeout(server: string, method: string, ms: number): void {
  timeouts?.(server, method, ms, Date.now());
}
