/**
 * Replicas of awmg sharing a real redis-server, and HAProxy in front of them with examples/haproxy-replicas.cfg,
 * all on loopback: what tests/e2e/replicas_test.ts runs.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ROOT } from "./awmg.ts";
import { freePort, type RunningGateway, startGateway } from "./gateway.ts";
import { RunningRedis } from "./redis.ts";
import { tempFile } from "./temp.ts";

/** The state key every replica of a test shares. */
export const STATE_KEY = "0123456789abcdef0123456789abcdef-test";

/** Whether haproxy can run here. */
export const hasHaproxy = await new Deno.Command("haproxy", { args: ["-v"], stdout: "null", stderr: "null" })
  .output().then((r) => r.success, () => false);

/** Starts replica `id` of `toml` (its [gateway] section gets the store) beside the others of `redis`. */
export function startReplica(
  id: string,
  redis: RunningRedis,
  toml: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningGateway> {
  return startGateway({
    toml: `[gateway]\nstore = "${redis.url}"\n\n${toml}`,
    args: options.args,
    env: { MCP_GATEWAY_STATE_KEY: STATE_KEY, MCP_GATEWAY_REPLICA_ID: id, ...options.env },
  });
}

/** The live replicas `gateway`'s /health lists, by name. */
export async function liveReplicas(gateway: RunningGateway): Promise<string[]> {
  const health = await (await fetch(`${gateway.url}/health`)).json() as { replicas?: { id: string }[] };
  return (health.replicas ?? []).map((replica) => replica.id).sort();
}

/** Waits until every replica lists all of them. */
export async function allJoined(replicas: readonly RunningGateway[], ids: readonly string[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const lists = await Promise.all(replicas.map(liveReplicas));
    if (lists.every((list) => JSON.stringify(list) === JSON.stringify([...ids].sort()))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the replicas did not all see each other: ${ids.join(", ")}`);
}

/** HAProxy with the example config, its front and replica ports replaced. */
export class RunningHaproxy {
  readonly port = freePort();
  #child?: Deno.ChildProcess;

  /** Its base URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts it in front of `replicas` (r1, r2, r3 in order) and waits until it serves each. */
  async start(replicas: readonly RunningGateway[]): Promise<this> {
    let text = await Deno.readTextFile(`${ROOT}examples/haproxy-replicas.cfg`);
    const replace = (from: string, to: string) => {
      assert.ok(text.includes(from), `examples/haproxy-replicas.cfg no longer has "${from}"`);
      text = text.replace(from, to);
    };
    replace("bind :8080", `bind 127.0.0.1:${this.port}`);
    replicas.forEach((replica, i) => replace(`127.0.0.1:800${i + 1}`, `127.0.0.1:${replica.port}`));
    const config = await tempFile(text, ".cfg");
    this.#child = new Deno.Command("haproxy", { args: ["-db", "-f", config], stdout: "null", stderr: "null" })
      .spawn();
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${this.url}/health`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }, () => false);
      if (ok) return this;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("HAProxy did not serve");
  }

  /** A connected SDK 1.x client of `server` through the front, and its transport (for DELETE). */
  async client(server: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new Client({ name: "front-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${this.url}/mcp/${server}`));
    await client.connect(transport);
    return { client, transport };
  }

  /** Stops it. */
  async stop(): Promise<void> {
    this.#child?.kill("SIGKILL");
    await this.#child?.status;
  }
}
