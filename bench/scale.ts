/**
 * Scale: unified mode over 1, 10 and 50 backends (start-up, memory, one tools/list fan-out with name
 * prefixing), and 1,000 sessions opened at once, each making one call. Gives the cost per added backend and
 * per session.
 */
import { HttpClient } from "./clients.ts";
import { AUTH, rssKb, startAwmg } from "./process.ts";

/** The figures of one unified gateway. */
export interface BackendScaleRow {
  readonly backends: number;
  readonly startupMs: number;
  readonly rssMb: number;
  readonly toolsListMs: number;
  readonly tools: number;
}

/** What the scale run found. */
export interface ScaleResult {
  readonly rows: readonly BackendScaleRow[];
  /** MB of gateway RSS and ms of start-up each backend adds (from the smallest to the largest count). */
  readonly perBackend: { readonly rssMb: number; readonly startupMs: number };
  readonly sessions: {
    readonly count: number;
    readonly seconds: number;
    readonly errors: number;
    /** KB of gateway RSS each open session adds. */
    readonly kbPerSession: number;
  };
}

const BACKEND_COUNTS = [1, 10, 50];
const SESSIONS = 1000;

function servers(count: number, argv: readonly string[]): string {
  const command = JSON.stringify(Deno.execPath());
  return Array.from(
    { length: count },
    (_, i) => `[servers.s${i}]\ncommand = ${command}\nargs = ${JSON.stringify(argv)}\n`,
  )
    .join("");
}

/** Runs the scale cases against server-everything started with `argv` (under Deno). */
export async function scaleFigures(argv: readonly string[], logDir: string): Promise<ScaleResult> {
  const rows: BackendScaleRow[] = [];
  for (const backends of BACKEND_COUNTS) {
    const config = await Deno.makeTempFile({ suffix: ".toml" });
    await Deno.writeTextFile(config, servers(backends, argv));
    const awmg = await startAwmg(config, ["--log-dir", logDir, "--unified"]);
    const rssMb = (await rssKb(awmg.pid)) / 1024;
    const started = performance.now();
    const response = await fetch(`${awmg.url}/mcp`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    const tools = ((await response.json()).result?.tools ?? []).length;
    rows.push({
      backends,
      startupMs: awmg.startupMs,
      rssMb,
      toolsListMs: performance.now() - started,
      tools,
    });
    console.error(`scale ${backends} backends: startup ${awmg.startupMs.toFixed(0)} ms, ${tools} tools`);
    await awmg.stop();
    await Deno.remove(config);
  }
  const [first, last] = [rows[0], rows.at(-1)!];
  const added = last.backends - first.backends;

  const config = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(config, servers(1, argv));
  const awmg = await startAwmg(config, ["--log-dir", logDir]);
  const before = await rssKb(awmg.pid);
  const started = performance.now();
  let errors = 0;
  const clients = await Promise.all(
    Array.from(
      { length: SESSIONS },
      () => HttpClient.open(`${awmg.url}/mcp/s0`, AUTH).catch(() => undefined),
    ),
  );
  await Promise.all(clients.map(async (client, i) => {
    if (client === undefined) return void errors++;
    const answer = await client.call("echo", { message: `s${i}` }).catch(() => "");
    if (answer !== `Echo: s${i}`) errors++;
  }));
  const seconds = (performance.now() - started) / 1000;
  const after = await rssKb(awmg.pid);
  await awmg.stop();
  await Deno.remove(config);
  return {
    rows,
    perBackend: {
      rssMb: (last.rssMb - first.rssMb) / added,
      startupMs: (last.startupMs - first.startupMs) / added,
    },
    sessions: { count: SESSIONS, seconds, errors, kbPerSession: (after - before) / SESSIONS },
  };
}

/** The scale figures as a Markdown section. */
export function scaleTable(result: ScaleResult): string {
  const { perBackend, sessions } = result;
  return [
    "Unified mode over N backends (server-everything each): start-up to /health, gateway RSS, one tools/list:",
    "",
    "| backends | startup ms | gateway RSS MB | tools/list ms | tools |",
    "|--:|--:|--:|--:|--:|",
    ...result.rows.map((r) =>
      `| ${r.backends} | ${r.startupMs.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${
        r.toolsListMs.toFixed(1)
      } | ${r.tools} |`
    ),
    "",
    `Each added backend costs ${perBackend.rssMb.toFixed(1)} MB of gateway RSS and ${
      perBackend.startupMs.toFixed(0)
    } ms of start-up (launched in parallel on this machine's cores).`,
    `${sessions.count} sessions opened at once, one call each: ${
      sessions.seconds.toFixed(2)
    } s, ${sessions.errors} errors, ` +
    `${sessions.kbPerSession.toFixed(1)} KB of gateway RSS per open session.`,
  ].join("\n");
}
