/**
 * Configs judged as the Go gateway judges them: cases from the Go gateway's own config tests
 * (internal/config/*_test.go of gh-aw-mcpg; each case names the Go test it comes from), with the verdict Go
 * gives and, for a refusal, the phrase of Go's message that awmg's message carries. Where awmg differs on
 * purpose, the case says so and docs/compatibility.md lists the difference. The cases are facts; the code
 * is ours.
 */
import assert from "node:assert/strict";
import { formatIssue } from "../../src/config/issues.ts";
import { loadConfigText } from "../../src/config/load.ts";

interface Case {
  /** The Go test the config comes from. */
  readonly go: string;
  readonly format: "toml" | "json";
  readonly text: string;
  /** Go's verdict: accepted, or refused with a phrase of its message. */
  readonly verdict: "accepted" | { readonly refused: RegExp };
  /** A deliberate difference, as docs/compatibility.md states it. */
  readonly differs?: string;
  /** The environment the config is read in. */
  readonly env?: Record<string, string>;
}

const gateway = '"gateway": {"port": 8080, "domain": "localhost", "agentId": "test-key"}';
const GITHUB =
  '[servers.github]\ncommand = "docker"\nargs = ["run", "--rm", "-i", "ghcr.io/github/github-mcp-server:latest"]\n';
/** A stdin config of the github server with `policies` as its guard-policies, as Go's guard policy tests write it. */
const guarded = (policies: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    mcpServers: {
      github: {
        type: "stdio",
        container: "ghcr.io/github/github-mcp-server:latest",
        ...extra,
        "guard-policies": policies,
      },
    },
    gateway: { port: 3000, domain: "localhost", agentId: "test-key" },
  });
const OIDC = '[servers.secure]\ntype = "http"\nurl = "https://example.com/mcp"\n\n[servers.secure.auth]\n' +
  'type = "github-oidc"\naudience = "https://example.com"\n';
