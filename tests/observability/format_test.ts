import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { debugMatcher } from "../../src/observability/debug.ts";
import { makeRedactor } from "../../src/observability/redact.ts";
import {
  forLogs,
  formatLine,
  formatMarkdown,
  markdownText,
  oneLine,
  type RpcFacts,
  rpcJsonLine,
  rpcLine,
  rpcMarkdown,
  TEXT_CUT,
} from "../../src/observability/format.ts";

const at = Date.parse("2026-01-08T23:00:00Z");

function record(category: string[], message: unknown[], properties: Record<string, unknown> = {}): LogRecord {
  return {
    category,
    level: "info",
    message,
    rawMessage: "",
    timestamp: at,
    properties,
  } as unknown as LogRecord;
}

function rpc(facts: Partial<RpcFacts>): RpcFacts {
  return {
    server: "github",
    session: "s1",
    direction: "outbound",
    method: "x",
    id: 1,
    size: 0,
    text: "",
    ...facts,
  };
}

Deno.test("text lines look like the Go gateway's", () => {
  const line = formatLine(record(["awmg", "startup"], ["Starting MCPG with config: ", "config.toml", ""]));
  assert.equal(line, "[2026-01-08T23:00:00Z] [INFO] [startup] Starting MCPG with config: config.toml\n");
});

Deno.test("RPC lines: outbound with method and size, inbound as resp with its error, payload cut at 10 KB", () => {
  const text = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
  assert.equal(
    rpcLine(rpc({ direction: "outbound", method: "tools/call", id: 1, size: text.length, text }), at),
    `[2026-01-08T23:00:00Z] [DEBUG] [rpc] github→tools/call ${text.length}b ${text}\n`,
  );
  const big = "x".repeat(TEXT_CUT + 100);
  const inbound = rpcLine(
    forLogs(
      rpc({
        direction: "inbound",
        method: "tools/call",
        id: 1,
        size: 100,
        text: big,
        error: "Invalid request",
      }),
      (text) => text,
    ),
    at,
  );
  assert.match(inbound, /github←resp err:Invalid request 100b x+\.\.\.\n$/);
  assert.equal(
    inbound.length,
    "[2026-01-08T23:00:00Z] [DEBUG] [rpc] github←resp err:Invalid request 100b ".length + TEXT_CUT + 4,
  );
});

Deno.test("forLogs redacts every free-form field once, and a secret the cut would halve as a whole", () => {
  const secret = "s3cr3t-value-0123456789";
  const redact = makeRedactor([secret]);
  const straddling = `${"x".repeat(TEXT_CUT - 5)}${secret}${"y".repeat(50)}`;
  const shown = forLogs(
    rpc({ text: straddling, method: `m-${secret}`, tool: secret, error: `e ${secret}`, size: 9 }),
    redact,
  );
  for (const field of [shown.text, shown.method, shown.tool, shown.error]) {
    assert.ok(!field!.includes(secret.slice(0, 5)), field);
  }
  assert.equal(shown.text, `${"x".repeat(TEXT_CUT - 5)}[REDA...`);
  assert.equal(shown.size, 9);
  assert.equal(shown.method, "m-[REDACTED]");
});

Deno.test("Markdown: server, method and tool, a compact block without the envelope, errors marked", () => {
  const text = JSON.stringify({
    jsonrpc: "2.0",
    id: 7,
    method: "tools/call",
    params: { name: "search_code", arguments: { q: "a" } },
  });
  assert.equal(
    rpcMarkdown(
      rpc({ direction: "outbound", method: "tools/call", id: 7, size: 1, text, tool: "search_code" }),
    ),
    '**github**→`tools/call` `search_code`\n\n```json\n{"id":7,"params":{"name":"search_code","arguments":{"q":"a"}}}\n```\n\n',
  );
  const empty = JSON.stringify({ jsonrpc: "2.0", id: 8, method: "tools/list" });
  assert.equal(
    rpcMarkdown(rpc({ method: "tools/list", id: 8, size: 1, text: empty })),
    "**github**→`tools/list`\n\n",
  );
  const failed = rpcMarkdown(
    rpc({ direction: "inbound", method: "tools/call", id: 7, size: 1, text: "{}", error: "boom" }),
  );
  assert.match(failed, /^\*\*github\*\*←`tools\/call` ⚠️`boom`\n/);
  assert.equal(formatMarkdown({ ...record(["awmg", "auth"], ["denied"]), level: "error" }), "⚠️ denied\n\n");
  assert.equal(formatMarkdown(record(["awmg", "startup"], ["fine"])), "");
});

