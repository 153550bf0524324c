/**
 * The digest that opens gateway.md: per server, how many requests, errors and timeouts, latency, bytes and
 * guard outcomes; then the slowest and the failed calls. Built from the same facts the logs see, in bounded
 * memory however long the run (latencies go into a fixed histogram, only the first failures are kept).
 */
import type { DecisionFacts } from "./decisions.ts";
import { markdownText, type RpcFacts } from "./format.ts";

/** Durations up to this many ms have a bucket each; above it buckets grow by GROWTH. */
const EXACT_MS = 100;
const GROWTH = 1.02;
const BUCKETS = EXACT_MS + 1 + Math.ceil(Math.log(24 * 3600_000 / EXACT_MS) / Math.log(GROWTH));
const SLOWEST = 5;
const FAILED = 20;
const ERROR_CUT = 200;
const DEFINITIONS = 20;

/** A tool definition that failed a check (pins/vetting.ts logs it under ["awmg", "pins"]). */
export interface DefinitionFacts {
  readonly kind: "tool" | "prompt";
  readonly server: string;
  readonly tool: string;
  readonly problem: string;
  /** "pins" or "scan". */
  readonly check: string;
  /** Why it is served all the same (`scan = "warn"`, "annotations are hints"); undefined: withheld. */
  readonly served?: string;
}

function bucketOf(ms: number): number {
  if (ms <= EXACT_MS) return Math.max(0, Math.floor(ms));
  return Math.min(BUCKETS - 1, EXACT_MS + 1 + Math.floor(Math.log(ms / EXACT_MS) / Math.log(GROWTH)));
}

/** The smallest duration a bucket holds: exact up to EXACT_MS, within 2 % above. */
function bucketFloor(bucket: number): number {
  return bucket <= EXACT_MS ? bucket : Math.round(EXACT_MS * GROWTH ** (bucket - EXACT_MS - 1));
}

/** One server's figures. */
interface ServerFigures {
  requests: number;
  errors: number;
  timeouts: number;
  bytesOut: number;
  bytesIn: number;
  refusals: number;
  filtered: number;
  /** How many answers took how long, by bucket. */
  readonly latency: Uint32Array;
}

/** A call the digest names: one of the slowest, or one that failed. */
interface NamedCall {
  readonly server: string;
  readonly method: string;
  readonly ms?: number;
  readonly error?: string;
  readonly at: number;
}

/** Counts what a run did, per server, for the summary's opening tables. */
export class Digest {
  readonly #servers = new Map<string, ServerFigures>();
  readonly #slowest: NamedCall[] = [];
  readonly #failed: NamedCall[] = [];
  #failures = 0;
  readonly #definitions: DefinitionFacts[] = [];
  readonly #sanitized = { results: 0, ansi: 0, tags: 0, images: 0 };
  #definitionProblems = 0;

  constructor(serverIds: readonly string[]) {
    for (const id of serverIds) this.#figures(id);
  }

