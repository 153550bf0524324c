/**
 * `deno task bench --replicas N`: calls per second and p50 of 2026-07-28 echo calls for 1..N replicas behind
 * HAProxy (examples/haproxy-replicas.cfg), sharing a redis-server, each replica's process tree capped at a quarter
 * of a CPU (a cgroup v1 `cpu` quota) so the figure shows scaling rather than the two-core machine; then what a
 * guarded call costs with its labels in Redis beside in memory. Where no cgroup can be made the replicas run
 * uncapped, and the table says so.
 */
import { HttpClient } from "./clients.ts";
import { percentiles, runLoad } from "./load.ts";
import { guardedIssues, type GuardRow, measureCell } from "./guards.ts";
import { AUTH, BENCH_KEY, freePort, ROOT } from "./process.ts";
import { AWMG } from "../tests/support/awmg.ts";

/** One measured cell. */
export interface ReplicaRow {
  readonly target: string;
  readonly concurrency: number;
  readonly callsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

const STATE_KEY = "bench-state-key-0123456789abcdef0123";
const CPU_QUOTA_US = 25_000;

/** Runs a shell command; whether it succeeded. (Deno's own file calls refuse /sys without --allow-all.) */
async function shell(command: string): Promise<boolean> {
  const { success } = await new Deno.Command("sh", { args: ["-c", command], stdout: "null", stderr: "null" })
    .output();
  return success;
}

/** A cgroup capping a process tree at a quarter of a CPU; undefined where cgroups cannot be made. */
async function cpuCap(name: string): Promise<string | undefined> {
  const dir = `/sys/fs/cgroup/cpu/${name}`;
  return await shell(`mkdir ${dir} && echo ${CPU_QUOTA_US} > ${dir}/cpu.cfs_quota_us`) ? dir : undefined;
}

/** A process started by `sh`, first moved into `cgroup` (so the backends it launches are capped too). */
function spawnIn(cgroup: string | undefined, argv: string[], env: Record<string, string>): Deno.ChildProcess {
  const enter = cgroup === undefined ? "" : `echo $$ > ${cgroup}/cgroup.procs && `;
  return new Deno.Command("sh", {
    args: ["-c", `${enter}exec "$@"`, "sh", ...argv],
    cwd: ROOT,
    env,
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const up = await fetch(url).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer`);
}

/** HAProxy with the example config in front of `ports`; its port. */
async function startFront(ports: number[]): Promise<{ port: number; child: Deno.ChildProcess }> {
  const port = freePort();
  const example = await Deno.readTextFile(`${ROOT}examples/haproxy-replicas.cfg`);
  const servers = ports.map((p, i) => `  server r${i + 1} 127.0.0.1:${p}`).join("\n");
  const text = example.replace("bind :8080", `bind 127.0.0.1:${port}`)
    .replace(/( {2}server r\d 127\.0\.0\.1:\d+\n?)+/, `${servers}\n`);
  const config = await Deno.makeTempFile({ suffix: ".cfg" });
  await Deno.writeTextFile(config, text);
  const child = new Deno.Command("haproxy", { args: ["-db", "-f", config], stdout: "null", stderr: "null" })
    .spawn();
  await waitFor(`http://127.0.0.1:${port}/health`);
  return { port, child };
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await child.status;
}

/** Replicas 1..max behind HAProxy, c16 each; then a guarded call with labels in memory and in Redis. */
export async function replicaFigures(
  everything: readonly string[],
  max: number,
  timing: { seconds: number; warmupSeconds: number },
): Promise<{ capped: boolean; rows: ReplicaRow[]; guarded: GuardRow[] }> {
  const redisPort = freePort();
  const redis = new Deno.Command("redis-server", {
    args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const store = `redis://127.0.0.1:${redisPort}`;
  const rows: ReplicaRow[] = [];
  let guarded: GuardRow[] = [];
  let capped = true;
  try {
    for (let count = 1; count <= max; count++) {
      const row = await scaled(everything, store, count, timing);
      capped &&= row.capped;
      rows.push(row.row);
    }
    guarded = await guardedCost(store, timing);
  } finally {
    await stop(redis);
  }
  return { capped, rows, guarded };
}

async function scaled(
  everything: readonly string[],
  store: string,
  count: number,
  timing: { seconds: number; warmupSeconds: number },
): Promise<{ capped: boolean; row: ReplicaRow }> {
  const config = await Deno.makeTempFile({ suffix: ".toml" });
  await Deno.writeTextFile(
    config,
    `[gateway]\nstore = "${store}"\n\n[servers.everything]\ncommand = ${
      JSON.stringify(Deno.execPath())
    }\nargs = ${JSON.stringify(everything)}\n`,
  );
  const replicas: Deno.ChildProcess[] = [];
  const cgroups: string[] = [];
  const ports: number[] = [];
  let front: { port: number; child: Deno.ChildProcess } | undefined;
  try {
    for (let i = 1; i <= count; i++) {
      const cgroup = await cpuCap(`awmg-bench-${crypto.randomUUID().slice(0, 8)}`);
      if (cgroup !== undefined) cgroups.push(cgroup);
      const port = freePort();
      ports.push(port);
      replicas.push(
        spawnIn(cgroup, [
          ...AWMG,
          "--config",
          config,
          "--listen",
          `127.0.0.1:${port}`,
          "--log-dir",
          `/tmp/gh-aw/mcp-logs/bench-r${i}`,
        ], {
          MCP_GATEWAY_API_KEY: BENCH_KEY,
          MCP_GATEWAY_STATE_KEY: STATE_KEY,
          MCP_GATEWAY_REPLICA_ID: `r${i}`,
        }),
      );
    }
    await Promise.all(ports.map((port) => waitFor(`http://127.0.0.1:${port}/health`)));
    front = await startFront(ports);
    const client = await HttpClient.open(`http://127.0.0.1:${front.port}/mcp/everything`, AUTH, "2026-07-28");
    const result = await runLoad(client, { ...timing, concurrency: 16, payloadBytes: 16, tool: "echo" });
    await client.close();
    const { p50, p99 } = percentiles(result.latencies);
    console.error(`${count} replica(s): ${(result.calls / result.seconds).toFixed(0)} calls/s`);
    return {
      capped: cgroups.length === count,
      row: {
        target: `${count} replica${count === 1 ? "" : "s"} behind HAProxy`,
        concurrency: 16,
        callsPerSecond: result.calls / result.seconds,
        p50,
        p99,
        errors: result.errors + result.mismatches,
      },
    };
  } finally {
    if (front !== undefined) await stop(front.child);
    await Promise.all(replicas.map(stop));
    // A cgroup is removed once empty; a backend still exiting keeps it a moment longer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const cgroup of cgroups) await shell(`rmdir ${cgroup}`);
    await Deno.remove(config);
  }
}

/**
 * get_issue on the guarded issues fixture, its agent's labels in memory and in Redis, each twice, interleaved:
 * one run of either moves by a third on this machine (2026-12-07), as much as the store changes.
 */
async function guardedCost(
  store: string,
  timing: { seconds: number; warmupSeconds: number },
): Promise<GuardRow[]> {
  const server = await guardedIssues();
  const cases = [
    ["labels in memory", ""],
    ["labels in Redis", `[gateway]\nstore = "${store}"\nstate_key = "${STATE_KEY}"\n\n`],
  ] as const;
  const rows: GuardRow[] = [];
  for (const [target, gateway] of [...cases, ...cases]) {
    for (const concurrency of [1, 16]) {
      rows.push(
        await measureCell(
          `guarded get_issue, ${target}`,
          gateway + server,
          "issues",
          "get_issue",
          concurrency,
          timing,
          "/tmp/gh-aw/mcp-logs/bench-guarded",
        ),
      );
    }
  }
  return rows;
}

/** The Markdown table of the replica cases. */
export function replicaTable(rows: readonly ReplicaRow[]): string {
  const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : "-";
  return [
    "| case | C | calls/s | p50 ms | p99 ms | errors |",
    "|---|--:|--:|--:|--:|--:|",
    ...rows.map((r) =>
      `| ${r.target} | ${r.concurrency} | ${fmt(r.callsPerSecond)} | ${fmt(r.p50, 2)} | ${
        fmt(r.p99, 2)
      } | ${r.errors} |`
    ),
  ].join("\n");
}
