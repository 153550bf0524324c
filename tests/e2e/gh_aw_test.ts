/**
 * awmg's image started the way gh-aw's generated "Start MCP Gateway" step starts the Go gateway v0.4.25:
 * `docker run -i --rm` with the docker socket, `--user UID:GID --group-add <socket group>`, the
 * `-e MCP_GATEWAY_*` list with AGENT_ID and ALLOWED_MOUNT_ROOTS and no API_KEY, no arguments, and a config on
 * stdin in gh-aw's shape: a `github` server with an allow-only policy and no guard named (the image's own
 * guard module judges it) and a `safeoutputs` server with mounts, entrypoint, entrypointArgs and a
 * write-sink policy. The images are local stand-ins: awmg-test/github:local runs the github-mcp-server
 * imitation, awmg-test/everything:local (node and the reference servers) stands in for gh-aw-node.
 * Ignored where Docker, the images or GitHub's guard module are absent.
 */
import assert from "node:assert/strict";
import { dockerWithConfig } from "../support/docker.ts";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ROOT } from "../support/awmg.ts";
import { text } from "../support/gateway.ts";
import { githubImitation } from "../support/github_imitation.ts";
import { tempDir } from "../support/temp.ts";

const GATEWAY_IMAGE = "awmg-test/gateway:local";
const GITHUB_IMAGE = "awmg-test/github:local";
const NODE_IMAGE = "awmg-test/everything:local";
const FILESYSTEM = "/app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js";
const GUARD = `${ROOT}../shared/guards/github-guard/github_guard.wasm`;

async function missing(): Promise<string | undefined> {
  if (!await Deno.stat(GUARD).then(() => true, () => false)) {
    return `GitHub's guard module is absent (${GUARD})`;
  }
  for (const image of [GATEWAY_IMAGE, GITHUB_IMAGE, NODE_IMAGE]) {
    const inspected = await new Deno.Command("docker", {
      args: ["image", "inspect", image],
      stdout: "null",
      stderr: "null",
    })
      .output().catch(() => undefined);
    if (inspected?.success !== true) return `the image ${image} is missing (run tests/docker/env.sh start)`;
  }
  return undefined;
}
const reason = await missing();

/** The group of the docker socket, as gh-aw's step reads it with `stat -c %g`. */
async function socketGroup(): Promise<string> {
  return String((await Deno.stat("/var/run/docker.sock")).gid);
}

/** The config gh-aw writes for a github server and safe outputs, with the stand-in images. */
function ghAwConfig(port: number, calls: string, outputs: string) {
  return {
    mcpServers: {
      github: {
        type: "stdio",
        container: GITHUB_IMAGE,
        args: ["--network", "none"],
        env: { GITHUB_PERSONAL_ACCESS_TOKEN: "${GITHUB_MCP_SERVER_TOKEN}", CALLS_FILE: "/calls/calls.txt" },
        mounts: [`${calls}:/calls:rw`],
        "guard-policies": { "allow-only": { repos: "public", "min-integrity": "approved" } },
      },
      safeoutputs: {
        type: "stdio",
        container: NODE_IMAGE,
        entrypoint: "/usr/local/bin/node",
        entrypointArgs: [FILESYSTEM, "/outputs"],
        args: ["--network", "none"],
        mounts: [`${outputs}:/outputs:rw`],
        "guard-policies": { "write-sink": { accept: ["*"] } },
      },
    },
    gateway: { port, domain: "localhost", agentId: "${MCP_GATEWAY_AGENT_ID}" },
  };
}

/** Starts the image as gh-aw's step does, the config on stdin. */
function startAsGhAw(config: unknown, env: Record<string, string>, group: string): Deno.ChildProcess {
  return dockerWithConfig(
    [
      "run",
      "-i",
      "--rm",
      "--network",
      "host",
      "--user",
      "1001:1001",
      "--group-add",
      group,
      "-v",
      "/var/run/docker.sock:/var/run/docker.sock",
      ...Object.keys(env).flatMap((name) => ["-e", name]),
      "-e",
      "DOCKER_HOST=unix:///var/run/docker.sock",
      GATEWAY_IMAGE,
    ],
    env,
    config,
  );
}

