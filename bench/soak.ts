/**
 * `deno task bench --soak MINUTES`: c16 against awmg for the given time with session churn (each worker
 * opens a new session every 100 calls and deletes only every other one), sampling the gateway's memory, open
 * descriptors and child processes every 10 s. Writes bench/results/soak.json, soak.md and soak.svg.
 */
import { HttpClient } from "./clients.ts";
import { AUTH, rssKb, startAwmg } from "./process.ts";

/** One sample of the gateway's resources. */
export interface SoakSample {
  /** Seconds since the load started. */
  readonly at: number;
  readonly rssMb: number;
  /** Anonymous resident memory (the JS heap lives there), MB. */
  readonly anonMb: number;
  readonly fds: number;
  readonly children: number;
  readonly calls: number;
  readonly sessions: number;
}

const SAMPLE_MS = 10_000;
const WORKERS = 16;
const CALLS_PER_SESSION = 100;

async function run(command: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(stdout);
}

async function sample(pid: number, at: number, calls: number, sessions: number): Promise<SoakSample> {
  const status = await run("cat", [`/proc/${pid}/status`]);
  const anonKb = Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  const fds = (await run("ls", [`/proc/${pid}/fd`])).split("\n").filter((line) => line !== "").length;
  const table = (await run("ps", ["-eo", "pid=,ppid="])).trim().split("\n").map((line) =>
    line.trim().split(/\s+/)
  );
  const descendants = new Set<string>([String(pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of table) {
      if (descendants.has(parent) && !descendants.has(child)) {
        descendants.add(child);
        grew = true;
      }
    }
  }
  return {
    at,
    rssMb: (await rssKb(pid)) / 1024,
    anonMb: anonKb / 1024,
    fds,
    children: descendants.size - 1,
    calls,
    sessions,
  };
}

/** A small line plot of RSS and descriptors over time, as SVG text. */
function plot(samples: readonly SoakSample[]): string {
  const width = 640, height = 240, pad = 40;
  const last = samples.at(-1)?.at ?? 1;
  const maxRss = Math.max(...samples.map((s) => s.rssMb)) * 1.1;
  const maxFds = Math.max(...samples.map((s) => s.fds)) * 1.1;
  const x = (at: number) => pad + (at / last) * (width - 2 * pad);
  const line = (value: (s: SoakSample) => number, max: number) =>
    samples.map((s) =>
      `${x(s.at).toFixed(1)},${(height - pad - (value(s) / max) * (height - 2 * pad)).toFixed(1)}`
    )
      .join(" ");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#888"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#888"/>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line((s) => s.rssMb, maxRss)}"/>`,
    `<polyline fill="none" stroke="#d62728" stroke-width="2" points="${line((s) => s.fds, maxFds)}"/>`,
    `<text x="${pad}" y="${pad - 10}" fill="#1f77b4">RSS (max ${maxRss.toFixed(0)} MB on the axis)</text>`,
    `<text x="${width / 2}" y="${pad - 10}" fill="#d62728">open descriptors (max ${
      maxFds.toFixed(0)
    })</text>`,
    `<text x="${width - pad}" y="${height - pad + 15}" text-anchor="end">${
      (last / 60).toFixed(1)
    } min</text>`,
    `<text x="${pad}" y="${height - pad + 15}">0</text>`,
    "</svg>",
  ].join("\n");
}

/** Runs the soak against the config's `everything` server and returns its samples with a verdict. */
export async function soak(config: string, minutes: number, logDir: string) {
  const awmg = await startAwmg(config, ["--log-dir", logDir, "--payload-size-threshold", "1048576"]);
  const samples: SoakSample[] = [];
  const started = performance.now();
  const end = started + minutes * 60_000;
  let calls = 0, errors = 0, sessions = 0;
  const url = `${awmg.url}/mcp/everything`;
  const workers = Array.from({ length: WORKERS }, async (_, worker) => {
    let opened = 0;
    while (performance.now() < end) {
      const client = await HttpClient.open(url, AUTH);
      sessions++;
      for (let i = 0; i < CALLS_PER_SESSION && performance.now() < end; i++) {
        const message = `soak-${worker}-${calls}`;
        try {
          if ((await client.call("echo", { message })) === `Echo: ${message}`) calls++;
          else errors++;
        } catch {
          errors++;
        }
      }
      if (opened++ % 2 === 0) await client.close();
    }
  });
  const sampler = (async () => {
    while (performance.now() < end) {
      samples.push(await sample(awmg.pid, (performance.now() - started) / 1000, calls, sessions));
      console.error(
        `soak ${samples.at(-1)!.at.toFixed(0)}s: RSS ${samples.at(-1)!.rssMb.toFixed(0)} MB, ` +
          `fds ${samples.at(-1)!.fds}, children ${samples.at(-1)!.children}, calls ${calls}`,
      );
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  await Promise.all([...workers, sampler]);
  samples.push(await sample(awmg.pid, (performance.now() - started) / 1000, calls, sessions));
  await awmg.stop();
  const baseline = samples.find((s) => s.at >= 60) ?? samples[0];
  const final = samples.at(-1)!;
  const within = (a: number, b: number) => Math.abs(a - b) <= 0.1 * b;
  return {
    minutes,
    calls,
    errors,
    sessions,
    samples,
    baseline,
    final,
    flat: within(final.rssMb, baseline.rssMb) && within(final.fds, baseline.fds),
    svg: plot(samples),
  };
}
