import assert from "node:assert/strict";
import { formatFailure, formatIssue } from "../../src/config/issues.ts";
import { loadConfigText, type LoadResult } from "../../src/config/load.ts";
import type { GatewayConfig } from "../../src/config/types.ts";

const ENV: Record<string, string> = {
  HOME: "/home/user",
  TOKEN: "ghp_secretvalue123",
  DOMAIN: "gw.example",
  LEVEL: "merged",
};
const lookup = (name: string) => ENV[name];

function toml(text: string): LoadResult {
  return loadConfigText(text, "toml", { kind: "file", path: "config.toml" }, lookup);
}
/** Loads a stdin JSON config; the gateway's port, domain and key, which its schema requires, are added when absent. */
function json(value: Record<string, unknown>): LoadResult {
  const given = value.gateway as Record<string, unknown> | undefined;
  const keyed = given !== undefined && ["agentId", "apiKey", "agentIds"].some((key) => key in given);
  const gateway = { port: 8080, domain: "localhost", ...(keyed ? {} : { agentId: "test-key" }), ...given };
  return loadConfigText(JSON.stringify({ ...value, gateway }), "json", { kind: "stdin" }, lookup);
}
function ok(result: LoadResult): GatewayConfig {
  if (!result.ok) assert.fail(formatFailure(result.failure));
  return result.config;
}
function errors(result: LoadResult): string[] {
  assert.equal(result.ok, false, "expected the config to be rejected");
  return result.ok ? [] : result.failure.errors.map(formatIssue);
}

Deno.test("TOML stdio server runs its command and args as given", () => {
  const config = ok(toml(`
[servers.fs]
command = "node"
args = ["/srv/fs.js", "/data"]
env = { ROOT = "/data", TOKEN = "" }
`));
  assert.deepEqual(config.servers, [{
    id: "fs",
    type: "stdio",
    tools: undefined,
    registry: undefined,
    isolation: "shared",
    protocolVersion: "auto",
    pins: "enforce",
    scan: "enforce",
    toolTimeout: undefined,
    rateLimitThreshold: 3,
    rateLimitCooldown: 60,
    env: [{ name: "ROOT", value: "/data" }, { name: "TOKEN", passthrough: true }],
    launch: { kind: "command", command: "node", args: ["/srv/fs.js", "/data"] },
  }]);
  assert.equal(config.gateway.startupTimeout, 60);
  assert.equal(config.gateway.toolTimeout, 120);
  assert.ok(Object.isFrozen(config.servers[0]));
});

Deno.test("TOML http and mixed servers, snake_case and camelCase gateway keys", () => {
  const config = ok(toml(`
[servers.remote]
type = "http"
url = "https://mcp.example.com/api"
headers = { Authorization = "Bearer \${TOKEN}" }

[servers.local]
command = "docker"
args = ["run", "--rm", "-i", "img"]

[gateway]
port = 8000
api_key = "k1"
startupTimeout = 30
tool_timeout = 60
`));
  assert.deepEqual(config.servers.map((s) => [s.id, s.type]), [["remote", "http"], ["local", "stdio"]]);
  const remote = config.servers[0];
  assert.equal(remote.type === "http" && remote.headers.Authorization, "Bearer ghp_secretvalue123");
  assert.deepEqual(config.gateway.apiKeys, ["k1"]);
  assert.equal(config.gateway.startupTimeout, 30);
  assert.equal(config.gateway.toolTimeout, 60);
  assert.ok(config.secrets.includes("ghp_secretvalue123"));
  assert.ok(config.secrets.includes("k1"));
});

Deno.test("a password written into a remote server's URL is a secret, as written and as encoded", () => {
  const config = ok(toml(`
[servers.remote]
type = "http"
url = "https://alice:pa ss@word@example.com/mcp"
`));
  assert.ok(config.secrets.includes("pa ss@word"), "as written");
  assert.ok(config.secrets.includes("pa%20ss%40word"), "as the URL parser encodes it");
});