async function healthy(port: number): Promise<boolean> {
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      async (response) => (await response.body?.cancel(), response.ok),
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

Deno.test({
  name:
    "gh-aw's docker run and stdin config start awmg's image: the image's guard judges github, safe outputs write",
  ignore: reason !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = 18300 + Math.floor(Math.random() * 300);
    const calls = await tempDir("awmg-gh-aw-calls-");
    const outputs = await tempDir("awmg-gh-aw-outputs-");
    await Deno.chmod(calls, 0o777);
    await Deno.chmod(outputs, 0o777);
    const env = {
      MCP_GATEWAY_PORT: String(port),
      MCP_GATEWAY_DOMAIN: "localhost",
      MCP_GATEWAY_AGENT_ID: "gh-aw-agent-key",
      MCP_GATEWAY_ALLOWED_MOUNT_ROOTS: `${calls}:rw,${outputs}:rw,/opt:ro`,
      GITHUB_MCP_SERVER_TOKEN: "ghp_stand-in",
    };
    const child = startAsGhAw(ghAwConfig(port, calls, outputs), env, await socketGroup());
    const output = child.output();
    try {
      assert.ok(await healthy(port), "the gateway did not become healthy");
      const client = new Client({ name: "copilot", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp/github`), {
          requestInit: { headers: { authorization: "gh-aw-agent-key" } },
        }),
      );
      const listed = await client.callTool({
        name: "list_issues",
        arguments: { owner: "octo", repo: "public-repo" },
      });
      const [shown, notice] = (listed.content as { text: string }[]).map((block) => block.text);
      assert.deepEqual(
        JSON.parse(shown).issues.map((issue: { number: number }) => issue.number),
        [1, 4],
        "the guard's own mode (filter): the issues below approved are taken out",
      );
      assert.match(notice, /^\[Filtered\] 2 item\(s\) in this response were removed by integrity policy/);
      const approved = await client.callTool({
        name: "issue_read",
        arguments: { method: "get", owner: "octo", repo: "public-repo", issue_number: 1 },
      });
      assert.equal(approved.isError, undefined, text(approved));

      const sink = new Client({ name: "copilot", version: "1.0.0" });
      await sink.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp/safeoutputs`), {
          requestInit: { headers: { authorization: "gh-aw-agent-key" } },
        }),
      );
      const written = await sink.callTool({
        name: "write_file",
        arguments: { path: "/outputs/create_issue.json", content: '{"title":"report"}' },
      });
      assert.equal(written.isError, undefined, text(written));
      assert.equal(await Deno.readTextFile(`${outputs}/create_issue.json`), '{"title":"report"}');
      const seen = (await Deno.readTextFile(`${calls}/calls.txt`)).split("\n");
      assert.ok(seen.includes("search_repositories"), "the guard asked the server through call_backend");
      await client.close();
      await sink.close();
    } finally {
      await fetch(`http://127.0.0.1:${port}/close`, {
        method: "POST",
        headers: { authorization: "gh-aw-agent-key" },
      })
        .then((response) => response.body?.cancel(), () => {});
    }
    const result = await output;
    const stdout = new TextDecoder().decode(result.stdout);
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, stderr);
    const clientConfig = JSON.parse(stdout.split("\n")[0]);
    assert.deepEqual(Object.keys(clientConfig.mcpServers).sort(), ["github", "safeoutputs"]);
    assert.equal(clientConfig.mcpServers.github.headers.Authorization, "gh-aw-agent-key");
    assert.match(stderr, /Server github is guarded by discovered \/guards\/github\/00-github-guard\.wasm/);
    assert.ok(!stderr.includes("ghp_stand-in"), "the server's token is not on stderr");
  },
});

Deno.test({
  name:
    "gh-aw's docker run: a mount outside MCP_GATEWAY_ALLOWED_MOUNT_ROOTS stops the start before anything runs",
  ignore: reason !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = 18600 + Math.floor(Math.random() * 300);
    const calls = await tempDir("awmg-gh-aw-calls-");
    const outputs = await tempDir("awmg-gh-aw-outputs-");
    const env = {
      MCP_GATEWAY_PORT: String(port),
      MCP_GATEWAY_DOMAIN: "localhost",
      MCP_GATEWAY_AGENT_ID: "gh-aw-agent-key",
      MCP_GATEWAY_ALLOWED_MOUNT_ROOTS: `${calls}:rw`,
      GITHUB_MCP_SERVER_TOKEN: "ghp_stand-in",
    };
    const result = await startAsGhAw(ghAwConfig(port, calls, outputs), env, await socketGroup()).output();
    assert.equal(result.code, 1);
    const payload = JSON.parse(new TextDecoder().decode(result.stdout).trim().split("\n").at(-1)!);
    assert.equal(payload.error.code, "invalid_configuration");
    assert.deepEqual(payload.error.errors.map((error: { message: string }) => error.message), [
      `server "safeoutputs": mount "${outputs}" rejected: host source is outside the allowed mount roots`,
    ]);
  },
});

Deno.test({
  name:
    "the image's first argument 'proxy' runs the GitHub API proxy: its CA appears in --tls-dir and it judges",
  ignore: reason !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const api = githubImitation();
    const port = 18900 + Math.floor(Math.random() * 90);
    const logs = await tempDir("awmg-proxy-logs-");
    await Deno.chmod(logs, 0o777);
    const name = `awmg-proxy-test-${port}`;
    const started = await new Deno.Command("docker", {
      args: [
        "run",
        "-d",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "-v",
        `${logs}:/tmp/gh-aw/proxy-logs`,
        GATEWAY_IMAGE,
        "proxy",
        "--policy",
        '{"allow-only":{"repos":"public","min-integrity":"approved"}}',
        "--listen",
        `127.0.0.1:${port}`,
        "--github-api-url",
        api.url,
        "--guards-mode",
        "filter",
        "--tls",
        "--tls-dir",
        "/tmp/gh-aw/proxy-logs/proxy-tls",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(started.success, new TextDecoder().decode(started.stderr));
    try {
      const ca = `${logs}/proxy-tls/ca.crt`;
      let caught: string | undefined;
      for (let i = 0; i < 120 && caught === undefined; i++) {
        caught = await Deno.readTextFile(ca).catch(() => undefined);
        if (caught === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(caught !== undefined, "the CA did not appear in --tls-dir");
      const client = Deno.createHttpClient({ caCerts: [caught] });
      let listed: Response | undefined;
      for (let i = 0; i < 40 && listed === undefined; i++) {
        listed = await fetch(`https://localhost:${port}/api/v3/repos/octo/public-repo/issues`, { client })
          .catch(
            () => undefined,
          );
        if (listed === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal(listed?.status, 200);
      assert.deepEqual((await listed!.json()).map((issue: { number: number }) => issue.number), [1, 4]);
      client.close();
    } finally {
      await new Deno.Command("docker", { args: ["stop", "-t", "5", name], stdout: "null", stderr: "null" })
        .output();
      await api.close();
    }
  },
});
