/**
 * This gateway among its replicas, put together from the replica settings: the store's connection, the
 * agents' labels in it, the hop that sends retries on, and the registry joined once the listener's address
 * is known. `main.ts` wires it; the gateway and the HTTP layer see only their own small interfaces.
 */
import { getLogger } from "@logtape/logtape";
import { shownUrl } from "../observability/redact.ts";
import { ReplicaHop } from "./hop.ts";
import { RedisLabelStore } from "./labels.ts";
import { Store } from "./redis.ts";
import { type Replica, ReplicaRegistry } from "./replicas.ts";

/** How this gateway runs beside other replicas; absent when it runs alone. */
export interface ClusterSettings {
  /** The shared store's URL (redis:// or rediss://). */
  readonly store: string;
  /** The keys state is opened with, the one it is sealed with first (then the one a rotation replaces). */
  readonly stateKeys: readonly [string, ...string[]];
  /** This replica's name, in the sessions and states it issues. */
  readonly replicaId: string;
  /** The URL other replicas reach this one at; undefined: its listen address. */
  readonly replicaUrl?: string;
}

/** A gateway's part in the replicas. */
export class Cluster {
  readonly settings: ClusterSettings;
  readonly labels: RedisLabelStore;
  readonly hop: ReplicaHop;
  readonly #store: Store;
  #registry?: ReplicaRegistry;

  private constructor(settings: ClusterSettings, store: Store, labels: RedisLabelStore) {
    this.settings = settings;
    this.#store = store;
    this.labels = labels;
    this.hop = new ReplicaHop(settings.replicaId, settings.stateKeys, {
      urlOf: (id) => this.#registry?.urlOf(id),
      live: () => this.#registry?.live() ?? [],
    });
  }

  /** Connects to the store; rejects (a StoreFailure) when it cannot be reached. */
  static async connect(settings: ClusterSettings, maxAgents: number): Promise<Cluster> {
    const store = await Store.connect(settings.store);
    return new Cluster(settings, store, await RedisLabelStore.of(store, maxAgents));
  }

  /** Joins the live replicas, reachable at the configured URL or else `listening`; rejects when the name is taken. */
  async join(listening: string): Promise<Replica> {
    const self = { id: this.settings.replicaId, url: this.settings.replicaUrl ?? listening };
    this.#registry = await ReplicaRegistry.join(this.#store, self);
    getLogger(["awmg", "startup"]).info("Replica {replica} at {url}, sharing {store}", {
      replica: self.id,
      url: self.url,
      store: shownUrl(this.settings.store),
    });
    return self;
  }

  /** Leaves the replicas at once: the others stop sending retries here while the calls in flight finish. */
  async leave(): Promise<void> {
    await this.#registry?.leave();
  }

  /** Closes the store's connection (after the drain: a guarded call in flight still records its taint). */
  close(): Promise<void> {
    return this.#store.close();
  }
}
