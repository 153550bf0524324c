import assert from "node:assert/strict";
import { environmentChecks, formatCheck, type Probe } from "../../src/environment/checks.ts";
import { isContainerized } from "../../src/environment/detect.ts";

function probe(overrides: Partial<Probe> & { vars?: Record<string, string> } = {}): Probe {
  const vars = overrides.vars ?? {};
  return {
    env: (name) => vars[name],
    inContainer: false,
    stdinIsTerminal: false,
    logDir: "/tmp/gh-aw/mcp-logs",
    exists: () => Promise.resolve(true),
    docker: (args) =>
      Promise.resolve(
        args[0] === "version" ? { ok: true, stdout: "28.2.2\n", stderr: "" } : {
          ok: true,
          stderr: "",
          stdout: JSON.stringify([{
            HostConfig: { PortBindings: { "8000/tcp": [{}] } },
            Mounts: [{ Destination: "/var/run/docker.sock", Source: "/var/run/docker.sock" }],
            Config: { User: "" },
          }]),
        },
      ),
    ...overrides,
  };
}

const ALL = {
  MCP_GATEWAY_PORT: "8000",
  MCP_GATEWAY_DOMAIN: "localhost",
  MCP_GATEWAY_AGENT_ID: "k",
  HOSTNAME: "abc",
};

Deno.test("outside a container, missing variables are warnings only", async () => {
  const lines = (await environmentChecks(probe())).map(formatCheck);
  assert.deepEqual(lines, [
    "[WARN] MCP_GATEWAY_PORT: not set (optional outside a container) - fix: add -e MCP_GATEWAY_PORT=8000",
    "[WARN] MCP_GATEWAY_DOMAIN: not set (optional outside a container) - fix: add -e MCP_GATEWAY_DOMAIN=localhost",
    "[WARN] MCP_GATEWAY_AGENT_ID: not set (optional outside a container) - fix: add -e MCP_GATEWAY_AGENT_ID=your-agent-id",
    "[PASS] docker daemon: reachable at /var/run/docker.sock (server 28.2.2)",
    "[PASS] config on stdin: stdin is not a terminal",
  ]);
});

Deno.test("in a container: required variables, the daemon, -i, the port mapping and the log mount", async () => {
  const failing = await environmentChecks(probe({
    inContainer: true,
    stdinIsTerminal: true,
    vars: { MCP_GATEWAY_PORT: "9000", HOSTNAME: "abc" },
    exists: () => Promise.resolve(false),
  }));
  assert.deepEqual(failing.filter((c) => c.status === "fail").map(formatCheck), [
    "[FAIL] MCP_GATEWAY_DOMAIN: required in a container, but not set - fix: add -e MCP_GATEWAY_DOMAIN=localhost",
    "[FAIL] MCP_GATEWAY_AGENT_ID: required in a container, but not set - fix: add -e MCP_GATEWAY_AGENT_ID=your-agent-id",
    "[FAIL] docker daemon: no docker socket at /var/run/docker.sock and DOCKER_HOST is not set - fix: mount the socket: -v /var/run/docker.sock:/var/run/docker.sock (or set DOCKER_HOST)",
    "[FAIL] config on stdin: stdin is a terminal, so no configuration can be piped in - fix: run with -i (not -t) and redirect the config: docker run -i ... < config.json",
    "[FAIL] port mapping: MCP_GATEWAY_PORT is 9000, but 9000/tcp is not published - fix: add -p 9000:9000",
  ]);
  const passing = await environmentChecks(probe({ inContainer: true, vars: ALL }));
  assert.deepEqual(passing.filter((c) => c.status !== "pass").map(formatCheck), [
    "[WARN] log directory: /tmp/gh-aw/mcp-logs is not a mount, so the logs will not persist - fix: add -v /path/on/host:/tmp/gh-aw/mcp-logs",
    "[WARN] privileges: the docker socket (or running as root) gives the gateway host-level power; run only trusted configs",
  ]);
});

Deno.test("an unreachable daemon says why and what to do", async () => {
  const [, , , docker] = await environmentChecks(probe({
    inContainer: true,
    vars: ALL,
    docker: () =>
      Promise.resolve({
        ok: false,
        stdout: "",
        stderr: "permission denied while trying to connect to the Docker daemon socket\n",
      }),
  }));
  assert.equal(
    formatCheck(docker),
    "[FAIL] docker daemon: not reachable at /var/run/docker.sock: permission denied while trying to connect to the Docker daemon socket - fix: give awmg access to the socket (run as root, or add the socket's group with --group-add)",
  );
});

Deno.test("containerized mode: a container with the config on stdin, unless overridden", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(isContainerized(["/.dockerenv exists"], true, env({})), true);
  assert.equal(isContainerized(["/.dockerenv exists"], false, env({})), false);
  assert.equal(isContainerized([], true, env({})), false);
  assert.equal(isContainerized([], false, env({ MCP_GATEWAY_CONTAINERIZED: "1" })), true);
  assert.equal(isContainerized(["/.dockerenv exists"], true, env({ MCP_GATEWAY_CONTAINERIZED: "0" })), false);
});
