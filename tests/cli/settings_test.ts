import assert from "node:assert/strict";
import { parseCommandLine, type RunOptions } from "../../src/cli/parse.ts";
import { parseDuration, randomApiKey, resolveSettings, type SettingsResult } from "../../src/cli/settings.ts";
import { loadConfigText } from "../../src/config/load.ts";

function resolve(
  argv: string[],
  env: Record<string, string>,
  gateway: Record<string, unknown> = {},
  generateKey = () => "generated-key",
): SettingsResult {
  const parsed = parseCommandLine(argv);
  const loaded = loadConfigText(
    JSON.stringify({ mcpServers: {}, gateway }),
    "json",
    { kind: "file", path: "config.json" },
    () => undefined,
  );
  if (parsed.kind !== "run" || !loaded.ok) throw new Error("bad fixture");
  return resolveSettings(
    parsed.options as RunOptions,
    loaded.config,
    (name) => env[name],
    false,
    generateKey,
  );
}

Deno.test("built-in defaults when nothing is given", () => {
  const result = resolve([], {});
  assert.ok(result.ok);
  assert.deepEqual(result.settings, {
    listen: { hostname: "127.0.0.1", port: 3000 },
    domain: "localhost",
    apiKeys: ["generated-key"],
    auth: "generated",
    logDir: "/tmp/gh-aw/mcp-logs",
    payloadDir: "/tmp/jq-payloads",
    payloadSizeThreshold: 10240,
    payloadPathPrefix: undefined,
    logMaxSize: 10485760,
    summaryMaxSize: 921600,
    mode: "routed",
    sequentialLaunch: false,
    toolLock: undefined,
    strictPins: false,
    cluster: undefined,
    verbosity: 0,
    toolTimeoutMs: 120_000,
    sessionTimeoutMs: 6 * 3600_000,
    shutdownTimeoutMs: 30_000,
    tracing: undefined,
    tlsPaths: undefined,
    guards: { mode: "strict", modeChosen: false, forcePublicRepos: true },
  });
  assert.deepEqual(result.warnings, []);
});

Deno.test("flag > environment > config > default, with a warning naming both sources", () => {
  const configOnly = resolve([], {}, { port: 9000, payloadDir: "/cfg" });
  assert.ok(configOnly.ok);
  assert.equal(configOnly.settings.listen.port, 9000);
  assert.equal(configOnly.settings.payloadDir, "/cfg");

  const envOverConfig = resolve([], { MCP_GATEWAY_PORT: "8000", MCP_GATEWAY_PAYLOAD_DIR: "/env" }, {
    port: 9000,
    payloadDir: "/cfg",
  });
  assert.ok(envOverConfig.ok);
  assert.equal(envOverConfig.settings.listen.port, 8000);
  assert.equal(envOverConfig.settings.payloadDir, "/env");
  assert.deepEqual(envOverConfig.warnings, [
    "MCP_GATEWAY_PORT (8000) overrides gateway.port in the config (9000)",
    "MCP_GATEWAY_PAYLOAD_DIR (/env) overrides gateway.payloadDir in the config (/cfg)",
  ]);

  const flagOverAll = resolve(
    ["--listen", "127.0.0.1:7000", "--payload-dir", "/flag", "--log-dir", "/logs"],
    {
      MCP_GATEWAY_PORT: "8000",
      MCP_GATEWAY_LOG_DIR: "/envlogs",
    },
    { port: 9000 },
  );
  assert.ok(flagOverAll.ok);
  assert.equal(flagOverAll.settings.listen.port, 7000);
  assert.equal(flagOverAll.settings.payloadDir, "/flag");
  assert.equal(flagOverAll.settings.logDir, "/logs");
  assert.deepEqual(flagOverAll.warnings, [
    "--listen (7000) overrides MCP_GATEWAY_PORT (8000)",
    "--listen (7000) overrides gateway.port in the config (9000)",
    "--log-dir (/logs) overrides MCP_GATEWAY_LOG_DIR (/envlogs)",
  ]);
});

