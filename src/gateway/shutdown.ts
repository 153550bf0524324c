/**
 * The gateway's stop: no new work, the calls in flight given up to the shutdown timeout, then what clients
 * hold open ended and every server stopped (stdin closed, SIGTERM, SIGKILL after its grace, a container whose
 * docker client was killed removed). A second signal hurries it: every server is killed at once, which ends the
 * calls the stop still waits for.
 */
import type { Logger } from "@logtape/logtape";
import type { Upstream } from "./upstream.ts";
import type { Upstreams } from "./upstreams.ts";

/** Where a gateway is in its life: serving, stopping, stopped. */
export type GatewayState = "open" | "closing" | "closed";

/** What the stop needs of the gateway. */
export interface ShutdownHost {
  readonly upstreams: Upstreams;
  readonly shutdownTimeoutMs: number;
  /** Ends what clients hold open (sessions, listen streams, the guards' workers) once the calls are done. */
  readonly endClients: () => void;
  readonly log: Logger;
}

/** One gateway's stop, begun once. */
export class Shutdown {
  readonly #host: ShutdownHost;
  #state: GatewayState = "open";
  #closed?: Promise<number>;
  /** The upstreams the close stops: sessions that end on the close take theirs out of the upstreams. */
  #closing: readonly Upstream[] = [];

  constructor(host: ShutdownHost) {
    this.#host = host;
  }

  /** "open" until close() starts, then "closing", then "closed". */
  get state(): GatewayState {
    return this.#state;
  }

  /**
   * Stops accepting work, lets in-flight requests finish (up to the shutdown timeout), stops every backend;
   * resolves with how many were stopped. A later call resolves when the first close does.
   */
  close(): Promise<number> {
    return this.#closed ??= this.#close();
  }

  async #close(): Promise<number> {
    const { upstreams, log } = this.#host;
    this.#state = "closing";
    const closing = this.#closing = upstreams.all();
    const deadline = Date.now() + this.#host.shutdownTimeoutMs;
    while (closing.some((u) => u.inFlight > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.#host.endClients();
    const stopped = (await Promise.all(closing.map((u) => u.connection.stop()))).filter(Boolean).length;
    this.#state = "closed";
    log.info("Gateway closed; {count} backend servers terminated", { count: stopped });
    return stopped;
  }

  /**
   * Cuts a close under way short (a second signal): every server is killed now, which ends the calls in flight
   * to it, so the close waits for them no longer.
   */
  hurry(): void {
    if (this.#state !== "closing") return;
    this.#host.log.warn("Stopping now: calls in flight are cut off and the servers killed");
    for (const upstream of new Set([...this.#closing, ...this.#host.upstreams.all()])) {
      void upstream.connection.stop(0);
    }
  }
}
