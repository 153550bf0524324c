/**
 * Logging setup: every layer logs through logtape categories (`awmg.<category>`), and RPC traffic through
 * the "message seen" hook (rpc.ts); this module decides where both go (the five files of the log directory,
 * or stdout when it cannot be written, and stderr by verbosity and DEBUG) and redacts every line on the way
 * out. File writes are buffered (file_sink.ts) and flushed on a timer and at shutdown.
 */
import type { DefinitionFacts } from "./digest.ts";
import { decisionJsonLine, filteredJsonLine, passthroughJsonLine, routeDecisions } from "./decisions.ts";
import { configure, dispose, type LogLevel, type LogRecord, type Sink } from "@logtape/logtape";
import { colorize, debugMatcher } from "./debug.ts";
import { openAppend } from "../files.ts";
import { BufferedFile } from "./file_sink.ts";
import {
  forLogs,
  formatLine,
  formatMarkdown,
  renderMessage,
  rpcJsonLine,
  rpcLine,
  rpcMarkdown,
  rpcMessage,
} from "./format.ts";
import { routeRpc, routeTimeouts, type RpcSink } from "./rpc.ts";
import { StepSummary } from "./summary.ts";

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
  /** Size at which a log file is rotated, and how many rotated files are kept (undefined: all of them). */
  readonly maxSize: number;
  readonly maxFiles?: number;
  /** The most bytes gateway.md may hold. */
  readonly summaryBudget: number;
  /** The main log file: `mcp-gateway.log` for the gateway, `proxy.log` for the proxy. */
  readonly mainLog?: string;
}

/**
 * Whether every log line reached its file. Once a write has failed (a full disk, say) the logs have a hole,
 * so the report stays "error" even after writes succeed again.
 */
export type LogHealth =
  | { readonly status: "ok" }
  | { readonly status: "error"; readonly error: string; readonly lostBytes: number };

/** Where the logs went. */
export type LogDestination = { readonly kind: "dir"; readonly dir: string } | {
  readonly kind: "stdout";
  readonly reason: string;
};

const LEVELS: LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
const STDERR_LEVELS: LogLevel[] = ["warning", "info", "debug", "trace"];
const encoder = new TextEncoder();
let openFiles: BufferedFile[] = [];
let health: LogHealth = { status: "ok" };
let summary: StepSummary | undefined;

/** Whether the log files are complete so far, for /health. */
export function logHealth(): LogHealth {
  return health;
}

/** Records a failed write; the first one is said on stderr, since the log files cannot say it. */
function writeFailed(path: string, error: Error, lostBytes: number): void {
  const first = health.status === "ok";
  health = {
    status: "error",
    error: `${path}: ${error.message}`,
    lostBytes: (health.status === "error" ? health.lostBytes : 0) + lostBytes,
  };
  if (first) {
    console.error(
      `Cannot write ${path} (${error.message}): awmg keeps serving, log lines are lost until the log ` +
        "directory can be written again, and /health counts them",
    );
  }
}

/** Formats and redacts each record once, however many sinks ask for it (they are called one after another). */
function once(
  format: (record: LogRecord) => string,
  redact: (text: string) => string,
): (record: LogRecord) => string {
  let last: LogRecord | undefined;
  let text = "";
  return (record) => {
    if (record !== last) {
      last = record;
      const formatted = format(record);
      text = formatted === "" ? "" : redact(formatted);
    }
    return text;
  };
}

/** The startup lines (config, where awmg listens, each server) reach stderr at every verbosity. */
function isStartupLine(record: LogRecord): boolean {
  return record.category[1] === "startup" && record.level === "info";
}

/** Decides what reaches stderr: records at the verbosity's level, or in a namespace DEBUG selects. */
function stderrRules(options: LoggingOptions) {
  const lowest = LEVELS.indexOf(STDERR_LEVELS[Math.min(options.verbosity, STDERR_LEVELS.length - 1)]);
  const debugged = debugMatcher(options.debug);
  const label = (namespace: string) => options.colors ? colorize(namespace) : namespace;
  return {
    byLevel: (level: LogLevel) => LEVELS.indexOf(level) >= lowest,
    debugged,
    debugLine: (namespace: string, message: string) => options.redact(`${label(namespace)} ${message}`),
  };
}