Deno.test("API key and domain from the environment win; secret values are never shown", () => {
  const result = resolve(
    [],
    { MCP_GATEWAY_AGENT_ID: "env-key", MCP_GATEWAY_DOMAIN: "host.docker.internal" },
    {
      apiKey: "config-key",
      domain: "localhost",
    },
  );
  assert.ok(result.ok);
  assert.deepEqual(result.settings.apiKeys, ["env-key"]);
  assert.equal(result.settings.domain, "host.docker.internal");
  assert.deepEqual(result.warnings, [
    "MCP_GATEWAY_DOMAIN (host.docker.internal) overrides gateway.domain in the config (localhost)",
    "MCP_GATEWAY_AGENT_ID (value hidden) overrides the API key in the config (value hidden)",
  ]);
});

Deno.test("MCP_GATEWAY_API_KEY is the deprecated name of MCP_GATEWAY_AGENT_ID, which wins when both are set", () => {
  const legacy = resolve([], { MCP_GATEWAY_API_KEY: "old-key" });
  assert.ok(legacy.ok);
  assert.deepEqual(legacy.settings.apiKeys, ["old-key"]);
  assert.deepEqual(legacy.warnings, [
    "MCP_GATEWAY_API_KEY is deprecated; please rename it to MCP_GATEWAY_AGENT_ID",
  ]);
  const both = resolve([], { MCP_GATEWAY_API_KEY: "old-key", MCP_GATEWAY_AGENT_ID: "new-key" });
  assert.ok(both.ok);
  assert.deepEqual(both.settings.apiKeys, ["new-key"]);
  assert.deepEqual(both.warnings, []);
  const conflict = resolve(["--no-auth"], { MCP_GATEWAY_AGENT_ID: "k" });
  assert.deepEqual(conflict, {
    ok: false,
    message: "--no-auth conflicts with MCP_GATEWAY_AGENT_ID: unset it or drop --no-auth",
  });
});

Deno.test("log and summary sizes: positive integers from the environment, or the defaults", () => {
  const given = resolve([], {
    MCP_GATEWAY_LOG_MAX_SIZE: "4096",
    MCP_GATEWAY_LOG_MAX_FILES: "3",
    MCP_GATEWAY_SUMMARY_MAX_SIZE: "65536",
  });
  assert.ok(given.ok);
  assert.equal(given.settings.logMaxSize, 4096);
  assert.equal(given.settings.logMaxFiles, 3);
  assert.equal(given.settings.summaryMaxSize, 65536);
  const unset = resolve([], {});
  assert.ok(unset.ok);
  assert.equal(unset.settings.logMaxFiles, undefined, "rotated logs are kept unless a number is set");
  for (const [name, value] of [["MCP_GATEWAY_LOG_MAX_FILES", "0"], ["MCP_GATEWAY_SUMMARY_MAX_SIZE", "1e6"]]) {
    const refused = resolve([], { [name]: value });
    assert.ok(
      !refused.ok && refused.message.startsWith(`invalid ${name} "${value}": expected a positive integer`),
    );
  }
});

Deno.test("payload threshold: flag > environment > default; bad values are errors", () => {
  const fromEnv = resolve([], { MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD: "2048" });
  assert.ok(fromEnv.ok && fromEnv.settings.payloadSizeThreshold === 2048);
  const fromFlag = resolve(["--payload-size-threshold", "4096"], {
    MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD: "2048",
  });
  assert.ok(fromFlag.ok && fromFlag.settings.payloadSizeThreshold === 4096);
  assert.deepEqual(resolve([], { MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD: "big" }), {
    ok: false,
    message: 'invalid MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD "big": expected a non-negative integer (bytes)',
  });
  assert.deepEqual(resolve([], { MCP_GATEWAY_PORT: "99999" }), {
    ok: false,
    message: 'invalid MCP_GATEWAY_PORT "99999": expected an integer from 1 to 65535',
  });
  assert.deepEqual(resolve(["--listen", "localhost"], {}), {
    ok: false,
    message: 'invalid listen address "localhost": expected host:port, e.g. 127.0.0.1:3000',
  });
});

