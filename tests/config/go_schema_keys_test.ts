/**
 * Every key of the Go gateway's JSON config schema (`internal/config/schema/mcp-gateway-config.schema.json`
 * of gh-aw-mcpg, the properties of each definition, transcribed here) is known to awmg: a config that sets
 * one with a value of its type is either accepted or refused as not supported yet, never as an
 * unrecognized field, which would tell a gh-aw user their config is wrong.
 */
import assert from "node:assert/strict";
import { formatIssue } from "../../src/config/issues.ts";
import { loadConfigText } from "../../src/config/load.ts";

/** Each definition's properties, with a value of the type Go's schema gives them. */
const GO_SCHEMA: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  stdioServerConfig: {
    args: ["--network", "none"],
    container: "ghcr.io/github/github-mcp-server:latest",
    entrypoint: "/bin/server",
    entrypointArgs: ["--stdio"],
    env: { TOKEN: "" },
    "guard-policies": { "allow-only": { repos: "public", "min-integrity": "none" } },
    mounts: ["/tmp/data:/data:ro"],
    registry: "https://registry.example.com/servers/github",
    toolTimeout: 60,
    tool_timeout: 60,
    tools: ["*"],
    type: "stdio",
  },
  httpServerConfig: {
    auth: { type: "github-oidc" },
    connectTimeout: 30,
    connect_timeout: 30,
    env: { TOKEN: "" },
    "guard-policies": { "allow-only": { repos: "public", "min-integrity": "none" } },
    headers: { Authorization: "Bearer x" },
    registry: "https://registry.example.com/servers/remote",
    toolTimeout: 60,
    tool_timeout: 60,
    tools: ["*"],
    type: "http",
    url: "https://mcp.example.com/mcp",
  },
  gatewayConfig: {
    agentId: "key",
    apiKey: "key",
    containerRuntime: "podman",
    containerRuntimeArgs: ["--remote"],
    containerRuntimeCommand: "/usr/bin/podman",
    dockerless: true,
    domain: "localhost",
    forcePublicRepos: true,
    keepaliveInterval: 600,
    opentelemetry: { endpoint: "https://otel.example.com" },
    payloadDir: "/tmp/jq-payloads",
    payloadPathPrefix: "/workspace/payloads",
    payloadSizeThreshold: 65536,
    port: 8080,
    sinkVisibilityExemptServers: ["safeoutputs"],
    startupTimeout: 30,
    toolTimeout: 60,
    trustedBots: ["helper[bot]"],
  },
  writeSinkGuardPolicyConfig: { accept: ["*"], "sink-visibility": "public" },
  opentelemetryConfig: {
    endpoint: "https://otel.example.com",
    serviceName: "gateway",
    spanId: "0123456789abcdef",
    traceId: "0123456789abcdef0123456789abcdef",
  },
};

/** The one key under test set in an otherwise minimal config of its definition. */
function configWith(definition: string, key: string, value: unknown): unknown {
  const gateway = { port: 8080, domain: "localhost", agentId: "key" };
  const servers = (server: Record<string, unknown>) => ({ mcpServers: { s: server }, gateway });
  const image = "ghcr.io/github/github-mcp-server:latest";
  switch (definition) {
    case "stdioServerConfig":
      return servers({ container: image, [key]: value });
    case "httpServerConfig":
      return servers({ type: "http", url: "https://mcp.example.com/mcp", [key]: value });
    case "gatewayConfig":
      return { mcpServers: {}, gateway: { ...gateway, [key]: value } };
    case "writeSinkGuardPolicyConfig":
      return servers({
        container: image,
        "guard-policies": { "write-sink": { accept: ["*"], [key]: value } },
      });
    default: {
      const parent = { endpoint: "https://otel.example.com", traceId: "0123456789abcdef0123456789abcdef" };
      return { mcpServers: {}, gateway: { ...gateway, opentelemetry: { ...parent, [key]: value } } };
    }
  }
}

/** What the configs are read with: github-oidc auth needs the runner's token variables. */
const RUNNER: Readonly<Record<string, string>> = {
  ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:1/token",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t",
};

for (const [definition, properties] of Object.entries(GO_SCHEMA)) {
  Deno.test(`Go schema: every property of ${definition} is known to awmg`, () => {
    for (const [key, value] of Object.entries(properties)) {
      const loaded = loadConfigText(JSON.stringify(configWith(definition, key, value)), "json", {
        kind: "stdin",
      }, (name) => RUNNER[name] ?? "");
      const errors = loaded.ok ? [] : loaded.failure.errors.map(formatIssue);
      for (const error of errors) {
        assert.doesNotMatch(error, /unrecognized field/, `${definition}.${key}`);
        assert.match(
          error,
          /does not support yet/,
          `${definition}.${key} is refused only as not supported yet`,
        );
      }
    }
  });
}

Deno.test("Go's container runtime settings pass at awmg's own value, and are refused, as not supported, at another", () => {
  const load = (gateway: Record<string, unknown>) =>
    loadConfigText(
      JSON.stringify({
        mcpServers: {},
        gateway: { port: 8080, domain: "localhost", agentId: "k", ...gateway },
      }),
      "json",
      { kind: "stdin" },
      () => undefined,
    );
  for (const same of [{ containerRuntime: "docker" }, { dockerless: false }, { containerRuntimeArgs: [] }]) {
    assert.ok(load(same).ok, JSON.stringify(same));
  }
  const refused = load({ containerRuntime: "podman", dockerless: true });
  assert.ok(!refused.ok);
  assert.deepEqual(refused.failure.errors.map(formatIssue), [
    "'gateway.containerRuntime' is a Go gateway setting awmg does not support yet (a container runtime other than docker)\n" +
    '    found "podman"\n    suggestion: remove it: awmg launches stdio containers with docker run',
    "'gateway.dockerless' is a Go gateway setting awmg does not support yet (running containers with Podman instead of Docker)\n" +
    "    found true\n    suggestion: remove it: awmg launches stdio containers with docker run",
  ]);
});
