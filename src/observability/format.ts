/**
 * How lines look in each log file: Go-style text lines, Markdown for a workflow summary, JSON lines for
 * machines. Ordinary records come from logtape; RPC messages come as `RpcFacts` from the hook (rpc.ts).
 */
import type { LogLevel, LogRecord } from "@logtape/logtape";

const LEVEL_NAMES: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "ERROR",
};

/** Text payloads are cut here in the text logs, Markdown blocks at MARKDOWN_CUT. */
export const TEXT_CUT = 10 * 1024;
const MARKDOWN_CUT = 512;

/** The facts of one JSON-RPC message seen by the gateway. */
export interface RpcFacts {
  readonly direction: "outbound" | "inbound";
  readonly server: string;
  readonly session: string | null;
  readonly method: string;
  readonly id: string | number | null;
  readonly size: number;
  /** Milliseconds from request to response, for responses. */
  readonly duration?: number;
  readonly error?: string;
  /** For tools/call: the tool. */
  readonly tool?: string;
  /** The protocol revision of the client the message is for, when known. */
  readonly revision?: string;
  /** The serialized message (for the log formats: as forLogs shows it). */
  readonly text: string;
}

/** A control character or a Unicode line separator: any of them could end a line or rewrite the terminal. */
// deno-lint-ignore no-control-regex -- matching control characters is this pattern's purpose
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, "g");
const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * The text on one line: each control character written as a JSON string escape (`\n`, `\u001b`), so a value
 * a client or a backend chose (a method, a tool name, a payload's whitespace) cannot start a log line of its
 * own.
 */
export function oneLine(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(
    CONTROLS,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Text that Markdown shows as written, on one line: the characters that could open a link, an image, HTML, a
 * code span, emphasis with `*` or a table cell are escaped (a `_` inside a name, as in `list_issues`, is not
 * emphasis, and a `#` mid-line is not a heading).
 */
export function markdownText(text: string): string {
  return oneLine(text).replace(/[|\\`*[\]<>!]/g, (c) => `\\${c}`);
}

/** A value of a record as a text line shows it. */
function renderValue(value: unknown): string {
  if (typeof value === "string") return oneLine(value);
  if (Array.isArray(value)) return `[${value.map(renderValue).join(" ")}]`;
  return oneLine(JSON.stringify(value) ?? String(value));
}

/** The message of a record with its values filled in by `render` (as a text line shows them unless given). */
export function renderMessage(record: LogRecord, render: (value: unknown) => string = renderValue): string {
  return record.message.map((part, i) => i % 2 === 0 ? part : render(part)).join("");
}

let cachedSecond = -1;
let cachedPrefix = "";

/** `2026-01-08T23:00:00` for a timestamp; computed once per second. */
function secondPrefix(at: number): string {
  const second = Math.floor(at / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return cachedPrefix;
}

/** `2026-01-08T23:00:00Z` for a timestamp. */
function secondsTime(at: number): string {
  return `${secondPrefix(at)}Z`;
}

/** A Go-style line: `[2026-01-08T23:00:00Z] [INFO] [startup] message`. */
export function formatLine(record: LogRecord): string {
  const category = record.category[1] ?? record.category[0];
  return `[${secondsTime(record.timestamp)}] [${LEVEL_NAMES[record.level]}] [${category}] ${
    renderMessage(record)
  }\n`;
}

/** Warnings and errors as Markdown; other records are not part of the summary. */
export function formatMarkdown(record: LogRecord): string {
  if (record.level !== "error" && record.level !== "warning") return "";
  return `⚠️ ${renderMessage(record, (value) => markdownText(renderValue(value)))}\n\n`;
}

/** Room past the cut that is redacted too, so that a secret the cut would halve is still recognised whole. */
const REDACT_SLACK = 4096;

/**
 * The facts as the logs may show them: every free-form field redacted and on one line (oneLine), the text cut
 * at TEXT_CUT. Made once per message and shared by every log line written of it, so the payload is redacted
 * once, not per file.
 */
export function forLogs(facts: RpcFacts, redact: (text: string) => string): RpcFacts {
  const { text } = facts;
  return {
    direction: facts.direction,
    server: facts.server,
    session: facts.session,
    method: oneLine(redact(facts.method)),
    id: facts.id,
    size: facts.size,
    duration: facts.duration,
    error: facts.error === undefined ? undefined : oneLine(redact(facts.error)),
    tool: facts.tool === undefined ? undefined : oneLine(redact(facts.tool)),
    revision: facts.revision,
    text: oneLine(
      text.length <= TEXT_CUT
        ? redact(text)
        : `${redact(text.slice(0, TEXT_CUT + REDACT_SLACK)).slice(0, TEXT_CUT)}...`,
    ),
  };
}

/** The message of an RPC line (of facts made by forLogs): `github→tools/call 58b {payload}` or `github←resp 100b err:... {payload}`. */
export function rpcMessage(facts: RpcFacts): string {
  const arrow = facts.direction === "outbound" ? "→" : "←";
  const what =
    facts.direction === "inbound" && !facts.method.startsWith("notifications/") && facts.id !== null
      ? `resp${facts.error === undefined ? "" : ` err:${facts.error}`}`
      : facts.method;
  return `${facts.server}${arrow}${what} ${facts.size}b ${facts.text}`;
}

/** An RPC message as a Go-style DEBUG line of category rpc. */
export function rpcLine(facts: RpcFacts, at: number): string {
  return `[${secondsTime(at)}] [DEBUG] [rpc] ${rpcMessage(facts)}\n`;
}

/** `2026-01-08T23:00:00.123Z`: the second's text is shared, only the milliseconds are made per call. */
function isoTime(at: number): string {
  const ms = at % 1000;
  return `${secondPrefix(at)}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`;
}

/**
 * One JSON object per RPC message, for jq. Written out directly rather than through an object and
 * JSON.stringify: it runs twice per forwarded call, and only the free-form fields need escaping.
 */
export function rpcJsonLine(facts: RpcFacts, at: number): string {
  // Server ids (validated by the config) and session ids (the gateway's own UUIDs) need no escaping.
  const session = facts.session === null ? "null" : `"${facts.session}"`;
  const id = typeof facts.id === "number" ? facts.id : JSON.stringify(facts.id);
  let line = `{"timestamp":"${isoTime(at)}","direction":"${facts.direction}","server":"${facts.server}",` +
    `"session":${session},"method":${JSON.stringify(facts.method)},"id":${id},"size":${facts.size}`;
  if (facts.duration !== undefined) line += `,"duration":${facts.duration}`;
  if (facts.error !== undefined) line += `,"error":${JSON.stringify(facts.error)}`;
  if (facts.tool !== undefined) line += `,"tool":${JSON.stringify(facts.tool)}`;
  if (facts.revision !== undefined) line += `,"revision":${JSON.stringify(facts.revision)}`;
  return `${line}}\n`;
}

/** The compact body of a message without its envelope, for the Markdown block. */
function body(text: string): string {
  const head = text.slice(0, 4 * MARKDOWN_CUT)
    .replace(/"jsonrpc"\s*:\s*"2\.0"\s*,?/, "")
    .replace(/"method"\s*:\s*"[^"]*"\s*,?/, "")
    .replace(/,\s*}$/, "}");
  return head.length > MARKDOWN_CUT ? `${head.slice(0, MARKDOWN_CUT)}...` : head;
}

/**
 * One-line text as a Markdown code span, fenced by more backticks than it holds in a row so that it cannot end
 * the span early and go on as markup.
 */
function codeSpan(text: string): string {
  if (!text.includes("`")) return `\`${text}\``;
  const fence = "`".repeat(Math.max(...text.match(/`+/g)!.map((run) => run.length)) + 1);
  return `${fence} ${text} ${fence}`;
}

/**
 * A block with nothing to show but its id: `{}`, `{"id":1}`, `{"params":{}}`, `{"id":"a","params":{}}`, its
 * whitespace taken out first. No two parts can match the same characters, so a client's message cannot make it
 * backtrack (a pattern with `\s*` beside `[^,}]+` took six seconds over 500 spaces).
 */
const EMPTY_BLOCK = /^\{("id":("[^"]*"|[-+.0-9eE]+|null),?)?("params":\{\})?\}$/;

/**
 * An RPC message (of facts made by forLogs) as Markdown: `**github**→\`tools/call\` \`search_code\`` and a
 * compact json block.
 */
export function rpcMarkdown(facts: RpcFacts): string {
  const arrow = facts.direction === "outbound" ? "→" : "←";
  const tool = facts.tool === undefined ? "" : ` ${codeSpan(facts.tool)}`;
  const error = facts.error === undefined ? "" : ` ⚠️${codeSpan(facts.error)}`;
  const line = `**${facts.server}**${arrow}${codeSpan(facts.method)}${tool}${error}\n`;
  const block = body(facts.text);
  const empty = EMPTY_BLOCK.test(block.replace(/\s+/g, ""));
  return empty ? `${line}\n` : `${line}\n\`\`\`json\n${block}\n\`\`\`\n\n`;
}
