/**
 * The gateway's start: every backend launched (together, or one at a time), then their tools vetted against
 * each other. The listener opens before it ends (main.ts), so the messages that arrive meanwhile wait at its
 * gate, a bounded number of them, and are refused if it fails.
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

/** Messages that may wait for the start at once: past it they are refused, so that a flood meets a bound. */
export const MAX_WAITING = 256;

type Message = Exclude<Classified, { kind: "invalid" }>;

/** A refusal of a message: an error for a request, nothing for a notification or a response. */
function refusal(classified: Message, message: string, detail: string): Outcome {
  if (classified.kind !== "request") return { kind: "accepted" };
  return reply(errorResponse(classified.message.id, ErrorCode.ServerUnavailable, message, { detail }));
}

/**
 * The start as client messages meet it: while it runs they wait (MAX_WAITING at most), so that none reaches a
 * server before the tools are vetted; once it has failed they are refused, so that none relaunches a failed
 * server while serve() reports the failure and exits.
 */
export class StartGate {
  #state: "starting" | "started" | "failed" = "starting";
  readonly #ended: Promise<void>;
  #waiting = 0;

  constructor(started: Promise<StartFailure[]>) {
    // Settled either way: a start that throws fails serve() itself, and the messages that waited are refused.
    this.#ended = started.then(
      (failures) => void (this.#state = failures.length > 0 ? "failed" : "started"),
      () => void (this.#state = "failed"),
    );
  }

  /** "starting" until the start has ended, then whether it failed. */
  get state(): "starting" | "started" | "failed" {
    return this.#state;
  }

  /**
   * Undefined once the start has succeeded (nothing to wait for, so the hot path pays no turn); otherwise the
   * message's wait, ending in undefined to let it through or in the answer that refuses it.
   */
  hold(classified: Message): Promise<Outcome | undefined> | undefined {
    if (this.#state === "started") return undefined;
    if (this.#state === "failed") return Promise.resolve(this.#failed(classified));
    if (this.#waiting >= MAX_WAITING) {
      return Promise.resolve(refusal(
        classified,
        "Too many messages wait for the gateway's start",
        `at most ${MAX_WAITING} wait at once while the servers start; send again once /health answers 200`,
      ));
    }
    this.#waiting++;
    return this.#ended.then(() => {
      this.#waiting--;
      return this.#state === "failed" ? this.#failed(classified) : undefined;
    });
  }

  #failed(classified: Message): Outcome {
    return refusal(
      classified,
      "The gateway did not start",
      "a server failed to start (the gateway's stdout and stderr say which and why); it is exiting",
    );
  }
}