Deno.test("containerized mode listens on all interfaces unless --listen says otherwise", () => {
  const parsed = parseCommandLine([]);
  const flagged = parseCommandLine(["--listen", "127.0.0.1:8000"]);
  const loaded = loadConfigText(
    '{"mcpServers": {}}',
    "json",
    { kind: "file", path: "config.json" },
    () => undefined,
  );
  if (parsed.kind !== "run" || flagged.kind !== "run" || !loaded.ok) throw new Error("bad fixture");
  const env = (name: string) => ({ MCP_GATEWAY_PORT: "8000" } as Record<string, string>)[name];
  const container = resolveSettings(parsed.options, loaded.config, env, true);
  assert.ok(
    container.ok && container.settings.listen.hostname === "0.0.0.0" &&
      container.settings.listen.port === 8000,
  );
  const explicit = resolveSettings(flagged.options, loaded.config, env, true);
  assert.ok(explicit.ok && explicit.settings.listen.hostname === "127.0.0.1");
});

Deno.test("auth is on by default: a random key when none is configured; --no-auth turns it off, never silently", () => {
  const key = randomApiKey();
  assert.match(key, /^[0-9a-f]{64}$/, "256 bits from crypto.getRandomValues");
  assert.notEqual(key, randomApiKey());

  const configured = resolve([], {}, { apiKey: "from-config" });
  assert.ok(configured.ok);
  assert.deepEqual([configured.settings.auth, configured.settings.apiKeys], ["configured", ["from-config"]]);

  const off = resolve(["--no-auth"], {});
  assert.ok(off.ok);
  assert.deepEqual([off.settings.auth, off.settings.apiKeys], ["off", []]);

  const conflict = resolve(["--no-auth"], { MCP_GATEWAY_API_KEY: "k" });
  assert.deepEqual(conflict, {
    ok: false,
    message: "--no-auth conflicts with MCP_GATEWAY_API_KEY: unset it or drop --no-auth",
  });
  const conflictConfig = resolve(["--no-auth"], {}, { apiKey: "k" });
  assert.equal(
    !conflictConfig.ok && conflictConfig.message,
    "--no-auth conflicts with the API key in the config: remove one of them",
  );
});

Deno.test("the newer gateway settings: each source, its precedence, its validation", () => {
  assert.deepEqual(
    ["30s", "2m", "1h30m", "500ms", "1.5s", "", "10", "5x", "s"].map(parseDuration),
    [30_000, 120_000, 5_400_000, 500, 1500, undefined, undefined, undefined, undefined],
  );
  const fromConfig = resolve([], {}, {
    toolTimeout: 300,
    sessionTimeout: "30m",
    payloadSizeThreshold: 524288,
  });
  assert.ok(fromConfig.ok);
  assert.deepEqual(
    [
      fromConfig.settings.toolTimeoutMs,
      fromConfig.settings.sessionTimeoutMs,
      fromConfig.settings.payloadSizeThreshold,
    ],
    [300_000, 1_800_000, 524288],
  );
  const fromEnv = resolve(["--shutdown-timeout", "5s", "--payload-path-prefix", "/flag"], {
    MCP_GATEWAY_TOOL_TIMEOUT: "45",
    MCP_GATEWAY_SESSION_TIMEOUT: "1h",
    MCP_GATEWAY_SHUTDOWN_TIMEOUT: "1m",
    MCP_GATEWAY_PAYLOAD_SIZE_THRESHOLD: "2048",
    MCP_GATEWAY_PAYLOAD_PATH_PREFIX: "/env",
  }, { toolTimeout: 300, payloadSizeThreshold: 524288 });
  assert.ok(fromEnv.ok);
  const s = fromEnv.settings;
  assert.deepEqual(
    [s.toolTimeoutMs, s.sessionTimeoutMs, s.shutdownTimeoutMs, s.payloadSizeThreshold, s.payloadPathPrefix],
    [45_000, 3_600_000, 5_000, 2048, "/flag"],
  );
  assert.ok(
    fromEnv.warnings.includes(
      "MCP_GATEWAY_TOOL_TIMEOUT (45) overrides gateway.toolTimeout in the config (300)",
    ),
  );
  assert.deepEqual(resolve([], { MCP_GATEWAY_TOOL_TIMEOUT: "5" }), {
    ok: false,
    message: 'invalid MCP_GATEWAY_TOOL_TIMEOUT "5": expected an integer of at least 10 (seconds)',
  });
  assert.deepEqual(resolve(["--shutdown-timeout", "soon"], {}), {
    ok: false,
    message: 'invalid --shutdown-timeout "soon": expected a positive duration such as 90s, 30m or 1h30m',
  });
});