Deno.test("a document nested deeper than any config is refused whole, in either format, not walked", () => {
  const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
  const [jsonIssue] = errors(
    loadConfigText(
      `{"mcpServers":{},"gateway":{"port":1,"x":${deep(100_000)}}}`,
      "json",
      { kind: "stdin" },
      lookup,
    ),
  );
  assert.match(jsonIssue, /nests arrays or objects more than 1000 levels deep/);
  const [tomlIssue] = errors(toml(`[gateway]\nx = ${deep(100_000)}\n`));
  assert.match(tomlIssue, /excessively nested/);
  const shallower = errors(
    json({
      mcpServers: {
        x: {
          type: "stdio",
          container: "a",
          "guard-policies": JSON.parse(`{"github":{"repos":${deep(990)}}}`),
        },
      },
    }),
  );
  assert.ok(
    shallower.some((issue) => /guard-policies\.github\.repos/.test(issue)),
    "validated, not refused whole",
  );
});

Deno.test("a container image that the runtime would read as its own option is refused", () => {
  for (const image of ["--cap-add=ALL", "-v/:/host", " alpine", "alpine --privileged"]) {
    const [issue] = errors(
      json({ mcpServers: { x: { type: "stdio", container: image, entrypointArgs: ["alpine"] } } }),
    );
    assert.match(issue, /^mcpServers\.x\.container: invalid value\n\s+expected an image reference/, image);
  }
  for (
    const image of [
      "alpine",
      "ghcr.io/github/github-mcp-server:v0.30.0",
      `localhost:5000/team/image@sha256:${"a".repeat(64)}`,
      "Registry.Example.com/a_b/c-d:1.2.3-rc.1",
    ]
  ) {
    ok(json({ mcpServers: { x: { type: "stdio", container: image } } }));
  }
});

Deno.test("JSON stdio container server with every field, and an http server", () => {
  const config = ok(json({
    mcpServers: {
      custom: {
        type: "local",
        container: "myorg/custom:v1",
        entrypoint: "/app/entry.sh",
        entrypointArgs: ["--verbose"],
        args: ["--memory", "512m"],
        mounts: ["${HOME}/config:/app/config:ro", "/tmp/cache:/app/cache:rw"],
        env: { API_KEY: "", EXPANDED: "${HOME}/x", LEVEL: "debug" },
        tools: ["a", "b"],
      },
      remote: { type: "http", url: "https://mcp.example.com/mcp" },
    },
    gateway: { port: 8080, apiKey: "key", domain: "localhost", payloadDir: "/tmp/p" },
  }));
  const [custom, remote] = config.servers;
  assert.equal(custom.type, "stdio");
  assert.deepEqual(custom.type === "stdio" && custom.launch, {
    kind: "container",
    image: "myorg/custom:v1",
    entrypoint: "/app/entry.sh",
    entrypointArgs: ["--verbose"],
    dockerArgs: ["--memory", "512m"],
    mounts: [
      { source: "/home/user/config", target: "/app/config", mode: "ro" },
      { source: "/tmp/cache", target: "/app/cache", mode: "rw" },
    ],
  });
  assert.deepEqual(custom.type === "stdio" && custom.env, [
    { name: "API_KEY", passthrough: true },
    { name: "EXPANDED", value: "/home/user/x" },
    { name: "LEVEL", value: "debug" },
  ]);
  assert.deepEqual(custom.tools, ["a", "b"]);
  assert.deepEqual(remote, {
    id: "remote",
    type: "http",
    url: "https://mcp.example.com/mcp",
    headers: {},
    tools: undefined,
    registry: undefined,
    isolation: "shared",
    protocolVersion: "auto",
    pins: "enforce",
    scan: "enforce",
    toolTimeout: undefined,
    rateLimitThreshold: 3,
    rateLimitCooldown: 60,
    connectTimeout: 30,
  });
  assert.equal(config.gateway.port, 8080);
  assert.equal(config.gateway.payloadDir, "/tmp/p");
});

Deno.test('empty and local types normalise to stdio; tools ["*"] means all', () => {
  const config = ok(
    json({ mcpServers: { a: { type: "", container: "i" }, b: { container: "i", tools: ["*"] } } }),
  );
  assert.deepEqual(config.servers.map((s) => s.type), ["stdio", "stdio"]);
  assert.equal(config.servers[1].tools, undefined);
});