const CASES: readonly Case[] = [
  {
    go: "TestLoadFromFile_UnknownKeysAreRejectedWithError",
    format: "toml",
    text: '[servers.github]\ncommand = "docker"\nargs = ["run"]\nunknown_field = "x"\n',
    verdict: { refused: /unrecognized field 'servers\.github\.unknown_field'/ },
  },
  {
    go: "TestLoadFromFile_UnknownKeysInGateway",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\nprot = 8080\n',
    verdict: { refused: /unrecognized field 'gateway\.prot'/ },
  },
  {
    go: "TestLoadFromFile_EmptyFile",
    format: "toml",
    text: "",
    verdict: { refused: /no servers defined in configuration/ },
  },
  {
    go: "TestLoadFromFile_EmptyServers",
    format: "toml",
    text: "[gateway]\nport = 8080\n",
    verdict: { refused: /no servers defined in configuration/ },
  },
  {
    go: "TestLoadFromFile_InvalidGatewayPort",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\nport = 70000\n',
    verdict: { refused: /port must be between 1 and 65535/ },
  },
  {
    go: "TestLoadFromFile_InvalidPayloadSizeThresholdRejected",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\npayload_size_threshold = 0\n',
    verdict: { refused: /payload_size_threshold must be a positive integer/ },
  },
  {
    go: "TestLoadFromFile_TrustedBotsEmptyArray",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\ntrusted_bots = []\n',
    verdict: { refused: /gateway\.trusted_bots: trusted_bots must be a non-empty array when present/ },
  },
  {
    go: "TestLoadFromFile_TrustedBotsEmptyString",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\ntrusted_bots = ["  "]\n',
    verdict: { refused: /gateway\.trusted_bots\[0\]: trusted_bots\[0\] must be a non-empty string/ },
  },
  {
    go: "TestLoadFromFile_TrustedBotsValid",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\ntrusted_bots = ["dependabot[bot]"]\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_BothAgentIDAndAPIKeySet_DifferentValues",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway]\napi_key = "legacy"\nagent_id = "current"\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_BothTracingAndOpenTelemetry_OpenTelemetryTakesPrecedence",
    format: "toml",
    text: '[servers.a]\ncommand = "docker"\n[gateway.tracing]\nendpoint = "not a url"\n' +
      '[gateway.opentelemetry]\nendpoint = "https://otel.example.com"\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_HTTPServerWithConnectTimeout",
    format: "toml",
    text: '[servers.r]\ntype = "http"\nurl = "https://mcp.example.com/mcp"\nconnect_timeout = 5\n',
    verdict: "accepted",
  },
  {
    go: "TestGuardPolicies_EmptyGuardPolicies",
    format: "json",
    text:
      `{"mcpServers": {"github": {"container": "ghcr.io/github/github-mcp-server", "guard-policies": {}}}, ${gateway}}`,
    verdict: "accepted",
  },
  {
    go: "TestBuildStdioServerConfig_ToolTimeoutPreserved (legacy tool_timeout)",
    format: "json",
    text: `{"mcpServers": {"s": {"container": "i", "tool_timeout": 300}}, ${gateway}}`,
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin (legacy tool_timeout below the minimum)",
    format: "json",
    text: `{"mcpServers": {"s": {"container": "i", "tool_timeout": 5}}, ${gateway}}`,
    verdict: { refused: /mcpServers\.s\.tool_timeout: tool_timeout must be at least 10/ },
  },
  {
    go: "TestLoadFromStdin (legacy connect_timeout on an http server)",
    format: "json",
    text:
      `{"mcpServers": {"r": {"type": "http", "url": "https://x.example/mcp", "connect_timeout": 15}}, ${gateway}}`,
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin (schema: additionalProperties false in a server)",
    format: "json",
    text: `{"mcpServers": {"s": {"container": "i", "contianer": "j"}}, ${gateway}}`,
    verdict: { refused: /unrecognized field 'mcpServers\.s\.contianer'/ },
  },
  {
    go: "TestLoadFromStdin (schema: additionalProperties false in opentelemetry)",
    format: "json",
    text: `{"mcpServers": {}, "gateway": {"port": 8080, "domain": "localhost", ` +
      `"opentelemetry": {"endpoint": "https://otel.example.com", "servicename": "x"}}}`,
    verdict: { refused: /unrecognized field 'gateway\.opentelemetry\.servicename'/ },
  },
  {
    go: "TestValidateOpenTelemetry (endpoint is required)",
    format: "json",
    text:
      `{"mcpServers": {}, "gateway": {"port": 8080, "domain": "localhost", "opentelemetry": {"serviceName": "x"}}}`,
    verdict: { refused: /endpoint is required/ },
  },
  {
    go: "TestValidateOpenTelemetry (headers moved to OTEL_EXPORTER_OTLP_HEADERS, spec 4.1.3.7)",
    format: "json",
    text: `{"mcpServers": {}, "gateway": {"port": 8080, "domain": "localhost", ` +
      `"opentelemetry": {"endpoint": "https://otel.example.com", "headers": "a=b"}}}`,
    verdict: { refused: /OTEL_EXPORTER_OTLP_HEADERS/ },
  },
  {
    go: "TestLoadFromStdin (schema: mcpServers and gateway are required)",
    format: "json",
    text: "{}",
    verdict: { refused: /missing property 'mcpServers'[^]*missing property 'gateway'/ },
  },
  {
    go: "TestLoadFromStdin (schema: gateway.port and gateway.domain are required)",
    format: "json",
    text: '{"mcpServers": {}, "gateway": {"apiKey": "k"}}',
    verdict: { refused: /missing property 'port' in 'gateway'[^]*missing property 'domain' in 'gateway'/ },
  },
  {
    go: "TestValidateJSONSchema (missing required field - gateway.apiKey)",
    format: "json",
    text: '{"mcpServers": {}, "gateway": {"port": 8080, "domain": "localhost"}}',
    verdict: { refused: /missing property 'agentId' in 'gateway'.*"agentId" or the deprecated "apiKey"/ },
  },
  {
    go: "TestValidateRuleBasedPatterns (domain as an RFC 1123 hostname label)",
    format: "json",
    text: '{"mcpServers": {}, "gateway": {"port": 8080, "domain": "awmg-mcpg", "agentId": "k"}}',
    verdict: "accepted",
  },
  {
    go: "TestValidateRuleBasedPatterns (domain with dots)",
    format: "json",
    text: '{"mcpServers": {}, "gateway": {"port": 8080, "domain": "gw.example.com"}}',
    verdict: { refused: /must be 'localhost', 'host\.docker\.internal', an RFC-1123 hostname label/ },
  },
  {
    go: "TestLoadFromStdin_WithEntrypoint (blank entrypoint)",
    format: "json",
    text: `{"mcpServers": {"s": {"container": "i", "entrypoint": "   "}}, ${gateway}}`,
    verdict: { refused: /mcpServers\.s\.entrypoint: invalid value\n {4}expected a non-blank path/ },
  },
  {
    go: "TestLoadFromStdin_ValidJSON",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        test: {
          type: "stdio",
          container: "test/container:latest",
          entrypointArgs: ["arg1", "arg2"],
          env: { TEST_VAR: "value", PASSTHROUGH_VAR: "" },
        },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin_UnsupportedType",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        unsupported: { type: "remote", container: "test/container:latest" },
        supported: { type: "stdio", container: "test/server:latest" },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: { refused: /unsupported server type|mcpServers\.unsupported\.type/ },
  },
  {
    go: "TestLoadFromStdin_DirectCommand",
    format: "json",
    text: JSON.stringify({
      mcpServers: { direct: { type: "stdio", command: "node", args: ["index.js"] } },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: { refused: /"command" is not supported in the JSON stdin format/ },
  },
  {
    go: "TestLoadFromStdin_LocalTypeBackwardCompatibility",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        legacy: { type: "local", container: "test/server:latest", entrypointArgs: ["server.js"] },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin_GatewayWithAllFields",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { type: "stdio", container: "test/server:latest" } },
      gateway: {
        port: 8080,
        agentId: "test-key-123",
        domain: "localhost",
        startupTimeout: 30,
        toolTimeout: 60,
      },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin_InvalidMountFormat",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { container: "test/server:latest", mounts: ["/host:/container:invalid"] } },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: { refused: /invalid mount mode/ },
  },
  {
    go: "TestLoadFromStdin_WithRegistryField",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        github: {
          type: "stdio",
          container: "ghcr.io/github/github-mcp-server:latest",
          registry: "https://api.mcp.github.com/v0/servers/github/github-mcp-server",
        },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin_WithEmptyTrustedBots",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { container: "test/container:latest", type: "stdio" } },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key", trustedBots: [] },
    }),
    verdict: { refused: /trustedBots/ },
  },
  {
    go: "TestLoadFromFile_WithEmptyTrustedBotsToml",
    format: "toml",
    text: '[gateway]\nport = 8080\napi_key = "test-key-123"\ntrusted_bots = []\n\n' +
      '[servers.test]\ncommand = "docker"\nargs = ["run", "--rm", "-i", "test/container:latest"]\n',
    verdict: { refused: /trusted_bots must be a non-empty array when present/ },
  },
  {
    go: "TestLoadFromFile_InvalidTOMLDuplicateKey",
    format: "toml",
    text: '[gateway]\nport = 3000\nport = 8080\n\n[servers.test]\ncommand = "docker"\n' +
      'args = ["run", "--rm", "-i", "test/container:latest"]\n',
    verdict: { refused: /line 3/ },
  },
  {
    go: "TestLoadFromFile_MultipleUnknownKeys",
    format: "toml",
    text: "[gateway]\nport = 8080\nstartup_timout = 30\ntool_timout = 60\n\n[servers.test]\n" +
      'command = "docker"\nargs = ["run", "--rm", "-i", "test/container:latest"]\ntyp = "stdio"\n',
    verdict: {
      refused:
        /unrecognized field 'gateway\.startup_timout'[^]*unrecognized field 'gateway\.tool_timout'[^]*unrecognized field 'servers\.test\.typ'/,
    },
  },
  {
    go: "TestLoadFromStdin_HTTPServerToolTimeoutBelowMinimum",
    format: "json",
    text: JSON.stringify({
      mcpServers: { "repo-mind": { type: "http", url: "http://127.0.0.1:8000/mcp", toolTimeout: 5 } },
      gateway: { port: 3000, domain: "localhost", agentId: "test-key" },
    }),
    verdict: { refused: /toolTimeout: tool_timeout must be at least 10/ },
  },
  {
    go: "TestLoadFromStdin_HTTPServerWithLegacySnakeCaseTimeoutFields",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        "repo-mind": {
          type: "http",
          url: "http://127.0.0.1:8000/mcp",
          connect_timeout: 30,
          tool_timeout: 120,
        },
      },
      gateway: { port: 3000, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_InvalidTOML",
    format: "toml",
    text: '[servers.github\ncommand = "docker"\n',
    verdict: { refused: /failed to parse TOML at line 1/ },
  },
  {
    go: "TestLoadFromFile_PreservesExplicitGatewayValues",
    format: "toml",
    text: '[gateway]\nport = 8888\napi_key = "my-secret"\nstartup_timeout = 30\ntool_timeout = 60\n\n' +
      GITHUB,
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_ServerFields",
    format: "toml",
    text:
      '[servers.github]\ncommand = "docker"\nargs = ["run", "--rm", "-i", "-e", "GITHUB_TOKEN", "img"]\n\n' +
      '[servers.github.env]\nGITHUB_TOKEN = "mytoken"\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_GuardConfigAllowsDynamicKeys",
    format: "toml",
    text: GITHUB +
      '\n[guards.myfence]\ntype = "wasm"\npath = "/path/to/guard.wasm"\n\n[guards.myfence.config]\n' +
      'level = "strict"\nallowed_repos = ["owner/repo"]\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_TrustedBotsValid",
    format: "toml",
    text: '[gateway]\ntrusted_bots = ["my-bot[bot]", "another-bot[bot]"]\n\n' + GITHUB,
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_MixedStdioAndHTTPServers",
    format: "toml",
    text: GITHUB + '\n[servers.myapi]\ntype = "http"\nurl = "https://api.example.com/mcp"\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_StdioExplicitTypeDocker",
    format: "toml",
    text:
      '[servers.myserver]\ntype = "stdio"\ncommand = "docker"\nargs = ["run", "--rm", "-i", "my/image:latest"]\n',
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_OIDCAuthMissingEnvVar",
    format: "toml",
    text: OIDC,
    verdict: { refused: /ACTIONS_ID_TOKEN_REQUEST_URL/ },
  },
  {
    go: "TestLoadFromFile_OIDCAuthWithEnvVarSet",
    format: "toml",
    text: OIDC,
    env: { ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" },
    verdict: "accepted",
  },
  {
    go: "TestLoadFromFile_AuthOnNonHTTPServerRejected",
    format: "toml",
    text:
      '[servers.local]\ncommand = "docker"\nargs = ["run", "--rm", "-i", "img"]\n\n[servers.local.auth]\n' +
      'type = "github-oidc"\naudience = "https://example.com"\n',
    verdict: { refused: /servers\.local\.auth: "auth" applies only to http servers/ },
  },
  {
    // Go refuses the filter for its empty tool name; awmg refuses every filter (it enforces none).
    go: "TestLoadFromFile_ToolResponseFilter_EmptyToolName",
    format: "toml",
    text: GITHUB + '\n[servers.github.tool_response_filters]\n"" = ".result"\n',
    verdict: { refused: /tool response filters \(jq\) cannot be enforced by awmg/ },
  },
  {
    go: "TestLoadFromFile_StdioLocalTypeNonDockerCommand",
    format: "toml",
    text: '[servers.localserver]\ntype = "local"\ncommand = "node"\nargs = ["server.js"]\n',
    verdict: { refused: /stdio servers must use containerized execution/ },
    differs: "any program as a TOML command (awmg runs it as given; Go demands docker)",
  },
  ...[
    ["TestGuardPolicies_ReposAllFormat", { github: { repos: "all", "min-integrity": "unapproved" } }],
    ["TestGuardPolicies_ReposPublicFormat", { github: { repos: "public", "min-integrity": "none" } }],
    [
      "TestGuardPolicies_ReposWithWildcards",
      { github: { repos: ["myorg/*", "partner/shared-repo", "docs/api-*"], "min-integrity": "approved" } },
    ],
    [
      "TestGuardPolicies_ExactRepoPatterns",
      {
        github: {
          repos: ["github/gh-aw-mcpg", "github/gh-aw", "frontend/ui-components"],
          "min-integrity": "merged",
        },
      },
    ],
    [
      "TestGuardPolicies_MixedPatterns",
      {
        github: {
          repos: ["github/gh-aw-mcpg", "myorg/*", "partner/shared-*", "docs/api-reference"],
          "min-integrity": "approved",
        },
      },
    ],
    ["TestGuardPolicies_WriteSink", { "write-sink": { accept: ["private:github/gh-aw*"] } }],
    ...["none", "unapproved", "approved", "merged"].map((level) => [
      `TestGuardPolicies_AllMinIntegrityLevels (${level})`,
      { github: { repos: "all", "min-integrity": level } },
    ]),
  ].map(([go, policies]): Case => ({
    go: go as string,
    format: "json",
    text: guarded(policies),
    verdict: "accepted",
  })),
  {
    go: "TestGuardPolicies_PreservesOtherServerConfig",
    format: "json",
    text: guarded({ github: { repos: ["myorg/*"], "min-integrity": "unapproved" } }, {
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: "", DEBUG: "true" },
    }),
    verdict: "accepted",
  },
  {
    go: "TestGuardPolicies_TOML_ReposWithWildcards",
    format: "toml",
    text: GITHUB +
      '\n[servers.github.guard_policies.github]\nrepos = ["myorg/*", "partner/shared-repo", "docs/api-*"]\n' +
      'min-integrity = "approved"\n',
    verdict: "accepted",
  },
  ...([
    ["missing container", { test: { type: "stdio" } }, { refused: /container/ }],
    [
      "command field not supported",
      { test: { type: "stdio", command: "node", container: "test:latest" } },
      { refused: /"command" is not supported in the JSON stdin format/ },
    ],
    ["empty mcpServers", {}, "accepted"],
  ] as const).map(([name, servers, verdict]): Case => ({
    go: `TestLoadFromStdin_ValidationErrors (${name})`,
    format: "json",
    text: JSON.stringify({
      mcpServers: servers,
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict,
  })),
  {
    go: "TestLoadFromStdin_ValidationErrors (invalid gateway port)",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { type: "stdio", container: "test:latest" } },
      gateway: { port: 99999, domain: "localhost", agentId: "test-key" },
    }),
    verdict: { refused: /port must be between 1 and 65535/ },
  },
  {
    go: "TestLoadFromStdin_ValidationErrors (malformed JSON)",
    format: "json",
    text: '{"mcpServers": {"test": {"type": "stdio", "container": "test:latest"}',
    verdict: { refused: /failed to parse JSON/ },
  },
  {
    go: "TestLoadFromStdin_ValidationErrors (extension field guards accepted)",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { type: "stdio", container: "test:latest" } },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
      guards: { "github-guard": { type: "wasm", path: "/path/to/guard.wasm" } },
    }),
    verdict: "accepted",
  },
  {
    go: "TestLoadFromStdin_ValidationErrors (extension field guard-policies accepted)",
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        test: {
          type: "stdio",
          container: "test:latest",
          "guard-policies": { "allow-only": { repos: "all" } },
        },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
    differs:
      "a server's guard policy is checked when the config is read (an allow-only without min-integrity)",
  },
  {
    go: "TestLoadFromStdin_ValidationErrors (extension field guard accepted)",
    format: "json",
    text: JSON.stringify({
      mcpServers: { test: { type: "stdio", container: "test:latest", guard: "github-guard" } },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict: "accepted",
    differs: "a guard named without a policy refused (here not even defined: awmg names the missing guard)",
  },
  ...([
    ["valid gateway", { startupTimeout: 30, toolTimeout: 60 }, "accepted"],
    ["valid gateway with absolute Unix payloadDir", { payloadDir: "/tmp/jq-payloads" }, "accepted"],
    ["invalid gateway with relative payloadDir", { payloadDir: "tmp/payloads" }, {
      refused: /must be an absolute path/,
    }],
    ["invalid gateway with dot-relative payloadDir", { payloadDir: "./payloads" }, {
      refused: /must be an absolute path/,
    }],
    ["port too low", { port: 0 }, { refused: /port must be between 1 and 65535/ }],
    ["port too high", { port: 70000 }, { refused: /port must be between 1 and 65535/ }],
    ["negative startupTimeout", { startupTimeout: -1 }, {
      refused: /startupTimeout must be a positive integer/,
    }],
    ["zero startupTimeout", { startupTimeout: 0 }, { refused: /startupTimeout must be a positive integer/ }],
    ["negative toolTimeout", { toolTimeout: -1 }, { refused: /toolTimeout/ }],
    ["zero toolTimeout", { toolTimeout: 0 }, { refused: /toolTimeout/ }],
    ["toolTimeout at minimum boundary (10)", { toolTimeout: 10 }, "accepted"],
    ["toolTimeout very large value (86400 = 24 hours)", { toolTimeout: 86400 }, "accepted"],
  ] as const).map(([name, fields, verdict]): Case => ({
    go: `TestValidateGatewayConfig (${name})`,
    format: "json",
    text: JSON.stringify({
      mcpServers: {},
      gateway: { port: 8080, domain: "localhost", agentId: "test-key", ...fields },
    }),
    verdict,
  })),
  {
    go: "TestValidateGatewayConfig (toolTimeout below minimum (9))",
    format: "json",
    text: JSON.stringify({
      mcpServers: {},
      gateway: { port: 8080, domain: "localhost", agentId: "test-key", toolTimeout: 9 },
    }),
    verdict: { refused: /toolTimeout must be at least 10/ },
    differs: "toolTimeout below 10 (awmg accepts a gateway toolTimeout under Go's minimum)",
  },
  ...([
    [
      "valid toolTimeout on http server",
      { type: "http", url: "https://example.com/mcp", toolTimeout: 600 },
      "accepted",
    ],
    ["valid toolTimeout at minimum (10) on http server", {
      type: "http",
      url: "https://example.com/mcp",
      toolTimeout: 10,
    }, "accepted"],
    ["toolTimeout below minimum (9) on http server", {
      type: "http",
      url: "https://example.com/mcp",
      toolTimeout: 9,
    }, { refused: /toolTimeout/ }],
    ["toolTimeout of 0 on http server (treated as unset, falls back to global)", {
      type: "http",
      url: "https://example.com/mcp",
      toolTimeout: 0,
    }, "accepted"],
    ["valid toolTimeout on stdio server", {
      type: "stdio",
      container: "ghcr.io/owner/image:latest",
      toolTimeout: 120,
    }, "accepted"],
    ["toolTimeout below minimum on stdio server", {
      type: "stdio",
      container: "ghcr.io/owner/image:latest",
      toolTimeout: 5,
    }, { refused: /toolTimeout/ }],
    ["no toolTimeout set (omitted)", { type: "http", url: "https://example.com/mcp" }, "accepted"],
  ] as const).map(([name, server, verdict]): Case => ({
    go: `TestValidatePerServerToolTimeout (${name})`,
    format: "json",
    text: JSON.stringify({
      mcpServers: { "test-server": server },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict,
  })),
  ...([
    ["valid with container", { type: "stdio", container: "test:latest" }, "accepted"],
    ["valid with entrypointArgs and container", {
      type: "stdio",
      container: "test:latest",
      entrypointArgs: ["--verbose"],
    }, "accepted"],
    ["valid with entrypoint and container", {
      type: "stdio",
      container: "test:latest",
      entrypoint: "/bin/bash",
    }, "accepted"],
    ["valid with multiple mounts", {
      type: "stdio",
      container: "test:latest",
      mounts: ["/host/path1:/container/path1:ro", "/host/path2:/container/path2:rw"],
    }, "accepted"],
    ["valid with all new fields", {
      type: "stdio",
      container: "test:latest",
      entrypoint: "/custom/entrypoint.sh",
      entrypointArgs: ["--verbose", "--debug"],
      mounts: ["/host:/container:ro"],
    }, "accepted"],
    ["http server without url", { type: "http" }, { refused: /url/ }],
    ["http server with mounts should be rejected (T-CFG-019)", {
      type: "http",
      url: "https://example.com/mcp",
      mounts: ["/host/path:/container/path:ro"],
    }, { refused: /mounts/ }],
    ["empty type defaults to stdio with container", { container: "test:latest" }, "accepted"],
    [
      "invalid mount without mode",
      { type: "stdio", container: "test:latest", mounts: ["/host:/container"] },
      {
        refused: /invalid mount specification/,
      },
    ],
    ["invalid mount format - too many parts", {
      type: "stdio",
      container: "test:latest",
      mounts: ["/host:/container:ro:extra"],
    }, { refused: /invalid mount specification/ }],
    ["mount with empty source", { type: "stdio", container: "test:latest", mounts: [":/container:ro"] }, {
      refused: /mounts\[0\]/,
    }],
    ["mount with empty destination", { type: "stdio", container: "test:latest", mounts: ["/host::ro"] }, {
      refused: /mounts\[0\]/,
    }],
  ] as const).map(([name, server, verdict]): Case => ({
    go: `TestValidateStdioServer (${name})`,
    format: "json",
    text: JSON.stringify({
      mcpServers: { "test-server": server },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    verdict,
  })),
  ...([
    [
      "valid github-oidc auth on http server",
      { type: "github-oidc", audience: "https://example.com" },
      "http",
      "accepted",
    ],
    ["valid github-oidc auth without audience on http server", { type: "github-oidc" }, "http", "accepted"],
    ["auth on stdio server is rejected", { type: "github-oidc" }, "stdio", {
      refused: /"auth" applies only to http servers/,
    }],
    ["unknown auth type is rejected", { type: "unknown-type" }, "http", { refused: /unknown-type/ }],
    ["empty auth type is rejected", { type: "" }, "http", { refused: /auth\.type/ }],
  ] as const).map(([name, auth, kind, verdict]): Case => ({
    go: `TestValidateAuthConfig (${name})`,
    format: "json",
    text: JSON.stringify({
      mcpServers: {
        "test-server": kind === "http"
          ? { type: "http", url: "https://example.com/mcp", auth }
          : { type: "stdio", container: "ghcr.io/owner/image:latest", auth },
      },
      gateway: { port: 8080, domain: "localhost", agentId: "test-key" },
    }),
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example.com",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t",
    },
    verdict,
  })),
  {
    go: "validateTOMLStdioContainerization (a TOML command that is not docker)",
    format: "toml",
    text: '[servers.a]\ncommand = "node"\nargs = ["server.js"]\n',
    verdict: { refused: /stdio servers must use containerized execution/ },
    differs: "any program as a TOML command (awmg runs it as given; Go demands docker)",
  },
  {
    go: "TestLoadFromFile_ToolResponseFilters (filters awmg does not enforce)",
    format: "toml",
    text: GITHUB +
      '\n[servers.github.tool_response_filters]\nlist_code_scanning_alerts = "map(del(.rule.help))"\n',
    verdict: "accepted",
    differs: "tool_response_filters refused (awmg does not enforce jq filters, so it fails closed)",
  },
];

for (const entry of CASES) {
  Deno.test(`Go: ${entry.go} (${entry.format})`, () => {
    const loaded = loadConfigText(
      entry.text,
      entry.format,
      entry.format === "json" ? { kind: "stdin" } : { kind: "file", path: "config.toml" },
      (name) => entry.env?.[name],
    );
    const errors = loaded.ok ? "" : loaded.failure.errors.map(formatIssue).join("\n");
    if (entry.differs !== undefined) {
      // Deliberate: awmg's verdict is the opposite of Go's, and the compatibility page says why.
      assert.equal(loaded.ok, entry.verdict !== "accepted", `${entry.differs}\n${errors}`);
      return;
    }
    if (entry.verdict === "accepted") assert.ok(loaded.ok, errors);
    else {
      assert.ok(!loaded.ok, "Go refuses this config");
      assert.match(errors, entry.verdict.refused);
    }
  });
}

Deno.test("every deliberate difference with Go in the cases is listed on the compatibility page", async () => {
  const page = await Deno.readTextFile(new URL("../../docs/compatibility.md", import.meta.url));
  for (const entry of CASES.filter((c) => c.differs !== undefined)) {
    const key = entry.differs!.split(" (")[0];
    assert.ok(page.includes(key), `docs/compatibility.md does not mention "${key}"`);
  }
});
