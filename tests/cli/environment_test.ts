import assert from "node:assert/strict";
import { runAwmg } from "../support/awmg.ts";
import { tempFile } from "../support/temp.ts";
import { startGateway } from "../support/gateway.ts";

Deno.test("--validate-env prints one line per check and exits 0 when nothing fails", async () => {
  const run = await runAwmg(["--validate-env"], {
    env: { MCP_GATEWAY_PORT: "8000", MCP_GATEWAY_DOMAIN: "localhost", MCP_GATEWAY_AGENT_ID: "k" },
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.ok(lines.length >= 5);
  for (const line of lines) assert.match(line, /^\[(PASS|WARN|FAIL)\] [a-zA-Z_ ]+: /);
  assert.match(run.stdout, /^\[PASS\] MCP_GATEWAY_PORT: set$/m);
});

Deno.test("containerized mode refuses to start without its requirements, naming each fix", async () => {
  const run = await runAwmg(["--config-stdin"], {
    stdin: '{"mcpServers": {}, "gateway": {"port": 8000, "domain": "localhost", "agentId": "k"}}',
    env: {
      MCP_GATEWAY_CONTAINERIZED: "1",
      MCP_GATEWAY_PORT: "",
      MCP_GATEWAY_DOMAIN: "",
      MCP_GATEWAY_AGENT_ID: "",
      MCP_GATEWAY_API_KEY: "",
    },
  });
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /\[FAIL\] MCP_GATEWAY_PORT: required in a container, but not set - fix: add -e MCP_GATEWAY_PORT=8000/,
  );
  assert.match(run.stderr, /Error: the container environment is not usable \(see the checks above\)/);
  const payload = JSON.parse(run.stdout).error;
  assert.equal(payload.code, "environment_invalid", "the orchestrator gets the failure on stdout");
  assert.ok(payload.checks.some((c: { name: string; status: string }) => c.name === "MCP_GATEWAY_PORT"));
  assert.equal(payload.configuration, undefined);

  const both = await runAwmg(["--config-stdin"], {
    stdin:
      '{"mcpServers": {"x": {"type": "stdio"}}, "gateway": {"port": 0, "domain": "localhost", "agentId": "k"}}',
    env: {
      MCP_GATEWAY_CONTAINERIZED: "1",
      MCP_GATEWAY_PORT: "",
      MCP_GATEWAY_DOMAIN: "",
      MCP_GATEWAY_AGENT_ID: "",
      MCP_GATEWAY_API_KEY: "",
    },
  });
  assert.equal(both.code, 1);
  const reported = JSON.parse(both.stdout).error;
  assert.equal(reported.code, "environment_invalid");
  assert.equal(
    reported.configuration.code,
    "invalid_configuration",
    "an invalid config is reported in the same run",
  );
  assert.deepEqual(reported.configuration.errors.map((e: { path: string }) => e.path), [
    "gateway.port",
    "mcpServers.x.container",
  ]);
  const validate = await runAwmg(["--validate-env"], {
    env: { MCP_GATEWAY_CONTAINERIZED: "1", MCP_GATEWAY_AGENT_ID: "", MCP_GATEWAY_API_KEY: "" },
  });
  assert.equal(validate.code, 1);
  assert.match(
    validate.stdout,
    /^\[FAIL\] MCP_GATEWAY_AGENT_ID: required in a container, but not set - fix: add -e MCP_GATEWAY_AGENT_ID=your-agent-id$/m,
  );
  const legacy = await runAwmg(["--validate-env"], {
    env: { MCP_GATEWAY_CONTAINERIZED: "1", MCP_GATEWAY_AGENT_ID: "", MCP_GATEWAY_API_KEY: "k" },
  });
  assert.match(
    legacy.stdout,
    /^\[WARN\] MCP_GATEWAY_AGENT_ID: MCP_GATEWAY_API_KEY is deprecated; please rename it to MCP_GATEWAY_AGENT_ID$/m,
    "the deprecated name still counts, with Go's warning",
  );
});

Deno.test("outside a container with no --config, a default config with no servers is used", async () => {
  const gateway = await startGateway({});
  try {
    const health = await (await fetch(`${gateway.url}/health`)).json();
    assert.deepEqual(health.servers, {});
  } finally {
    await gateway.stop();
  }
  assert.match(gateway.stderr, /\[WARN\] \[config\] no servers are configured/);
});

Deno.test("awmg health: 0 for a healthy gateway, 1 when nothing answers", async () => {
  const gateway = await startGateway({});
  try {
    const healthy = await runAwmg(["health", `${gateway.url}/health`]);
    assert.equal(healthy.code, 0);
    assert.equal(JSON.parse(healthy.stdout).status, "healthy");
  } finally {
    await gateway.stop();
  }
  const down = await runAwmg(["health", "http://127.0.0.1:9/health"]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^Error: http:\/\/127\.0\.0\.1:9\/health did not answer: /);
});

Deno.test("a failed start carries a suggestion matched to its cause", async () => {
  const path = await tempFile(
    '[servers.ghost]\ncommand = "/nonexistent/server"\n[servers.slow]\ncommand = "sleep"\nargs = ["30"]\n[gateway]\nstartup_timeout = 1\n',
    ".toml",
  );
  const run = await runAwmg([
    "--config",
    path,
    "--listen",
    "127.0.0.1:0",
    "--log-dir",
    "/tmp/gh-aw/mcp-logs/suggest",
  ]);
  assert.equal(run.code, 1);
  const servers = JSON.parse(run.stdout).error.servers as { server: string; suggestion: string }[];
  const by = Object.fromEntries(servers.map((s) => [s.server, s.suggestion]));
  assert.equal(by.ghost, 'install the program, or give its full path in "command"');
  assert.equal(by.slow, "the server was too slow to start: raise gateway.startupTimeout (seconds)");
});
