/**
 * The "message seen" hook: every JSON-RPC message between the gateway and a backend becomes one record in
 * category `awmg.rpc.<server>`, which the text logs, gateway.md and rpc-messages.jsonl each render.
 */
import { getLogger } from "@logtape/logtape";
import type { RpcFacts } from "./format.ts";

/** What a caller reports about one message. */
export type RpcEvent = Omit<RpcFacts, "rpc" | "server" | "size">;

/** Returns the recorder of one server's RPC traffic. */
export function rpcRecorder(serverId: string): (event: RpcEvent) => void {
  const logger = getLogger(["awmg", "rpc", serverId]);
  return (event) => logger.debug("rpc", { ...event, rpc: true, server: serverId, size: event.text.length });
}
