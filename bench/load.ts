/**
 * The load: C workers sharing one client, each calling the echo tool with a unique message one call after
 * another, every answer checked.
 */
import type { ToolClient } from "./clients.ts";

/** What one measured cell produced. */
export interface LoadResult {
  readonly calls: number;
  readonly errors: number;
  readonly mismatches: number;
  readonly seconds: number;
  readonly latencies: Float64Array;
}

/** How to load a client. */
export interface LoadPlan {
  readonly concurrency: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly payloadBytes: number;
  readonly tool: string;
  /** The arguments of a call carrying `message`; defaults to `{ message }`. */
  readonly args?: (message: string) => Record<string, unknown>;
  /** Checks an answer to `message`; defaults to the echo tool's `Echo: <message>`. */
  readonly check?: (message: string, answer: string) => boolean;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** p50 and p99 in milliseconds. */
export function percentiles(latencies: Float64Array): { p50: number; p99: number } {
  const sorted = latencies.slice().sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Runs the plan against the client: a warm-up, then the measured phase. */
export async function runLoad(client: ToolClient, plan: LoadPlan): Promise<LoadResult> {
  const check = plan.check ?? ((message, answer) => answer === `Echo: ${message}`);
  const filler = "x".repeat(Math.max(0, plan.payloadBytes - 32));
  let sequence = 0;
  const phase = async (seconds: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    let mismatches = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: plan.concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const message = `w${worker}-${++sequence}-${filler}`;
        const started = performance.now();
        try {
          const answer = await client.call(plan.tool, plan.args?.(message) ?? { message });
          if (!check(message, answer)) mismatches++;
          else if (record) latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }));
    return { latencies, errors, mismatches };
  };
  await phase(plan.warmupSeconds, false);
  const started = performance.now();
  const measured = await phase(plan.seconds, true);
  const seconds = (performance.now() - started) / 1000;
  return {
    calls: measured.latencies.length,
    errors: measured.errors,
    mismatches: measured.mismatches,
    seconds,
    latencies: Float64Array.from(measured.latencies),
  };
}
