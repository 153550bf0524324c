/**
 * The gateway's start: every backend launched (together, or one at a time), then their tools vetted against
 * each other. The listener opens before it ends (main.ts), so the messages that arrive meanwhile wait for it,
 * and are refused if it fails.
 */
import type { Logger } from "@logtape/logtape";
import { type BackendConnection, StartFailure } from "../backends/connection.ts";
import type { GatewayConfig } from "../config/types.ts";
import { ErrorCode, errorResponse } from "../jsonrpc/errors.ts";
import type { Classified } from "../jsonrpc/messages.ts";
import { type Outcome, reply } from "./dispatch.ts";
import type { ToolLists } from "./tool_lists.ts";

/** What the start needs of the gateway. */
export interface StartHost {
  readonly config: GatewayConfig;
  /** The servers awmg launches, in the config's order. */
  readonly serverIds: readonly string[];
  /** A server's primary connection. */
  connection(serverId: string): BackendConnection;
  readonly tools: ToolLists;
  readonly sequential: boolean;
  /** A tool that fails its checks fails the start (--strict-pins) instead of being withheld. */
  readonly strictPins: boolean;
  readonly log: Logger;
}

/** Starts every backend, then vets their tools; returns the failures (empty when all are up and vetted). */
export async function startServers(host: StartHost): Promise<StartFailure[]> {
  for (const server of host.config.servers) {
    if (server.type === "custom") {
      host.log.warn(
        "Server {server} has the custom type {type}, which awmg has no launcher for; it is not started",
        { server: server.id, type: server.customType },
      );
    }
  }
  const failures: StartFailure[] = [];
  const startOne = async (id: string) => {
    try {
      await host.connection(id).start();
    } catch (error) {
      if (!(error instanceof StartFailure)) throw error;
      failures.push(error);
    }
  };
  if (host.sequential) {
    for (const id of host.serverIds) await startOne(id);
  } else {
    await Promise.all(host.serverIds.map(startOne));
  }
  // Vetted once all are up: shadowing is judged against every other server's tools.
  for (const id of host.serverIds) {
    const connection = host.connection(id);
    if (connection.state !== "running") continue;
    const withheld = await host.tools.announce(id, connection.tools);
    host.tools.checkNames(id);
    if (withheld.length > 0 && host.strictPins) {
      const reason = `--strict-pins: ${withheld.map((tool) => `${tool.name} (${tool.withheld})`).join("; ")}`;
      failures.push(new StartFailure(id, connection.transport, reason, []));
    }
  }
  return failures;
}

/** The answer to a message that waited for a start that failed: serve() reports the failure and exits. */
export function notStarted(classified: Exclude<Classified, { kind: "invalid" }>): Outcome {
  if (classified.kind !== "request") return { kind: "accepted" };
  return reply(
    errorResponse(classified.message.id, ErrorCode.ServerUnavailable, "The gateway did not start", {
      detail: "a server failed to start (the gateway's stdout and stderr say which and why); it is exiting",
    }),
  );
}
