/**
 * Stdio servers started as soon as the config is checked, before the rest of the gateway has loaded, so that a
 * server's own start (half a second for Node, seconds for a container) overlaps the gateway's instead of
 * following it. Nothing is written to a child before its connection takes it, and its pipes hold what it
 * writes meanwhile; each child is taken once, by the first connection that launches its server.
 */
import type { LaunchSpec } from "./launch.ts";
import { signalChild, spawnChild, type Spawned } from "./stdio.ts";

/** A server to start early: its id and exactly what its connection would launch. */
export interface EarlyServer {
  readonly id: string;
  readonly spec: LaunchSpec;
}

interface Started {
  readonly spec: LaunchSpec;
  readonly spawned: Spawned;
}

/** The children started early, waiting for their connections. */
export class HeadStart {
  readonly #started = new Map<string, Started>();
  #stopping?: Promise<void>;
  #killNow?: () => void;

  /**
   * Starts each server. One that cannot be started is left out: its connection launches it again and reports
   * the error as any launch would.
   */
  static launch(servers: Iterable<EarlyServer>): HeadStart {
    const headStart = new HeadStart();
    for (const { id, spec } of servers) {
      try {
        headStart.#started.set(id, { spec, spawned: spawnChild(spec) });
      } catch {
        // Left to its connection, which launches it again and reports why it cannot.
      }
    }
    return headStart;
  }

  /**
   * The child started for a server, once. A child started from any other spec is not the process the
   * connection means to run: it is killed, and the connection starts its own.
   */
  take(serverId: string, spec: LaunchSpec): Spawned | undefined {
    const started = this.#started.get(serverId);
    if (started === undefined) return undefined;
    this.#started.delete(serverId);
    if (sameLaunch(started.spec, spec)) return started.spawned;
    kill(started.spawned.child);
    return undefined;
  }

  /** Kills every child no connection took (the start stopped before the gateway launched them). */
  abandon(): void {
    for (const { spawned } of this.#started.values()) kill(spawned.child);
    this.#started.clear();
  }

  /**
   * Stops every child no connection took, as a connection's stop would (a signal came before the gateway was
   * built): stdin closed and SIGTERM, SIGKILL after `graceMs`, and the container of a client that had to be
   * killed removed. A second call (a second signal) kills what is left at once; both resolve when all is done.
   */
  stop(graceMs: number): Promise<void> {
    if (this.#stopping !== undefined) {
      this.#killNow?.();
      return this.#stopping;
    }
    const children = [...this.#started.values()];
    this.abandon();
    const killNow = () => {
      for (const { spawned } of children) signalChild(spawned.child, "SIGKILL");
    };
    this.#killNow = killNow;
    const timer = setTimeout(killNow, graceMs);
    return this.#stopping = Promise.all(children.map(({ spawned }) => spawned.removedContainers))
      .then(() => clearTimeout(timer));
  }
}

function sameLaunch(a: LaunchSpec, b: LaunchSpec): boolean {
  const key = (spec: LaunchSpec) => JSON.stringify([spec.command, spec.args, spec.env, spec.cwd ?? null]);
  return key(a) === key(b);
}

/** Ends a child and lets go of its pipes, which nothing will read. */
function kill(child: Deno.ChildProcess): void {
  signalChild(child, "SIGTERM");
  child.stdin.close().catch(() => {});
  for (const output of [child.stdout, child.stderr]) output.cancel().catch(() => {});
}
