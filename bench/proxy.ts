/**
 * What `awmg proxy` costs: the p50 of a judged REST call (`GET /repos/octo/public-repo/issues/1`, GitHub's
 * guard labelling it before and after) through the proxy beside the same call straight to the local API
 * imitation, and a 100 MB artifact download through it with the proxy's RSS before and at its peak (goal: the
 * download costs under 20 MB). Needs GitHub's guard module in ../shared/guards/github-guard.
 */
import { githubImitation } from "../tests/support/github_imitation.ts";
import { percentiles } from "./load.ts";
import { freePort, peakRssMb, ROOT, rssKb } from "./process.ts";

const GUARD = `${ROOT}../shared/guards/github-guard/github_guard.wasm`;

/** One measured row. */
export interface ProxyRow {
  readonly case: string;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly mbPerSecond?: number;
  readonly rssBeforeMb?: number;
  readonly rssPeakMb?: number;
}

async function timed(calls: number, call: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  const latencies = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    latencies[i] = performance.now() - started;
  }
  return percentiles(latencies);
}

/** Runs the proxy cases. */
export async function proxyFigures(calls = 300): Promise<ProxyRow[]> {
  await Deno.stat(GUARD).catch(() => {
    throw new Error(`${GUARD} is missing: the proxy bench needs GitHub's guard module`);
  });
  const api = githubImitation();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-P=gateway",
      `${ROOT}main.ts`,
      "proxy",
      "--guard-wasm",
      GUARD,
      "--policy",
      '{"allow-only":{"repos":"public","min-integrity":"approved"}}',
      "--github-api-url",
      api.url,
      "--listen",
      `127.0.0.1:${port}`,
      "--log-dir",
      "/tmp/gh-aw/mcp-logs/bench-proxy",
    ],
    env: { GITHUB_TOKEN: "bench-token" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const proxy = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    const up = await fetch(`${proxy}/health`).then(async (r) => (await r.body?.cancel(), r.ok), () => false);
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const get = (base: string) => async () => {
    const answer = await fetch(`${base}/repos/octo/public-repo/issues/1`);
    if (answer.status !== 200 || (await answer.json()).number !== 1) {
      throw new Error(`${base}: a wrong answer`);
    }
  };
  const rows: ProxyRow[] = [];
  try {
    await timed(20, get(proxy));
    const direct = await timed(calls, get(api.url));
    rows.push({ case: "REST issue, direct to the API", p50Ms: direct.p50, p99Ms: direct.p99 });
    const through = await timed(calls, get(proxy));
    rows.push({ case: "REST issue, through the proxy (judged)", p50Ms: through.p50, p99Ms: through.p99 });
    const before = (await rssKb(child.pid)) / 1024;
    const size = 100 * 1024 * 1024;
    const started = performance.now();
    const download = await fetch(`${proxy}/repos/octo/public-repo/actions/artifacts/1/zip?size=${size}`);
    let received = 0;
    for await (const chunk of download.body!) received += chunk.length;
    if (received !== size) throw new Error(`the download gave ${received} bytes of ${size}`);
    const seconds = (performance.now() - started) / 1000;
    rows.push({
      case: "100 MB artifact through the proxy (streamed)",
      mbPerSecond: 100 / seconds,
      rssBeforeMb: before,
      rssPeakMb: await peakRssMb(child.pid),
    });
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await api.close();
  }
  for (const row of rows) console.error(JSON.stringify(row));
  return rows;
}

/** The rows as a Markdown table. */
export function proxyTable(rows: readonly ProxyRow[]): string {
  const fmt = (n: number | undefined, digits = 1) => n === undefined ? "–" : n.toFixed(digits);
  return [
    "| case | p50 ms | p99 ms | MB/s | RSS before MB | RSS peak MB |",
    "|---|--:|--:|--:|--:|--:|",
    ...rows.map((r) =>
      `| ${r.case} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.mbPerSecond)} | ${
        fmt(r.rssBeforeMb)
      } | ${fmt(r.rssPeakMb)} |`
    ),
  ].join("\n");
}
