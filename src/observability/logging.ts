/**
 * Logging setup: every layer logs through logtape categories (`awmg.<category>`); this module decides
 * where lines go (the five files of the log directory, or stdout when it cannot be written, and stderr by
 * verbosity and DEBUG) and redacts them on the way out. File writes are buffered and flushed on a timer
 * and at shutdown.
 */
import { configure, dispose, type LogLevel, type LogRecord, type Sink } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { colorize, debugMatcher } from "./debug.ts";
import { formatJsonLine, formatLine, formatMarkdown, renderMessage } from "./format.ts";

/** Options of the log setup. */
export interface LoggingOptions {
  readonly logDir: string;
  readonly serverIds: readonly string[];
  /** 0: warnings and errors on stderr; 1: info; 2: debug; 3: trace. */
  readonly verbosity: number;
  /** The DEBUG pattern, if set. */
  readonly debug?: string;
  /** Colour DEBUG namespaces on stderr. */
  readonly colors: boolean;
  readonly redact: (text: string) => string;
  /** Size at which a log file is rotated, and how many rotated files are kept. */
  readonly maxSize: number;
  readonly maxFiles: number;
}

/** Where the logs went. */
export type LogDestination = { readonly kind: "dir"; readonly dir: string } | {
  readonly kind: "stdout";
  readonly reason: string;
};

const STDERR_LEVELS: LogLevel[] = ["warning", "info", "debug", "trace"];
const encoder = new TextEncoder();

function namespace(record: LogRecord): string {
  return record.category.slice(1).join(":");
}

function stderrSink(options: LoggingOptions): Sink {
  const lowest = STDERR_LEVELS[Math.min(options.verbosity, STDERR_LEVELS.length - 1)];
  const order: LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
  const debugged = debugMatcher(options.debug);
  return (record) => {
    const byLevel = order.indexOf(record.level) >= order.indexOf(lowest);
    if (byLevel) return void console.error(options.redact(formatLine(record)).trimEnd());
    const ns = namespace(record);
    if (!debugged(ns)) return;
    const label = options.colors ? colorize(ns) : ns;
    console.error(options.redact(`${label} ${renderMessage(record)}`));
  };
}

function fileSink(path: string, options: LoggingOptions, format: (record: LogRecord) => string): Sink {
  return getRotatingFileSink(path, {
    maxSize: options.maxSize,
    maxFiles: options.maxFiles,
    bufferSize: 64 * 1024,
    flushInterval: 500,
    nonBlocking: true,
    formatter: (record) => {
      const text = format(record);
      return text === "" ? "" : options.redact(text);
    },
  });
}

async function openDir(dir: string): Promise<string | undefined> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = await Deno.open(`${dir}/mcp-gateway.log`, { append: true, create: true });
    probe.close();
    return undefined;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable
      ? "awmg has no write permission there (its permission set allows /tmp/gh-aw/mcp-logs and /tmp/jq-payloads)"
      : (error as Error).message;
  }
}

/** Configures every sink. Call once at startup, before anything logs. */
export async function setupLogging(options: LoggingOptions): Promise<LogDestination> {
  const dir = options.logDir.replace(/\/+$/, "") || "/";
  const problem = await openDir(dir);
  const sinks: Record<string, Sink> = { stderr: stderrSink(options) };
  const loggers: { category: string[]; sinks: string[]; lowestLevel: LogLevel }[] = [
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
  ];
  if (problem === undefined) {
    sinks.gateway = fileSink(`${dir}/mcp-gateway.log`, options, formatLine);
    sinks.markdown = fileSink(`${dir}/gateway.md`, options, formatMarkdown);
    sinks.jsonl = fileSink(`${dir}/rpc-messages.jsonl`, options, formatJsonLine);
    loggers.push({ category: ["awmg"], sinks: ["stderr", "gateway", "markdown"], lowestLevel: "debug" });
    loggers.push({ category: ["awmg", "rpc"], sinks: ["jsonl"], lowestLevel: "debug" });
    for (const id of options.serverIds) {
      sinks[`server:${id}`] = fileSink(`${dir}/${id}.log`, options, formatLine);
      loggers.push({ category: ["awmg", "backend", id], sinks: [`server:${id}`], lowestLevel: "debug" });
      loggers.push({ category: ["awmg", "rpc", id], sinks: [`server:${id}`], lowestLevel: "debug" });
    }
  } else {
    sinks.stdout = (record) => void Deno.stdout.write(encoder.encode(options.redact(formatLine(record))));
    loggers.push({ category: ["awmg"], sinks: ["stderr", "stdout"], lowestLevel: "debug" });
  }
  await configure({ sinks, loggers });
  return problem === undefined ? { kind: "dir", dir } : { kind: "stdout", reason: problem };
}

/** Flushes and closes every sink. */
export async function stopLogging(): Promise<void> {
  await dispose();
}