  #figures(server: string): ServerFigures {
    let figures = this.#servers.get(server);
    if (figures === undefined) {
      figures = {
        requests: 0,
        errors: 0,
        timeouts: 0,
        bytesOut: 0,
        bytesIn: 0,
        refusals: 0,
        filtered: 0,
        latency: new Uint32Array(BUCKETS),
      };
      this.#servers.set(server, figures);
    }
    return figures;
  }

  /** Counts one RPC message. */
  message(facts: RpcFacts, at: number): void {
    const figures = this.#figures(facts.server);
    if (facts.direction === "outbound") {
      figures.bytesOut += facts.size;
      if (facts.id !== null && !facts.method.startsWith("notifications/")) figures.requests++;
      return;
    }
    figures.bytesIn += facts.size;
    if (facts.duration !== undefined) {
      figures.latency[bucketOf(facts.duration)]++;
      this.#keepSlowest({ server: facts.server, method: facts.method, ms: facts.duration, at });
    }
    if (facts.error !== undefined) {
      figures.errors++;
      this.#fail({ server: facts.server, method: facts.method, error: facts.error, at });
    }
  }

  /** Counts a request the gateway gave up waiting for. */
  timeout(server: string, method: string, ms: number, at: number): void {
    this.#figures(server).timeouts++;
    this.#keepSlowest({ server, method, ms, at });
    this.#fail({ server, method, error: `timed out after ${(ms / 1000).toFixed(1)}s`, at });
  }

  /** Counts a guard's decision. */
  decision(facts: DecisionFacts): void {
    const figures = this.#figures(facts.server);
    if (facts.decision === "refused") figures.refusals++;
    figures.filtered += facts.filtered ?? 0;
  }

  /** Counts a tool result that `gateway.sanitizeResults` cleaned. */
  sanitized(facts: { readonly ansi: number; readonly tags: number; readonly images: number }): void {
    this.#sanitized.results++;
    this.#sanitized.ansi += facts.ansi;
    this.#sanitized.tags += facts.tags;
    this.#sanitized.images += facts.images;
  }

  /** Notes a tool definition that failed its pin or the scan. */
  definition(facts: DefinitionFacts): void {
    this.#definitionProblems++;
    if (this.#definitions.length < DEFINITIONS) this.#definitions.push(facts);
  }

  #keepSlowest(call: NamedCall): void {
    const slowest = this.#slowest;
    if (slowest.length === SLOWEST && call.ms! <= slowest[SLOWEST - 1].ms!) return;
    let i = slowest.length;
    while (i > 0 && slowest[i - 1].ms! < call.ms!) i--;
    slowest.splice(i, 0, call);
    if (slowest.length > SLOWEST) slowest.pop();
  }

  #fail(call: NamedCall): void {
    this.#failures++;
    if (this.#failed.length < FAILED) this.#failed.push(call);
  }

  /** The digest as GitHub-flavoured Markdown (tables only, no HTML). */
  markdown(): string {
    const rows = [...this.#servers].map(([server, f]) =>
      [
        cell(server),
        f.requests,
        f.errors,
        f.timeouts,
        percentile(f, 0.5),
        percentile(f, 0.95),
        f.bytesOut,
        f.bytesIn,
        f.refusals,
        f.filtered,
      ].join(" | ")
    );
    let text = "# MCP Gateway\n\n" +
      "| server | requests | errors | timeouts | p50 ms | p95 ms | bytes out | bytes in | guard refusals | filtered items |\n" +
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
      rows.map((row) => `| ${row} |\n`).join("");
    if (this.#slowest.length > 0) {
      text += "\n**Slowest calls**\n\n| server | method | ms | at (UTC) |\n| --- | --- | ---: | --- |\n" +
        this.#slowest.map((c) => `| ${cell(c.server)} | ${cell(c.method)} | ${c.ms} | ${time(c.at)} |\n`)
          .join("");
    }
    if (this.#failures > 0) {
      const shown = this.#failures > FAILED ? ` (the first ${FAILED} of ${this.#failures})` : "";
      text +=
        `\n**Failed calls**${shown}\n\n| server | method | error | at (UTC) |\n| --- | --- | --- | --- |\n` +
        this.#failed.map((c) =>
          `| ${cell(c.server)} | ${cell(c.method)} | ${cell(c.error!)} | ${time(c.at)} |\n`
        )
          .join("");
    }
    const { results, ansi, tags, images } = this.#sanitized;
    if (results > 0) {
      text +=
        `\n**Sanitized results**: ${results} (${ansi} ANSI escapes and ${tags} tag characters removed, ` +
        `${images} images turned into links)\n`;
    }
    return `${text}${this.#definitionsMarkdown()}\n`;
  }

  /** The tool definitions that failed a check, with what was found made visible; empty when none did. */
  #definitionsMarkdown(): string {
    if (this.#definitionProblems === 0) return "";
    const count = this.#definitionProblems;
    const shown = count > DEFINITIONS ? ` (the first ${DEFINITIONS} of ${count})` : "";
    return `\n**Tool definitions**${shown}\n\n| server | tool | check | verdict | problem |\n| --- | --- | --- | --- | --- |\n` +
      this.#definitions.map((d) =>
        `| ${cell(d.server)} | ${cell(d.kind === "prompt" ? `prompt ${d.tool}` : d.tool)} | ${
          cell(d.check)
        } | ${d.served === undefined ? "withheld" : `served (${cell(d.served)})`} | ${cell(d.problem)} |\n`
      ).join("");
  }
}

/** The latency at fraction `q` of the answered requests, or "" when none was answered. */
function percentile(figures: ServerFigures, q: number): number | string {
  const answered = figures.latency.reduce((sum, count) => sum + count, 0);
  if (answered === 0) return "";
  const rank = Math.ceil(q * answered);
  let seen = 0;
  for (let bucket = 0; bucket < BUCKETS; bucket++) {
    seen += figures.latency[bucket];
    if (seen >= rank) return bucketFloor(bucket);
  }
  return bucketFloor(BUCKETS - 1);
}

/** Text safe inside a table cell: one line, pipes escaped, no HTML, cut. */
function cell(text: string): string {
  const line = markdownText(text.replace(/\s+/g, " "));
  return line.length > ERROR_CUT ? `${line.slice(0, ERROR_CUT)}…` : line;
}

function time(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}