async function openDir(dir: string, mainLog: string): Promise<string | undefined> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = await openAppend(`${dir}/${mainLog}`);
    probe.close();
    return undefined;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable
      ? "awmg has no write permission there (its permission set allows /tmp/gh-aw and /tmp/jq-payloads)"
      : (error as Error).message;
  }
}

type LoggerConfig = { category: string[]; sinks: string[]; lowestLevel: LogLevel };

/** What the sinks of either destination (the log directory, or stdout) are built from and added to. */
interface Wiring {
  readonly options: LoggingOptions;
  /** A record's text line, formatted and redacted once for every sink. */
  readonly line: (record: LogRecord) => string;
  /** The stderr writers of a server's RPC messages, by verbosity and DEBUG. */
  readonly stderrRpc: (serverId: string) => RpcSink[];
  readonly sinks: Record<string, Sink>;
  readonly loggers: LoggerConfig[];
}

/** Configures every sink. Call once at startup, before anything logs. */
export async function setupLogging(options: LoggingOptions): Promise<LogDestination> {
  const dir = options.logDir.replace(/\/+$/, "") || "/";
  const mainLog = options.mainLog ?? "mcp-gateway.log";
  const rules = stderrRules(options);
  const line = once(formatLine, options.redact);
  const stderr: Sink = (record) => {
    if (rules.byLevel(record.level) || isStartupLine(record)) {
      return void console.error(line(record).trimEnd());
    }
    const namespace = record.category.slice(1).join(":");
    if (rules.debugged(namespace)) console.error(rules.debugLine(namespace, renderMessage(record)));
  };
  const stderrRpc = (serverId: string): RpcSink[] => {
    if (rules.byLevel("debug")) return [(facts, at) => console.error(rpcLine(facts, at).trimEnd())];
    const namespace = `rpc:${serverId}`;
    return rules.debugged(namespace)
      ? [(facts) => console.error(rules.debugLine(namespace, rpcMessage(facts)))]
      : [];
  };
  const wiring: Wiring = {
    options,
    line,
    stderrRpc,
    sinks: { stderr },
    loggers: [{ category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "warning" }],
  };
  const problem = await openDir(dir, mainLog) ?? await routeToDir(wiring, dir, mainLog).then(
    () => undefined,
    async (error: Error) => {
      // A file of the directory that cannot be opened (a server's log left as a link, say): none of it is used.
      await closeFiles();
      return error.message;
    },
  );
  if (problem !== undefined) routeToStdout(wiring);
  await configure({ sinks: wiring.sinks, loggers: wiring.loggers });
  return problem === undefined ? { kind: "dir", dir } : { kind: "stdout", reason: problem };
}

/** One sink that redacts a message once (forLogs) and hands the result to each writer. */
function redactedOnce(writers: RpcSink[], redact: (text: string) => string): RpcSink[] {
  return writers.length === 0 ? [] : [(facts, at) => {
    const shown = forLogs(facts, redact);
    for (const write of writers) write(shown, at);
  }];
}

/** How every log file of the directory is buffered, and where its failed writes are told. */
function buffering(path: string) {
  return {
    bufferBytes: 64 * 1024,
    flushMs: 500,
    onError: (error: Error, lostBytes: number) => writeFailed(path, error, lostBytes),
  };
}

/** A rotated log file of the directory, closed with the others by stopLogging. */
function logFile(dir: string, name: string, { maxSize, maxFiles }: LoggingOptions): BufferedFile {
  const path = `${dir}/${name}`;
  const opened = new BufferedFile(path, {
    maxSize,
    ...(maxFiles === undefined ? {} : { maxFiles }),
    ...buffering(path),
  });
  openFiles.push(opened);
  return opened;
}

