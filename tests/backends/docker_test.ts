import assert from "node:assert/strict";
import { dockerRunArgs, withLabel } from "../../src/backends/docker.ts";
import { launchSpec } from "../../src/backends/launch.ts";
import { loadConfigText } from "../../src/config/load.ts";
import type { StdioServerConfig } from "../../src/config/types.ts";

function server(entry: unknown, env: Record<string, string> = {}): StdioServerConfig {
  const loaded = loadConfigText(
    JSON.stringify({ mcpServers: { s: entry }, gateway: { port: 8080, domain: "localhost", agentId: "k" } }),
    "json",
    { kind: "stdin" },
    (n) => env[n],
  );
  if (!loaded.ok || loaded.config.servers[0].type !== "stdio") throw new Error("bad fixture");
  return loaded.config.servers[0];
}

const LABELS = ["--label", "io.github.awmg.gateway=gw-1", "--label", "io.github.awmg.server=s"];

Deno.test("docker argv: the minimal image", () => {
  const s = server({ container: "ghcr.io/github/github-mcp-server:latest" });
  assert.equal(s.launch.kind, "container");
  if (s.launch.kind !== "container") return;
  assert.deepEqual(dockerRunArgs("s", s.launch, s.env, "gw-1"), [
    "run",
    "--rm",
    "-i",
    "--init",
    ...LABELS,
    "ghcr.io/github/github-mcp-server:latest",
  ]);
});

Deno.test("docker argv: the guide's custom server (entrypoint, mounts, env, args, entrypointArgs)", () => {
  const s = server({
    container: "myorg/custom-mcp-server:v1.2.3",
    entrypoint: "/app/custom-entrypoint.sh",
    entrypointArgs: ["--verbose", "--log-level=debug"],
    mounts: ["${HOME}/custom-config:/app/config:ro", "/tmp/custom-cache:/app/cache:rw"],
    env: { API_KEY: "", API_URL: "https://api.example.com", TOKEN: "${SECRET}" },
    args: ["--memory", "512m"],
  }, { HOME: "/home/user", SECRET: "t0ken-value" });
  const spec = launchSpec(
    s,
    "gw-1",
    (name) =>
      ({
        API_KEY: "from-host",
        MCP_GATEWAY_API_KEY: "gw-secret",
        HOME: "/home/u",
        DOCKER_HOST: "unix:///d.sock",
      })[name],
  );
  assert.equal(spec.command, "docker");
  assert.deepEqual(spec.args, [
    "run",
    "--rm",
    "-i",
    "--init",
    ...LABELS,
    "--entrypoint",
    "/app/custom-entrypoint.sh",
    "-v",
    "/home/user/custom-config:/app/config:ro",
    "-v",
    "/tmp/custom-cache:/app/cache:rw",
    "-e",
    "API_KEY",
    "-e",
    "API_URL",
    "-e",
    "TOKEN",
    "--memory",
    "512m",
    "myorg/custom-mcp-server:v1.2.3",
    "--verbose",
    "--log-level=debug",
  ]);
  assert.deepEqual(
    spec.env,
    {
      HOME: "/home/u",
      DOCKER_HOST: "unix:///d.sock",
      API_KEY: "from-host",
      API_URL: "https://api.example.com",
      TOKEN: "t0ken-value",
    },
    "the docker CLI gets the basics, its daemon settings and the configured variables, never the gateway's own",
  );
  assert.ok(!spec.args.some((arg) => arg.includes("t0ken-value") || arg.includes("api.example.com")));
  assert.deepEqual(spec.envNames, ["API_KEY", "API_URL", "TOKEN"]);
  assert.equal(spec.image, "myorg/custom-mcp-server:v1.2.3");
});

Deno.test("a TOML command server runs as given", () => {
  const loaded = loadConfigText(
    '[servers.x]\ncommand = "node"\nargs = ["a.js"]\nenv = { A = "1", B = "" }\n',
    "toml",
    {
      kind: "file",
      path: "c.toml",
    },
    () => undefined,
  );
  if (!loaded.ok || loaded.config.servers[0].type !== "stdio") throw new Error("bad fixture");
  const host: Record<string, string> = {
    PATH: "/usr/bin",
    B: "passed",
    GITHUB_TOKEN: "ghp_planted",
    DOCKER_HOST: "tcp://x",
    BASH_FUNC_f: "() { :; }",
    SHELL: "() { evil; }",
  };
  assert.deepEqual(launchSpec(loaded.config.servers[0], "gw", (name) => host[name]), {
    command: "node",
    args: ["a.js"],
    env: { PATH: "/usr/bin", A: "1", B: "passed" },
    envNames: ["A", "B"],
  }, "a command server gets the SDK's basic list and what its config names: no token, no docker settings");
});

Deno.test("a launch's label goes right after a container runtime's run, and only there", () => {
  const label = "io.github.awmg.launch=1";
  assert.deepEqual(withLabel("docker", ["run", "--rm", "-i", "img"], label), [
    "run",
    "--label",
    label,
    "--rm",
    "-i",
    "img",
  ]);
  assert.deepEqual(
    withLabel("/usr/bin/podman", ["--log-level", "error", "container", "run", "img", "run"], label),
    [
      "--log-level",
      "error",
      "container",
      "run",
      "--label",
      label,
      "img",
      "run",
    ],
  );
  assert.equal(
    withLabel("docker", ["exec", "-i", "box", "server"], label),
    undefined,
    "exec starts no container",
  );
  assert.deepEqual(
    withLabel("docker", ["--context", "run", "run", "img"], label),
    ["--context", "run", "run", "--label", label, "img"],
    "a global option's value is not the subcommand",
  );
  assert.equal(withLabel("node", ["run", "server.js"], label), undefined, "not a container runtime");
});