Deno.test("a value a client or a backend chose cannot start a line of its own, nor Markdown of its own", () => {
  const forged = "x\n[2026-01-01T00:00:00Z] [INFO] [auth] forged\r\u2028\u001b[2J\t";
  assert.equal(oneLine(forged), "x\\n[2026-01-01T00:00:00Z] [INFO] [auth] forged\\r\\u2028\\u001b[2J\\t");
  assert.equal(oneLine("plain"), "plain");
  const line = formatLine(record(["awmg", "backend"], ["Refused ", forged, " from ", { why: forged }, ""]));
  assert.equal(line.split("\n").length, 2, "one line and its end");
  const rpcLines = rpcLine(
    forLogs(rpc({ method: forged, tool: forged, error: forged, text: `{\n"a":1}` }), (t) => t),
    at,
  );
  assert.equal(rpcLines.split("\n").length, 2, "one RPC line and its end");
  assert.equal(
    markdownText("![pixel](https://example.com/p.png) **`x`** <b> | list_issues"),
    "\\!\\[pixel\\](https://example.com/p.png) \\*\\*\\`x\\`\\*\\* \\<b\\> \\| list_issues",
  );
  const warning = formatMarkdown({
    ...record(["awmg", "backend"], ["Refused ", "![p](https://e/p.png)\n# forged", ""]),
    level: "warning",
  });
  assert.equal(warning, "⚠️ Refused \\!\\[p\\](https://e/p.png)\\\\n# forged\n\n", "one line, no image");
  const shown = forLogs(
    rpc({ method: "tools/call", tool: "a` ![p](https://e/p.png) `b\n## forged", text: "{}" }),
    (t) => t,
  );
  const heading = rpcMarkdown(shown).split("\n")[0];
  assert.equal(
    heading,
    "**github**→`tools/call` `` a` ![p](https://e/p.png) `b\\n## forged ``",
    "the tool stays in its code span",
  );
});

Deno.test("JSON lines carry what jq filters on", () => {
  const line = rpcJsonLine(
    rpc({
      direction: "inbound",
      method: "tools/call",
      id: 3,
      size: 42,
      text: "{}",
      duration: 5001,
      error: "x",
    }),
    at,
  );
  assert.deepEqual(JSON.parse(line), {
    timestamp: "2026-01-08T23:00:00.000Z",
    direction: "inbound",
    server: "github",
    session: "s1",
    method: "tools/call",
    id: 3,
    size: 42,
    duration: 5001,
    error: "x",
  });
  const hostile = 'a"b\\c\n\u2028</script>{';
  const escaped = JSON.parse(
    rpcJsonLine(rpc({ method: hostile, id: hostile, tool: hostile, error: hostile }), at),
  );
  assert.deepEqual([escaped.method, escaped.id, escaped.tool, escaped.error], [
    hostile,
    hostile,
    hostile,
    hostile,
  ]);
  assert.equal(JSON.parse(rpcJsonLine(rpc({ session: null }), at)).session, null);
});

Deno.test("DEBUG patterns: wildcards, lists and exclusions", () => {
  const match = debugMatcher("backend:*,client -backend:memory");
  assert.equal(match("backend:github"), true);
  assert.equal(match("backend:memory"), false);
  assert.equal(match("client"), true);
  assert.equal(match("auth"), false);
  assert.equal(debugMatcher("*")("rpc:github"), true);
  assert.equal(debugMatcher(undefined)("startup"), false);
});

Deno.test("JSON lines carry the exact ISO time, milliseconds padded", () => {
  for (const when of [at, at + 7, at + 42, at + 999, at + 1000, 1737000000123]) {
    const line = JSON.parse(rpcJsonLine(rpc({ text: "{}" }), when));
    assert.equal(line.timestamp, new Date(when).toISOString());
  }
});
