/**
 * The gateway's peak memory under each hostile case of the security issue, each on a fresh gateway: a
 * backend line far over the message limit, a backend that stops reading stdin, a notification flood to a
 * client that never reads, and bursts of `initialize` that never end their sessions.
 */
import { AUTH, peakRssMb, startAwmg } from "./process.ts";

/** One hostile case: what was done and the gateway's peak RSS afterwards. */
export interface HostileRow {
  readonly scenario: string;
  readonly peakRssMb: number;
  readonly note: string;
}

const ROOT = new URL("../", import.meta.url).pathname;

function hostileConfig(everything: readonly string[]): string {
  const hostile = [
    "run",
    "--quiet",
    "--allow-env",
    "--allow-read",
    `${ROOT}tests/fixtures/hostile_server.ts`,
  ];
  return `[servers.hostile]\ncommand = ${JSON.stringify(Deno.execPath())}\nargs = ${
    JSON.stringify(hostile)
  }\n` +
    `[servers.everything]\ncommand = ${JSON.stringify(Deno.execPath())}\nargs = ${
      JSON.stringify(everything)
    }\n`;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { ...AUTH, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});
const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "burst", version: "1" } },
};

/** Runs every hostile case against `everything` (the server-everything argv) and returns the figures. */
export async function hostileFigures(everything: readonly string[], logDir: string): Promise<HostileRow[]> {
  const config = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(config, hostileConfig(everything));
  const rows: HostileRow[] = [];
  const run = async (scenario: string, note: string, attack: (url: string) => Promise<void>) => {
    const awmg = await startAwmg(config, ["--log-dir", logDir]);
    await attack(awmg.url);
    const echo = await post(`${awmg.url}/mcp/everything`, call(1, "echo", { message: "ok" }));
    if (!(await echo.text()).includes("Echo: ok")) {
      throw new Error(`${scenario}: the other server stopped answering`);
    }
    rows.push({ scenario, peakRssMb: await peakRssMb(awmg.pid), note });
    console.error(`hostile ${scenario}: peak RSS ${rows.at(-1)!.peakRssMb.toFixed(0)} MB`);
    await awmg.stop();
  };

  await run("idle", "both servers up, no traffic", async () => {});
  await run("oversized line", "the backend writes one 300 MB line (limit 64 MiB)", async (url) => {
    await (await post(`${url}/mcp/hostile`, call(1, "huge", { bytes: 300 * 1024 * 1024 }))).body?.cancel();
  });
  const burst = async (url: string) => {
    const big = "b".repeat(256 * 1024);
    const answers = Array.from(
      { length: 200 },
      (_, i) => post(`${url}/mcp/hostile`, call(i + 2, "raw", { big })).then((r) => r.body?.cancel()),
    );
    await Promise.race([Promise.all(answers), new Promise((resolve) => setTimeout(resolve, 3000))]);
  };
  await run(
    "burst (healthy)",
    "200 concurrent calls of 256 KiB, answered in full: the baseline for the next",
    burst,
  );
  await run("deaf backend", "the backend stops reading stdin; the same 200 calls follow", async (url) => {
    await (await post(`${url}/mcp/hostile`, call(1, "deaf"))).body?.cancel();
    await burst(url);
  });
  /** `count` log notifications of 64 KiB from a backend, with one 2025 client whose GET stream is never read. */
  const flood = (count: number) => async (url: string) => {
    const init = await post(`${url}/mcp/hostile`, initialize);
    const session = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const stream = await fetch(`${url}/mcp/hostile`, {
      headers: { ...AUTH, "mcp-session-id": session, accept: "text/event-stream" },
    });
    await (await post(`${url}/mcp/hostile`, call(2, "flood", { count }), { "mcp-session-id": session }))
      .body?.cancel();
    await stream.body?.cancel().catch(() => {});
  };
  await run("unread stream", "1,000 notifications of 64 KiB to a GET stream never read", flood(1000));
  await run(
    "log flood",
    "200 MB of notifications/message (3,200 of 64 KiB), the GET stream never read",
    flood(3200),
  );
  for (const count of [10_000, 20_000]) {
    await run(`${count} sessions`, `${count} initialize without DELETE (bound: 10,000)`, async (url) => {
      for (let sent = 0; sent < count; sent += 50) {
        await Promise.all(
          Array.from(
            { length: 50 },
            () => post(`${url}/mcp/everything`, initialize).then((r) => r.body?.cancel()),
          ),
        );
      }
    });
  }
  await Deno.remove(config);
  return rows;
}