Deno.test("undefined variables fail with the variable and the path that needs it", () => {
  assert.deepEqual(
    errors(json({ mcpServers: { github: { container: "i", env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" } } } })),
    [
      "undefined environment variable referenced: GITHUB_TOKEN\n    Required by: mcpServers.github.env.GITHUB_TOKEN\n" +
      "    suggestion: set GITHUB_TOKEN in the environment (or in the --env file) before starting awmg",
    ],
  );
});

Deno.test("unknown TOML keys are errors in Go's words, with line numbers and the closest key", () => {
  assert.deepEqual(
    errors(toml(`[servers.a]
command = "x"

[gateway]
prot = 3000
startup_timout = 30
`)),
    [
      "unrecognized field 'gateway.prot' (line 5)\n    suggestion: did you mean 'port'?",
      "unrecognized field 'gateway.startup_timout' (line 6)\n    suggestion: did you mean 'startup_timeout'?",
    ],
  );
});

Deno.test("unknown top-level JSON keys are errors", () => {
  assert.deepEqual(errors(json({ mcpServers: {}, gatway: {} })), [
    "unrecognized field 'gatway'\n    suggestion: did you mean 'gateway'?",
  ]);
});

Deno.test("TOML syntax errors name line and column", () => {
  assert.deepEqual(errors(toml("[gateway]\nport 3000\n")), [
    "failed to parse TOML at line 2, column 6: illegal character in key",
  ]);
});

Deno.test("JSON syntax errors and empty stdin", () => {
  const broken = loadConfigText('{"mcpServers": {', "json", { kind: "stdin" }, lookup);
  assert.match(
    errors(broken)[0],
    /^failed to parse JSON: .*\n {4}suggestion: check the document with: jq \. config\.json$/,
  );
  const empty = loadConfigText("", "json", { kind: "stdin" }, lookup);
  assert.match(errors(empty)[0], /^no configuration received on stdin\n {4}suggestion: pipe a JSON config/);
});

Deno.test("missing required fields", () => {
  assert.deepEqual(errors(json({ mcpServers: { a: { type: "stdio" }, b: { type: "http" } } })), [
    'mcpServers.a.container: a stdio server requires "container"\n    expected a Docker image name, found nothing\n' +
    '    suggestion: add "container": "ghcr.io/owner/image:tag"',
    'mcpServers.b.url: an http server requires "url"\n    expected an http(s) URL, found nothing\n' +
    '    suggestion: add "url": "https://host/mcp"',
  ]);
  assert.deepEqual(errors(toml("[servers.a]\nargs = []\n")), [
    'servers.a: a stdio server requires "command" (a program to run) or "container" (an image) (line 1)\n' +
    '    suggestion: e.g. command = "docker" and args = ["run", "--rm", "-i", "image"]',
  ]);
});

Deno.test("wrong types report expected and found; secret values stay hidden", () => {
  assert.deepEqual(
    errors(json({
      mcpServers: { a: { container: 42, args: "x", env: { TOKEN: 123 } } },
      gateway: { apiKey: 7, startupTimeout: "soon" },
    })),
    [
      "gateway.apiKey: wrong type\n    expected a non-empty string, found a number (value hidden)",
      'gateway.startupTimeout: wrong type\n    expected a positive integer (seconds), found "soon"',
      'mcpServers.a.args: wrong type\n    expected an array of strings, found "x"',
      "mcpServers.a.container: wrong type\n    expected a non-empty image name, found number 42",
      "mcpServers.a.env.TOKEN: wrong type\n    expected string value, found a number (value hidden)",
    ],
  );
});

Deno.test("headers fetch would refuse and environment no process can hold are refused, the values unshown", () => {
  const refused = errors(toml(`
[servers.remote]
type = "http"
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer \${TOKEN}\\r\\nX-Injected: 1", "X Spaced" = "v", Nul = "a\\u0000b" }

[servers.local]
command = "node"
env = { "LEAK=\${TOKEN}" = "v", "" = "empty", ZERO = "a\\u0000b" }
`));
  assert.deepEqual(refused, [
    "servers.remote.headers.Authorization: invalid value\n" +
    "    expected a header value with no line break or NUL inside, found a string (value hidden)",
    "servers.remote.headers: invalid value (line 5)\n" +
    "    expected a header name: letters, digits and !#$%&'*+-.^_`|~, found a string (value hidden)",
    "servers.remote.headers.Nul: invalid value\n" +
    "    expected a header value with no line break or NUL inside, found a string (value hidden)",
    "servers.local.env: invalid value (line 9)\n" +
    "    expected an environment variable name: not empty, without '=' or NUL, found a string (value hidden)",
    "servers.local.env: invalid value (line 9)\n" +
    "    expected an environment variable name: not empty, without '=' or NUL, found a string (value hidden)",
    "servers.local.env.ZERO: invalid value\n    expected a value without NUL, found a string (value hidden)",
  ]);
  assert.ok(refused.every((issue) => !issue.includes("secretvalue")));
  // fetch trims whitespace at a value's ends (a token read from a file ends in a newline): that one is sent.
  const config = ok(toml(`
[servers.remote]
type = "http"
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer \${TOKEN}\\n", "X-Api_Key.v2" = "\\t a b \\r\\n" }
`));
  const [remote] = config.servers;
  assert.ok(remote.type === "http");
  assert.deepEqual(remote.headers, {
    Authorization: "Bearer ghp_secretvalue123\n",
    "X-Api_Key.v2": "\t a b \r\n",
  });
});

Deno.test("port must be within 1-65535", () => {
  for (const port of [0, 65536, 70000]) {
    assert.deepEqual(errors(json({ mcpServers: {}, gateway: { port } })), [
      `gateway.port: port must be between 1 and 65535\n    expected an integer from 1 to 65535, found number ${port}`,
    ]);
  }
  assert.equal(ok(json({ mcpServers: {}, gateway: { port: 65535 } })).gateway.port, 65535);
  assert.equal(ok(json({ mcpServers: {}, gateway: { port: "8000" } })).gateway.port, 8000);
});

Deno.test("mounts: valid, missing parts, bad mode, relative paths, on an http server", () => {
  const mounts = (list: string[]) => errors(json({ mcpServers: { s: { container: "i", mounts: list } } }));
  const expected = '\n    expected "source:dest:mode" with absolute paths and mode "ro" or "rw", found';
  assert.deepEqual(mounts(["/a:/b"]), [
    `mcpServers.s.mounts[0]: invalid mount specification: expected 3 parts separated by ':', found 2${expected} "/a:/b"\n` +
    '    suggestion: write it as "/host/path:/container/path:ro"',
  ]);
  assert.deepEqual(mounts([":/b:ro"]), [
    `mcpServers.s.mounts[0]: invalid mount specification: source and destination are required${expected} ":/b:ro"\n` +
    '    suggestion: e.g. "/host/data:/data:rw"',
  ]);
  assert.deepEqual(mounts(["/a:/b:rx"]), [
    `mcpServers.s.mounts[0]: invalid mount mode "rx"${expected} "/a:/b:rx"\n` +
    '    suggestion: use "ro" (read-only) or "rw" (read-write)',
  ]);
  assert.deepEqual(mounts(["/ok:/ok:ro", "data:/b:ro"]), [
    `mcpServers.s.mounts[1]: invalid mount specification: source "data" is not an absolute path${expected} "data:/b:ro"\n` +
    '    suggestion: start both paths with "/" (use ${HOME} for the home directory)',
  ]);
  assert.deepEqual(
    errors(json({ mcpServers: { h: { type: "http", url: "https://x/mcp", mounts: ["/a:/b:ro"] } } })),
    [
      'mcpServers.h.mounts: mounts apply only to stdio servers, not to type "http"\n' +
      '    suggestion: remove "mounts" or use type "stdio"',
    ],
  );
});

Deno.test("custom types: registered, unregistered, reserved names, non-https schema URL", () => {
  const registered = ok(json({
    mcpServers: { s: { type: "safeinputs" } },
    customSchemas: { safeinputs: "https://example.com/schema.json" },
  }));
  assert.deepEqual(registered.servers[0], {
    id: "s",
    type: "custom",
    customType: "safeinputs",
    schemaUrl: "https://example.com/schema.json",
    tools: undefined,
    registry: undefined,
    isolation: "shared",
    protocolVersion: "auto",
    pins: "enforce",
    scan: "enforce",
    toolTimeout: undefined,
    rateLimitThreshold: 3,
    rateLimitCooldown: 60,
  });
  assert.deepEqual(errors(json({ mcpServers: { s: { type: "htp", url: "https://x" } } })), [
    'mcpServers.s.type: unknown server type "htp"\n' +
    '    expected "stdio", "http" or a type registered in customSchemas, found "htp"\n' +
    '    suggestion: did you mean "http"?',
  ]);
  assert.deepEqual(errors(json({ mcpServers: {}, customSchemas: { http: "https://x/s.json" } })), [
    'customSchemas.http: "http" is a built-in server type and cannot be redefined\n' +
    "    suggestion: choose another name for the custom type",
  ]);
  assert.deepEqual(errors(json({ mcpServers: {}, customSchemas: { mine: "http://x/s.json" } })), [
    'customSchemas.mine: a custom schema URL must use https\n    expected an https:// URL, found "http://x/s.json"',
  ]);
});

Deno.test("command in JSON is rejected with a suggestion to use container", () => {
  assert.deepEqual(errors(json({ mcpServers: { s: { command: "node", args: ["x.js"] } } })), [
    'mcpServers.s.command: "command" is not supported in the JSON stdin format\n' +
    '    suggestion: use "container": "<image>"; awmg runs it as docker run --rm -i <image>',
  ]);
});

Deno.test("domain accepts localhost, host.docker.internal or a ${VAR}", () => {
  assert.equal(ok(json({ mcpServers: {}, gateway: { domain: "${DOMAIN}" } })).gateway.domain, "gw.example");
  assert.deepEqual(errors(json({ mcpServers: {}, gateway: { domain: "example.com" } })), [
    "gateway.domain: domain 'example.com' must be 'localhost', 'host.docker.internal', an RFC-1123 hostname " +
    "label (e.g. 'awmg-mcpg'), or a variable expression\n" +
    '    expected "localhost", "host.docker.internal", a hostname label or a ${VAR} reference, found "example.com"',
  ]);
});

Deno.test("apiKey and agentIds are one setting: exclusive, several keys allowed", () => {
  assert.deepEqual(ok(json({ mcpServers: {}, gateway: { agentIds: ["a", "b"] } })).gateway.apiKeys, [
    "a",
    "b",
  ]);
  assert.deepEqual(errors(json({ mcpServers: {}, gateway: { apiKey: "a", agentIds: ["b"] } })), [
    'gateway: "agentIds" holds the keys; "apiKey" and "agentId" beside it are spellings of the same setting\n' +
    '    suggestion: keep "agentIds" for several keys, or "agentId" for one',
  ]);
  // As the Go gateway: agentId wins over apiKey, with a warning.
  const both = json({ mcpServers: {}, gateway: { apiKey: "a", agentId: "b" } });
  assert.deepEqual(ok(both).gateway.apiKeys, ["b"]);
  assert.ok(both.ok);
  assert.match(both.warnings.map(formatIssue)[0], /"agentId" takes precedence, as in the Go gateway/);
});

Deno.test("every error is reported, not only the first", () => {
  assert.equal(
    errors(json({
      mcpServers: { a: { type: "stdio" }, b: { type: "http" }, c: { command: "x" } },
      gateway: { port: 0, toolTimeout: -5 },
    })).length,
    5,
  );
});

Deno.test("session timeout accepts seconds and durations", () => {
  assert.equal(ok(json({ mcpServers: {}, gateway: { sessionTimeout: "30m" } })).gateway.sessionTimeout, 1800);
  assert.equal(ok(json({ mcpServers: {}, gateway: {} })).gateway.sessionTimeout, 21600);
});

Deno.test("security policy awmg cannot enforce is refused, with its path; so is any other unknown key (forcePublicRepos is enforced)", () => {
  const policy = "cannot be enforced by awmg: the server would run without this security policy";
  assert.deepEqual(
    errors(json({
      mcpServers: {
        remote: { type: "http", url: "https://x.example/mcp", auth: { type: "api-key" } },
        s: { container: "i", tool_response_filters: { list: ".[0]" } },
      },
      gateway: { forcePublicRepos: true },
    })).map((e) => e.split("\n")[0]),
    [
      `mcpServers.remote.auth.type: auth of type "api-key" (awmg implements "github-oidc") ${policy}`,
      `mcpServers.s.tool_response_filters: tool response filters (jq) ${policy}`,
    ],
  );
  assert.deepEqual(errors(toml('[servers.s]\ncommand = "x"\nfuture_key = 1\n')), [
    "unrecognized field 'servers.s.future_key' (line 3)\n    suggestion: check for typos or deprecated options",
  ]);
});

Deno.test("guards and guard policies: both formats, every Go spelling, defaults", () => {
  const fromJson = ok(json({
    guards: {
      gh: {
        type: "wasm",
        path: "/guards/gh.wasm",
        policy: { "allow-only": { repos: "all", integrity: "none" } },
      },
    },
    mcpServers: {
      github: {
        container: "i",
        guard: "gh",
        "guard-policies": {
          "allow-only": {
            repos: ["octo/*", "octo/re*"],
            "min-integrity": "Approved",
            "tool-call-limits": { create_issue: 2 },
            "refusal-labels": "spam, wontfix",
            "blocked-users": ["mallory"],
          },
        },
      },
      safeoutputs: { container: "j", "guard-policies": { "write-sink": { accept: ["*"] } } },
      nested: {
        container: "k",
        "guard-policies": {
          nested: { writesink: { accept: ["private:octo"], "sink-visibility": "Private" } },
        },
      },
    },
    gateway: { guardsMode: "Propagate", trustedBots: ["helper[bot]"], forcePublicRepos: false },
  }));
  assert.deepEqual(fromJson.guards, {
    gh: {
      type: "wasm",
      path: "/guards/gh.wasm",
      policy: { kind: "allow-only", payload: { repos: "all", "min-integrity": "none" }, toolCallLimits: {} },
    },
  });
  const [github, safeoutputs, nested] = fromJson.servers;
  assert.equal(github.guard, "gh");
  assert.deepEqual(github.guardPolicy, {
    kind: "allow-only",
    payload: {
      repos: ["octo/*", "octo/re*"],
      "min-integrity": "approved",
      "tool-call-limits": { create_issue: 2 },
      "refusal-labels": ["spam", "wontfix"],
      "blocked-users": ["mallory"],
    },
    toolCallLimits: { create_issue: 2 },
  });
  assert.deepEqual(safeoutputs.guardPolicy, { kind: "write-sink", accept: ["*"] });
  assert.deepEqual(nested.guardPolicy, {
    kind: "write-sink",
    accept: ["private:octo"],
    sinkVisibility: "private",
  });
  assert.equal(fromJson.gateway.guardsMode, "propagate");
  assert.deepEqual(fromJson.gateway.trustedBots, ["helper[bot]"]);
  assert.deepEqual(
    fromJson.gateway.sinkVisibilityExemptServers,
    ["*"],
    "forcePublicRepos = false exempts all",
  );

  const fromToml = ok(toml(
    'guards_mode = "filter"\n[guards.gh]\ntype = "wasm"\npath = "/g.wasm"\n[servers.github]\ncommand = "x"\nguard = "gh"\n' +
      '[servers.github.guard_policies.allow-only]\nrepos = "public"\nmin-integrity = "${LEVEL}"\n',
  ));
  assert.equal(fromToml.gateway.guardsMode, "filter");
  assert.deepEqual(fromToml.servers[0].guardPolicy, {
    kind: "allow-only",
    payload: { repos: "public", "min-integrity": "merged" },
    toolCallLimits: {},
  });
});

Deno.test("guard policy errors carry their JSONPath, and every one is reported", () => {
  assert.deepEqual(
    errors(json({
      guards: { bad: { type: "lua" } },
      mcpServers: {
        a: {
          container: "i",
          guard: "gh",
          "guard-policies": { "allow-only": { repos: ["Octo/Repo", "octo/a*b"] } },
        },
        b: {
          container: "i",
          "guard-policies": { "allow-only": { repos: "all", "min-integrity": "high", extra: 1 } },
        },
        c: {
          container: "i",
          "guard-policies": { "write-sink": { accept: ["*", "octo/x"], "sink-visibility": "world" } },
        },
        d: {
          container: "i",
          "guard-policies": {
            "allow-only": { repos: "all", "min-integrity": "none" },
            "write-sink": { accept: ["*"] },
          },
        },
        e: { container: "i", "guard-policies": { mode: "strict" } },
      },
    })).map((e) => e.split("\n")[0]),
    [
      "guards.bad.type: wrong type",
      'mcpServers.a.guard: no guard named "gh" is defined',
      "mcpServers.a.guard-policies.allow-only.repos[0]: invalid repository scope",
      "mcpServers.a.guard-policies.allow-only.min-integrity: allow-only requires min-integrity",
      "mcpServers.b.guard-policies.allow-only.extra: allow-only has no field 'extra'",
      "mcpServers.b.guard-policies.allow-only.min-integrity: invalid integrity level",
      "mcpServers.c.guard-policies.write-sink.accept[0]: invalid accept entry",
      "mcpServers.c.guard-policies.write-sink.sink-visibility: invalid sink-visibility",
      "mcpServers.d.guard-policies: a policy is either allow-only or write-sink, not both",
      "mcpServers.e.guard-policies: a policy must include allow-only or write-sink",
    ],
  );
});

Deno.test("the security limits and allow-lists: defaults, both spellings, validated", () => {
  const defaults = ok(json({ mcpServers: {} })).gateway;
  assert.deepEqual(
    [defaults.maxMessageSize, defaults.maxUnsentBytes, defaults.maxSessions, defaults.bodyTimeout],
    [64 * 1024 * 1024, 16 * 1024 * 1024, 10_000, 30],
  );
  const set = ok(toml(
    '[servers.s]\ncommand = "x"\n[gateway]\nmax_sessions = 5\nallowed_hosts = ["gw.internal"]\nallowed_origins = ["https://app.example.com"]\n',
  )).gateway;
  assert.deepEqual([set.maxSessions, set.allowedHosts, set.allowedOrigins], [5, ["gw.internal"], [
    "https://app.example.com",
  ]]);
  assert.match(
    errors(json({ mcpServers: {}, gateway: { allowedOrigins: ["https://x.example/path"] } }))[0],
    /^gateway\.allowedOrigins\[0\]: invalid value\n {4}expected origin such as "https:\/\/app\.example\.com"/,
  );
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", isolation: "process" } } }))[0],
    /^mcpServers\.s\.isolation: .*\n {4}expected "shared" or "session"/,
  );
});

Deno.test("per-server toolTimeout (0 or at least 10) and connectTimeout (http only)", () => {
  const config = ok(json({
    mcpServers: {
      slow: { container: "i", toolTimeout: 600 },
      remote: { type: "http", url: "https://x.example/mcp", connectTimeout: 5 },
      plain: { container: "i", toolTimeout: 0 },
    },
  }));
  const [slow, remote, plain] = config.servers;
  assert.equal(slow.toolTimeout, 600);
  assert.equal(remote.type === "http" && remote.connectTimeout, 5);
  assert.equal(plain.toolTimeout, undefined, "0 means the gateway's toolTimeout");
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", toolTimeout: 5 } } }))[0],
    /^mcpServers\.s\.toolTimeout: tool_timeout must be at least 10\n {4}expected 0 \(the gateway's toolTimeout\) or at least 10/,
  );
  assert.match(
    errors(toml('[servers.s]\ncommand = "x"\nconnect_timeout = 5\n'))[0],
    /^servers\.s\.connect_timeout: "connectTimeout" applies only to http servers/,
  );
});

Deno.test("github-oidc auth on an http server: audience defaults to the url; the request token is a secret", () => {
  const env: Record<string, string> = {
    ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:1/t",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "rt-1",
  };
  const loaded = loadConfigText(
    JSON.stringify({
      mcpServers: { a: { type: "http", url: "https://a.example/mcp", auth: { type: "github-oidc" } } },
      gateway: { port: 8080, domain: "localhost", agentId: "k" },
    }),
    "json",
    { kind: "stdin" },
    (name) => env[name],
  );
  assert.ok(loaded.ok);
  const [server] = loaded.config.servers;
  assert.equal(server.type === "http" && server.oidcAudience, "https://a.example/mcp");
  assert.ok(loaded.config.secrets.includes("rt-1"));
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", auth: { type: "github-oidc" } } } }))[0],
    /^mcpServers\.s\.auth: "auth" applies only to http servers/,
  );
});

Deno.test("the tracing section: JSON opentelemetry, TOML [gateway.tracing] in snake_case, validated", () => {
  const fromToml = ok(toml(
    '[servers.s]\ncommand = "x"\n[gateway.tracing]\nendpoint = "https://otel.example.com"\ntrace_id = "4bf92f3577b34da6a3ce929d0e0e4736"\n' +
      'span_id = "00f067aa0ba902b7"\nservice_name = "gw"\nsample_rate = 0.25\nsignal_path = "/ingest"\n',
  )).gateway.tracing;
  assert.deepEqual(fromToml, {
    endpoint: "https://otel.example.com",
    headers: {},
    parent: { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" },
    serviceName: "gw",
    sampleRate: 0.25,
    signalPath: "/ingest",
  });
  const problems = errors(json({
    mcpServers: {},
    gateway: {
      opentelemetry: {
        endpoint: "http://collector.example.com",
        traceId: "0".repeat(32),
        spanId: "xyz",
        sampleRate: 3,
      },
    },
  })).map((e) => e.split("\n")[0]);
  assert.deepEqual(problems, [
    "gateway.opentelemetry.endpoint: invalid value",
    "gateway.opentelemetry.traceId: invalid value",
    "gateway.opentelemetry.spanId: invalid value",
    "gateway.opentelemetry.sampleRate: invalid value",
  ]);
  assert.equal(
    errors(json({
      mcpServers: {},
      gateway: { opentelemetry: { endpoint: "https://otel.example", spanId: "00f067aa0ba902b7" } },
    }))[0].split("\n")[0],
    "gateway.opentelemetry.spanId: a parent span id needs the trace id it belongs to",
  );
});

Deno.test("working_directory for TOML command servers", () => {
  const [server] = ok(toml('[servers.s]\ncommand = "node"\nworking_directory = "/srv/app"\n')).servers;
  assert.deepEqual(server.type === "stdio" && server.launch, {
    kind: "command",
    command: "node",
    args: [],
    cwd: "/srv/app",
  });
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", workingDirectory: "/x" } } }))[0],
    /^mcpServers\.s\.workingDirectory: "workingDirectory" applies only to TOML command servers/,
  );
});

Deno.test("a JSON server's legacy tool_timeout and connect_timeout are read, checked and named as written", () => {
  const [remote] = ok(json({
    mcpServers: { r: { type: "http", url: "https://x.example/mcp", tool_timeout: 120, connect_timeout: 30 } },
  })).servers;
  assert.equal(remote.toolTimeout, 120);
  assert.equal(remote.type === "http" && remote.connectTimeout, 30);
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", tool_timeout: 5 } } }))[0],
    /^mcpServers\.s\.tool_timeout: tool_timeout must be at least 10/,
  );
  assert.match(
    errors(json({ mcpServers: { s: { container: "i", tool_timeout: 60, toolTimeout: 60 } } }))[0],
    /'mcpServers\.s\.toolTimeout' is set twice, as 'toolTimeout' and 'tool_timeout'/,
  );
});