Deno.test("tracing: off without an endpoint; flag > environment > config; the signal path appended once", () => {
  const off = resolve([], {});
  assert.ok(off.ok);
  assert.equal(off.settings.tracing, undefined);
  const section = {
    opentelemetry: {
      endpoint: "https://otel.example.com",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      sampleRate: 0.5,
    },
  };
  // Headers come from OTEL_EXPORTER_OTLP_HEADERS (percent-decoded); the JSON config has none since spec 4.1.3.7.
  const fromConfig = resolve([], { OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc" }, section);
  assert.ok(fromConfig.ok);
  assert.deepEqual(fromConfig.settings.tracing, {
    url: "https://otel.example.com/v1/traces",
    headers: { Authorization: "Bearer abc" },
    serviceName: "mcp-gateway",
    sampleRate: 0.5,
    parent: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" },
  });
  const fromEnv = resolve([], {
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318/",
    OTEL_SERVICE_NAME: "env",
  }, section);
  assert.ok(fromEnv.ok);
  assert.equal(fromEnv.settings.tracing?.url, "http://localhost:4318/v1/traces");
  assert.equal(fromEnv.settings.tracing?.serviceName, "env");
  const fromFlag = resolve(
    [
      "--otlp-endpoint",
      "http://127.0.0.1:4318/v1/traces",
      "--otlp-service-name",
      "flag",
      "--otlp-sample-rate",
      "0",
    ],
    { OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318" },
  );
  assert.ok(fromFlag.ok);
  assert.deepEqual(
    [
      fromFlag.settings.tracing?.url,
      fromFlag.settings.tracing?.serviceName,
      fromFlag.settings.tracing?.sampleRate,
    ],
    ["http://127.0.0.1:4318/v1/traces", "flag", 0],
  );
  assert.deepEqual(resolve(["--otlp-endpoint", "http://x", "--otlp-sample-rate", "2"], {}), {
    ok: false,
    message: 'invalid --otlp-sample-rate "2": expected a number from 0 to 1',
  });
});

Deno.test("an OTLP header fetch would refuse stops the start, named without its value", () => {
  const endpoint = ["--otlp-endpoint", "http://127.0.0.1:4318"];
  assert.deepEqual(
    resolve(endpoint, { OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20s3cr3t%0D%0AX-Injected:%201" }),
    {
      ok: false,
      message:
        'invalid OTLP header "Authorization" (expected a header value with no line break or NUL inside) in ' +
        "OTEL_EXPORTER_OTLP_HEADERS: traces could not be sent with it",
    },
  );
  // Only TOML has the section's headers (JSON moved them to OTEL_EXPORTER_OTLP_HEADERS).
  const toml = loadConfigText(
    '[servers.a]\ncommand = "node"\n\n[gateway.opentelemetry]\nendpoint = "https://otel.example.com"\n' +
      'headers = "Bad Name=s3cr3t"\n',
    "toml",
    { kind: "file", path: "config.toml" },
    () => undefined,
  );
  const parsed = parseCommandLine([]);
  if (parsed.kind !== "run" || !toml.ok) throw new Error("bad fixture");
  assert.deepEqual(resolveSettings(parsed.options, toml.config, () => undefined, false, () => "key"), {
    ok: false,
    message: "invalid OTLP header name (expected a header name: letters, digits and !#$%&'*+-.^_`|~) in " +
      "gateway.opentelemetry.headers in the config: traces could not be sent with it",
  });
});

Deno.test("variables that ask for protection awmg does not enforce stop the start, each named", () => {
  assert.deepEqual(
    resolve([], { MCP_GATEWAY_CA_CERT: "/ca.pem", MCP_GATEWAY_HMAC_SECRET: "s" }),
    {
      ok: false,
      message:
        "MCP_GATEWAY_CA_CERT (client certificate verification (mTLS)), MCP_GATEWAY_HMAC_SECRET (HMAC request signing) " +
        "ask for protection awmg does not enforce; unset to run without it",
    },
  );
  const tls = resolve([], { MCP_GATEWAY_TLS_CERT: "/c.pem", MCP_GATEWAY_TLS_KEY: "/k.pem" });
  assert.ok(tls.ok);
  assert.deepEqual(tls.settings.tlsPaths, { cert: "/c.pem", key: "/k.pem" });
  assert.deepEqual(resolve([], { MCP_GATEWAY_TLS_CERT: "/c.pem" }), {
    ok: false,
    message: "MCP_GATEWAY_TLS_CERT and MCP_GATEWAY_TLS_KEY go together: set both to serve HTTPS",
  });
});

Deno.test("guard settings: mode flag > variable > config; policy flag > variables; each checked", () => {
  const chosen = resolve(["--guards-mode", "Filter"], { MCP_GATEWAY_GUARDS_MODE: "propagate" }, {
    guardsMode: "strict",
  });
  assert.ok(chosen.ok);
  assert.deepEqual(chosen.settings.guards, { mode: "filter", modeChosen: true, forcePublicRepos: true });
  const forced = (env: Record<string, string>, gateway: Record<string, unknown> = {}) => {
    const result = resolve([], env, gateway);
    assert.ok(result.ok);
    return result.settings.guards.forcePublicRepos;
  };
  for (const off of ["false", "0", "no", "OFF"]) {
    assert.equal(forced({ MCP_GATEWAY_FORCE_PUBLIC_REPOS: off }), false);
  }
  assert.equal(forced({}, { forcePublicRepos: false }), false);
  assert.equal(
    forced({ MCP_GATEWAY_FORCE_PUBLIC_REPOS: "maybe" }),
    true,
    "a word that is not a boolean leaves the default, as Go's GetEnvBool",
  );
  assert.deepEqual(chosen.warnings, [
    "--guards-mode (filter) overrides MCP_GATEWAY_GUARDS_MODE (propagate)",
    "--guards-mode (filter) overrides gateway.guardsMode in the config (strict)",
  ]);
  assert.deepEqual(resolve(["--guards-mode", "both"], {}), {
    ok: false,
    message: 'invalid --guards-mode "both": must be one of: strict, filter, propagate',
  });

  const json = '{"allow-only":{"repos":["octo/*"],"min-integrity":"approved"}}';
  const flag = resolve(["--guard-policy-json", json], { MCP_GATEWAY_ALLOWONLY_SCOPE_PUBLIC: "true" });
  assert.ok(flag.ok);
  assert.equal(flag.settings.guards.policyOverride?.source, "--guard-policy-json");
  assert.deepEqual(flag.settings.guards.policyOverride?.policy, {
    kind: "allow-only",
    payload: { repos: ["octo/*"], "min-integrity": "approved" },
    toolCallLimits: {},
  });
  const scoped = resolve([], {
    MCP_GATEWAY_ALLOWONLY_SCOPE_OWNER: "octo",
    MCP_GATEWAY_ALLOWONLY_SCOPE_REPO: "repo",
    MCP_GATEWAY_ALLOWONLY_MIN_INTEGRITY: "un-approved",
    MCP_GATEWAY_WASM_GUARDS_DIR: " /guards ",
  });
  assert.ok(scoped.ok);
  assert.deepEqual(scoped.settings.guards.policyOverride?.policy, {
    kind: "allow-only",
    payload: { repos: ["octo/repo"], "min-integrity": "unapproved" },
    toolCallLimits: {},
  });
  assert.equal(scoped.settings.guards.wasmGuardsDir, "/guards");
  assert.deepEqual(resolve([], { MCP_GATEWAY_GUARD_POLICY_JSON: '{"allow-only":{"repos":"mine"}}' }), {
    ok: false,
    message:
      'invalid MCP_GATEWAY_GUARD_POLICY_JSON at allow-only.repos: invalid repos (expected "all", "public", or a non-empty array of scopes such as "owner/repo", "owner/*", "owner/re*", found "mine")',
  });
  assert.deepEqual(resolve([], { MCP_GATEWAY_ALLOWONLY_SCOPE_REPO: "repo" }), {
    ok: false,
    message: "invalid MCP_GATEWAY_ALLOWONLY_SCOPE_REPO: an allow-only repo scope needs its owner",
  });
});
