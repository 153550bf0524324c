/**
 * One connection to the shared store (Redis, or Valkey, which speaks the same), made from `gateway.store`'s
 * URL. A command never waits for a connection that is down (no offline queue) nor longer than its timeout:
 * a store that cannot answer makes the command fail at once, with a `StoreFailure` saying why.
 */
import { getLogger } from "@logtape/logtape";
import { createClient, type RedisClientType } from "@redis/client";
import { StoreFailure } from "../difc/store.ts";
import { hex } from "../hex.ts";
import { shownUrl } from "../observability/redact.ts";

/** Milliseconds one command (or the first connection) may take. */
export const STORE_TIMEOUT_MS = 2000;

const log = getLogger(["awmg", "store"]);

/** A Lua script run by its SHA-1 (sent once per connection, not with every call). */
export interface Script {
  readonly text: string;
  readonly sha: string;
}

/** A script of `text`, its digest computed once. */
export async function script(text: string): Promise<Script> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return { text, sha: hex(new Uint8Array(digest)) };
}

/** The shared store's connection. */
export class Store {
  readonly #client: RedisClientType;
  readonly #where: string;
  /** Connected once: the first connection's failure is the start's error, not a log line. */
  #connected = false;
  #down = false;

  private constructor(client: RedisClientType, where: string) {
    this.#client = client;
    this.#where = where;
    client.on("error", (error: Error) => {
      if (!this.#connected || this.#down) return;
      this.#down = true;
      log.error("The store {store} is unreachable: {detail}; guarded calls are refused until it is back", {
        store: where,
        detail: error.message,
      });
    });
    client.on("ready", () => {
      if (!this.#down) return;
      this.#down = false;
      log.info("The store {store} answers again", { store: where });
    });
  }

  /** Connects to `url` (redis:// or rediss://); rejects with a StoreFailure naming the store and why. */
  static async connect(url: string): Promise<Store> {
    const where = shownUrl(url);
    const client = createClient({
      url,
      disableOfflineQueue: true,
      commandOptions: { timeout: STORE_TIMEOUT_MS, rejectInFlight: true },
      socket: {
        connectTimeout: STORE_TIMEOUT_MS,
        // The first connection fails the start at once; a connection lost later is tried again for good.
        reconnectStrategy: (retries: number, cause: Error) =>
          store.#connected ? Math.min(100 * 2 ** retries, 1000) : cause,
      },
    }) as unknown as RedisClientType;
    const store = new Store(client, where);
    try {
      await client.connect();
      store.#connected = true;
    } catch (error) {
      client.destroy();
      throw new StoreFailure(`cannot reach the store ${where}: ${(error as Error).message}`);
    }
    return store;
  }

  /** Runs a script with its keys and arguments; a StoreFailure when the store does not answer. */
  async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      try {
        return await this.#client.evalSha(script.sha, { keys: [...keys], arguments: [...args] });
      } catch (error) {
        if (!(error as Error).message?.startsWith("NOSCRIPT")) throw error;
        return await this.#client.eval(script.text, { keys: [...keys], arguments: [...args] });
      }
    } catch (error) {
      throw new StoreFailure(`the store ${this.#where} did not answer: ${(error as Error).message}`);
    }
  }

  /** Closes the connection, dropping what is unsent. */
  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }
}
