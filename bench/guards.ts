/**
 * What guard policies cost: echo on an unguarded server with and without a guarded server beside it (the
 * unguarded path must not notice), and `get_issue` on the issues fixture without and with the test guard
 * (label_agent once per session; label_resource with a call_backend round trip and label_response per call).
 * Needs the test guard built (`deno task build:guard`).
 */
import { HttpClient } from "./clients.ts";
import { percentiles, runLoad } from "./load.ts";
import { AUTH, cpuMs, ROOT, startAwmg } from "./process.ts";

/** One measured cell. */
export interface GuardRow {
  readonly target: string;
  readonly concurrency: number;
  readonly callsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerCall: number;
  readonly errors: number;
  readonly mismatches: number;
}

const GUARD = `${ROOT}tests/fixtures/test_guard/test_guard.wasm`;

function server(id: string, argv: readonly string[], extra = ""): string {
  return `[servers.${id}]\ncommand = ${JSON.stringify(Deno.execPath())}\nargs = ${
    JSON.stringify(argv)
  }\n${extra}`;
}

const ISSUES = ["run", "--quiet", "--allow-env", "--allow-read", `${ROOT}tests/fixtures/issues_server.ts`];
const POLICY =
  'guard = "test"\nguard_policies = { allow-only = { repos = "public", min-integrity = "none" } }\n';

/** The test guard and the issues fixture it guards, as config text; throws when the guard is not built. */
export async function guardedIssues(): Promise<string> {
  await Deno.stat(GUARD).catch(() => {
    throw new Error(`${GUARD} is missing: run deno task build:guard first`);
  });
  return `[guards.test]\ntype = "wasm"\npath = ${JSON.stringify(GUARD)}\n` + server("issues", ISSUES, POLICY);
}

/** The call a cell makes: echo, or get_issue of the issues fixture with its answer checked. */
export type CellTool = "echo" | "get_issue";

/** One measured cell: awmg started on `configText`, `path`'s endpoint loaded with `tool` at `concurrency`. */
export async function measureCell(
  target: string,
  configText: string,
  path: string,
  tool: CellTool,
  concurrency: number,
  timing: { seconds: number; warmupSeconds: number },
  logDir: string,
): Promise<GuardRow> {
  const config = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(config, configText);
  const awmg = await startAwmg(config, ["--log-dir", logDir]);
  const client = await HttpClient.open(`${awmg.url}/mcp/${path}`, AUTH);
  const before = await cpuMs(awmg.pid);
  const result = await runLoad(client, {
    ...timing,
    concurrency,
    payloadBytes: 16,
    tool,
    ...(tool === "get_issue"
      ? {
        args: (message: string) => ({ owner: "octo", repo: "public-y", number: 1, message }),
        check: (_message: string, answer: string) => answer.includes('"number":1'),
      }
      : {}),
  });
  const cpu = await cpuMs(awmg.pid) - before;
  const { p50, p99 } = percentiles(result.latencies);
  const row = {
    target,
    concurrency,
    callsPerSecond: result.calls / result.seconds,
    p50,
    p99,
    cpuUsPerCall: (cpu * 1000) / Math.max(1, result.calls),
    errors: result.errors,
    mismatches: result.mismatches,
  };
  console.error(`${target} c${concurrency}: ${row.callsPerSecond.toFixed(0)} calls/s`);
  await client.close();
  await awmg.stop();
  await Deno.remove(config);
  return row;
}

/** Runs the guard cases; `everything` is server-everything's argv under Deno. */
export async function guardFigures(
  everything: readonly string[],
  logDir: string,
  timing: { seconds: number; warmupSeconds: number },
): Promise<GuardRow[]> {
  const guarded = await guardedIssues();
  const configs = {
    plain: server("everything", everything) + server("issues", ISSUES),
    guarded: server("everything", everything) + guarded,
  };
  // The two echo cases run twice, interleaved: their difference is the unguarded path's cost, within noise.
  const echo = [
    { target: "echo, no guards", config: "plain", path: "everything", tool: "echo" },
    { target: "echo, beside a guarded server", config: "guarded", path: "everything", tool: "echo" },
  ] as const;
  const cases = [
    ...echo,
    ...echo,
    { target: "get_issue, unguarded", config: "plain", path: "issues", tool: "get_issue" },
    { target: "get_issue, guarded", config: "guarded", path: "issues", tool: "get_issue" },
  ] as const;
  const rows: GuardRow[] = [];
  for (const item of cases) {
    for (const concurrency of [1, 16]) {
      rows.push(
        await measureCell(
          item.target,
          configs[item.config],
          item.path,
          item.tool,
          concurrency,
          timing,
          logDir,
        ),
      );
    }
  }
  return rows;
}
/** The Markdown table of the guard cases. */
export function guardTable(rows: readonly GuardRow[]): string {
  const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : "-";
  return [
    "| case | C | calls/s | p50 ms | p99 ms | gateway CPU µs/call | errors |",
    "|---|--:|--:|--:|--:|--:|--:|",
    ...rows.map((r) =>
      `| ${r.target} | ${r.concurrency} | ${fmt(r.callsPerSecond)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${
        fmt(r.cpuUsPerCall)
      } | ${r.errors + r.mismatches} |`
    ),
  ].join("\n");
}
