/**
 * Starting awmg for a benchmark cell and reading its resource use from /proc (through `cat`: Deno treats
 * /proc as privileged, so a child reads it).
 */

import { AWMG } from "../tests/support/awmg.ts";

/** The repository root. */
export const ROOT = new URL("../", import.meta.url).pathname;

/** Reads a /proc file of a process. */
async function proc(pid: number, file: string): Promise<string> {
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/${file}`],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  return new TextDecoder().decode(stdout);
}

/** Peak resident memory (VmHWM) in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const kb = /VmHWM:\s+(\d+) kB/.exec(await proc(pid, "status"))?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

/** Current resident memory (VmRSS) in KB. */
export async function rssKb(pid: number): Promise<number> {
  const kb = /VmRSS:\s+(\d+) kB/.exec(await proc(pid, "status"))?.[1];
  return kb === undefined ? NaN : Number(kb);
}

/** User + system CPU time in ms (10 ms ticks). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await proc(pid, "stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The API key every benchmarked gateway runs with: auth stays on, as in production. */
export const BENCH_KEY = "awmg-bench-key";
/** The header that carries it. */
export const AUTH = { authorization: BENCH_KEY } as const;

/** A running awmg. */
export interface RunningAwmg {
  readonly pid: number;
  readonly url: string;
  /** Milliseconds from spawn to /health answering. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** A loopback port free at the time of asking. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts awmg on a fresh loopback port with the given config and flags, waiting for /health. */
export async function startAwmg(configPath: string, flags: string[]): Promise<RunningAwmg> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...AWMG.slice(1),
      "--config",
      configPath,
      "--listen",
      `127.0.0.1:${port}`,
      ...flags,
    ],
    cwd: ROOT,
    env: { MCP_GATEWAY_API_KEY: BENCH_KEY },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(`${url}/health`);
      await response.body?.cancel();
      return {
        pid: child.pid,
        url,
        startupMs: performance.now() - started,
        stop: async () => {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  child.kill("SIGKILL");
  throw new Error("awmg did not start");
}
