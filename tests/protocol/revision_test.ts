import assert from "node:assert/strict";
import {
  headerMismatch,
  legacyParams,
  logLevelShown,
  modernErrorStatus,
  modernResult,
  readEnvelope,
  requestHeaders,
  withoutTasks,
} from "../../src/protocol/revision.ts";

const meta = (fields: Record<string, unknown>) => ({ _meta: fields });
const MODERN = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": { sampling: {} },
};

Deno.test("readEnvelope: legacy without a version, modern when header and body agree", () => {
  assert.deepEqual(readEnvelope({ name: "x" }, undefined), { kind: "legacy" });
  assert.deepEqual(readEnvelope(undefined, "2025-11-25"), { kind: "legacy" });
  const reading = readEnvelope(meta({ ...MODERN, "io.modelcontextprotocol/logLevel": "info" }), "2026-07-28");
  assert.equal(reading.kind, "modern");
  assert.deepEqual(reading.kind === "modern" && reading.envelope.capabilities, { sampling: {} });
  assert.equal(reading.kind === "modern" && reading.envelope.logLevel, "info");
});

Deno.test("readEnvelope: the spec's error for each malformed envelope", () => {
  const code = (params: unknown, header?: string) => {
    const reading = readEnvelope(params, header);
    return reading.kind === "invalid" ? reading.code : reading.kind;
  };
  assert.equal(code({}, "2026-07-28"), -32602, "a modern header needs the envelope");
  assert.equal(code({}, "1999-01-01"), -32022, "a handshake request naming a revision nobody speaks");
  assert.equal(code(meta({ ...MODERN, "io.modelcontextprotocol/protocolVersion": 7 }), "2026-07-28"), -32602);
  assert.equal(
    code(meta({ ...MODERN, "io.modelcontextprotocol/protocolVersion": "2099-01-01" }), "2099-01-01"),
    -32022,
  );
  assert.equal(code(meta(MODERN)), -32020, "the header is required");
  assert.equal(code(meta(MODERN), "2025-11-25"), -32020, "header and body disagree");
  assert.equal(code(meta({ "io.modelcontextprotocol/protocolVersion": "2026-07-28" }), "2026-07-28"), -32602);
  assert.equal(
    code(meta({ ...MODERN, "io.modelcontextprotocol/clientCapabilities": [] }), "2026-07-28"),
    -32602,
  );
  assert.equal(code(meta({ ...MODERN, "io.modelcontextprotocol/logLevel": "loud" }), "2026-07-28"), -32602);
  const unsupported = readEnvelope(
    meta({ ...MODERN, "io.modelcontextprotocol/protocolVersion": "1999" }),
    "1999",
  );
  assert.deepEqual(unsupported.kind === "invalid" && unsupported.data, {
    supported: ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"],
    requested: "1999",
  });
});

Deno.test("headerMismatch: Mcp-Method always, Mcp-Name for named requests, Base64 sentinel decoded", () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name];
  assert.equal(headerMismatch(headers({ "mcp-method": "tools/list" }), "tools/list", {}), undefined);
  assert.match(headerMismatch(headers({}), "tools/list", {})!, /Mcp-Method header is required/);
  assert.match(headerMismatch(headers({ "mcp-method": "tools/call" }), "tools/list", {})!, /does not match/);
  const call = { name: "héllo" };
  assert.match(
    headerMismatch(headers({ "mcp-method": "tools/call" }), "tools/call", call)!,
    /Mcp-Name header is required/,
  );
  const encoded = `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode("héllo")))}?=`;
  assert.equal(
    headerMismatch(headers({ "mcp-method": "tools/call", "mcp-name": encoded }), "tools/call", call),
    undefined,
  );
  assert.match(
    headerMismatch(
      headers({ "mcp-method": "tools/call", "mcp-name": "=?base64?!!!?=" }),
      "tools/call",
      call,
    )!,
    /not valid Base64/,
  );
  assert.match(
    headerMismatch(headers({ "mcp-method": "resources/read", "mcp-name": "file:///a" }), "resources/read", {
      uri: "file:///b",
    })!,
    /'file:\/\/\/a' does not match body value 'file:\/\/\/b'/,
  );
});

Deno.test("modernResult: resultType always, caching hints on cacheable results, the same object when complete", () => {
  assert.deepEqual(modernResult("tools/call", { content: [] }), { content: [], resultType: "complete" });
  assert.deepEqual(modernResult("tools/list", { tools: [] }), {
    tools: [],
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
  });
  const whole = { resultType: "input_required", requestState: "s" };
  assert.equal(modernResult("tools/call", whole), whole);
  const hinted = { resources: [], resultType: "complete", ttlMs: 5, cacheScope: "public" };
  assert.equal(modernResult("resources/list", hinted), hinted);
});

Deno.test("legacyParams: the envelope and the retry fields stay out of a 2025 server's request", () => {
  assert.deepEqual(
    legacyParams({
      name: "t",
      inputResponses: {},
      requestState: "s",
      _meta: { ...MODERN, progressToken: 4, traceparent: "00-a-b-01" },
    }),
    { name: "t", _meta: { progressToken: 4, traceparent: "00-a-b-01" } },
  );
  assert.deepEqual(legacyParams({ name: "t", _meta: MODERN }), { name: "t" });
});

Deno.test("log levels and HTTP statuses of the revision", () => {
  assert.equal(logLevelShown("error", "warning"), true);
  assert.equal(logLevelShown("info", "warning"), false);
  assert.deepEqual([-32601, -32020, -32021, -32022, -32602, -32603].map(modernErrorStatus), [
    404,
    400,
    400,
    400,
    200,
    200,
  ]);
});

Deno.test("requestHeaders: what a 2026-07-28 server gets, names outside the header-safe set in Base64", () => {
  assert.deepEqual(requestHeaders("tools/list", {}), {
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": "tools/list",
  });
  assert.equal(requestHeaders("tools/call", { name: "get_weather" })["mcp-name"], "get_weather");
  for (const name of ["Hello, 世界", " padded ", "line1\nline2", "=?base64?literal?="]) {
    const sent = requestHeaders("prompts/get", { name })["mcp-name"];
    assert.match(sent, /^=\?base64\?[A-Za-z0-9+/=]+\?=$/, JSON.stringify(name));
    assert.equal(
      headerMismatch((h) => ({ "mcp-method": "prompts/get", "mcp-name": sent })[h], "prompts/get", { name }),
      undefined,
    );
  }
});

Deno.test("withoutTasks: the tasks extension leaves the declared capabilities, the session's objects untouched", () => {
  const capabilities = {
    sampling: {},
    extensions: { "io.modelcontextprotocol/tasks": {}, "x.example/other": {} },
  };
  const request = {
    params: { name: "t", _meta: { "io.modelcontextprotocol/clientCapabilities": capabilities } },
  };
  assert.equal(withoutTasks(request), true);
  assert.deepEqual(request.params._meta["io.modelcontextprotocol/clientCapabilities"], {
    sampling: {},
    extensions: { "x.example/other": {} },
  });
  assert.ok("io.modelcontextprotocol/tasks" in capabilities.extensions, "the declared object was changed");
  assert.equal(withoutTasks(request), false, "nothing left to take out");
  assert.equal(withoutTasks({ params: { name: "t" } }), false);
  assert.equal(withoutTasks({}), false);
});
