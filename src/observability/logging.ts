/**
 * Logging setup: every layer logs through logtape categories (`awmg.<category>`); this module decides
 * where lines go and redacts them on the way out.
 */
import { configure, dispose, type LogLevel, type LogRecord } from "@logtape/logtape";

/** Options of the log setup. */
export interface LoggingOptions {
  /** 0: warnings and errors on stderr; 1: info; 2: debug; 3: trace. */
  readonly verbosity: number;
  readonly redact: (text: string) => string;
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "ERROR",
};

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(renderValue).join(" ")}]`;
  return JSON.stringify(value) ?? String(value);
}

/** Formats a record the way the Go gateway writes its log lines. */
export function formatRecord(record: LogRecord): string {
  const time = new Date(record.timestamp).toISOString().replace(/\.\d{3}Z$/, "Z");
  const category = record.category[1] ?? record.category[0];
  const message = record.message.map((part, i) => i % 2 === 0 ? part : renderValue(part)).join("");
  return `[${time}] [${LEVEL_NAMES[record.level]}] [${category}] ${message}`;
}

/** Configures the sinks. Call once at startup, before anything logs. */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  const levels: LogLevel[] = ["warning", "info", "debug", "trace"];
  const lowestLevel = levels[Math.min(options.verbosity, levels.length - 1)];
  await configure({
    sinks: { stderr: (record) => console.error(options.redact(formatRecord(record))) },
    loggers: [
      { category: ["awmg"], sinks: ["stderr"], lowestLevel },
      { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" },
    ],
  });
}

/** Flushes and closes every sink. */
export async function stopLogging(): Promise<void> {
  await dispose();
}