/** The log directory: the main log, one log per server, rpc-messages.jsonl and the step summary. */
async function routeToDir(wiring: Wiring, dir: string, mainLog: string): Promise<void> {
  const { options, line, sinks, loggers } = wiring;
  const { redact } = options;
  const [gateway, jsonl] = [logFile(dir, mainLog, options), logFile(dir, "rpc-messages.jsonl", options)];
  // A server named after the main log (`mcp-gateway`) writes there: two writers of one file would each rotate
  // it, and the main log holds every server's lines already.
  const serverLog = (id: string) => `${id}.log` === mainLog ? gateway : logFile(dir, `${id}.log`, options);
  const servers = new Map(options.serverIds.map((id) => [id, serverLog(id)]));
  const markdownPath = `${dir}/gateway.md`;
  const markdown = await StepSummary.open(
    markdownPath,
    options.summaryBudget,
    options.serverIds,
    buffering(markdownPath),
  );
  summary = markdown;
  const { digest } = markdown;
  const warningBlock = once(formatMarkdown, redact);
  sinks.gateway = (record) => gateway.append(line(record));
  sinks.markdown = (record) => {
    // A tool definition's problem is a row of the digest's table, not a warning block of its own.
    if (record.category[1] === "pins") {
      return digest.definition(record.properties as unknown as DefinitionFacts);
    }
    if (record.category[1] === "sanitize") {
      return digest.sanitized(record.properties as { ansi: number; tags: number; images: number });
    }
    const text = warningBlock(record);
    if (text !== "") markdown.append(text);
  };
  loggers.push({ category: ["awmg"], sinks: ["stderr", "gateway", "markdown"], lowestLevel: "debug" });
  for (const [id, server] of servers) {
    if (server === gateway) continue;
    sinks[`server:${id}`] = (record) => server.append(line(record));
    loggers.push({ category: ["awmg", "backend", id], sinks: [`server:${id}`], lowestLevel: "debug" });
  }
  routeTimeouts((server, method, ms, at) => digest.timeout(server, method, ms, at));
  routeDecisions({
    decision: (facts, at) => {
      digest.decision(facts);
      jsonl.append(redact(decisionJsonLine(facts, at)));
    },
    filtered: (facts, at) => jsonl.append(redact(filteredJsonLine(facts, at))),
    passthrough: (facts, at) => jsonl.append(redact(passthroughJsonLine(facts, at))),
  });
  routeRpc((serverId) => {
    const server = servers.get(serverId);
    return redactedOnce([
      (facts, at) => {
        const text = rpcLine(facts, at);
        gateway.append(text, server);
        markdown.append(() => rpcMarkdown(facts));
        digest.message(facts, at);
        jsonl.append(rpcJsonLine(facts, at));
      },
      ...wiring.stderrRpc(serverId),
    ], redact);
  });
}

/** No usable log directory: every line goes to stdout instead. */
function routeToStdout({ options, line, stderrRpc, sinks, loggers }: Wiring): void {
  sinks.stdout = (record) => void Deno.stdout.write(encoder.encode(line(record)));
  loggers.push({ category: ["awmg"], sinks: ["stderr", "stdout"], lowestLevel: "debug" });
  routeRpc((serverId) =>
    redactedOnce([
      (facts, at) => void Deno.stdout.write(encoder.encode(rpcLine(facts, at))),
      ...stderrRpc(serverId),
    ], options.redact)
  );
}

/** Flushes and closes the log files of the directory. */
async function closeFiles(): Promise<void> {
  await Promise.all(openFiles.map((file) => file.close()));
  openFiles = [];
}

/** Flushes and closes every sink and log file. */
export async function stopLogging(): Promise<void> {
  routeRpc(() => []);
  routeDecisions(undefined);
  routeTimeouts(undefined);
  await dispose();
  await closeFiles();
  await summary?.finish().catch((error) => writeFailed("gateway.md", error, 0));
  summary = undefined;
  health = { status: "ok" };
}
