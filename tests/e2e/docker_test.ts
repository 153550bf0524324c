import assert from "node:assert/strict";
import { dockerWithConfig } from "../support/docker.ts";
import {
  commandLine,
  descendants,
  initialize,
  type RunningGateway,
  startGateway,
  text,
} from "../support/gateway.ts";

const IMAGE = "awmg-test/everything:local";
const NODE = "/usr/local/bin/node";
const FILESYSTEM = "/app/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js";

async function dockerReady(): Promise<string | undefined> {
  try {
    const info = await new Deno.Command("docker", {
      args: ["image", "inspect", IMAGE],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return info.success ? undefined : `the test image ${IMAGE} is missing (run tests/docker/env.sh start)`;
  } catch {
    return "docker is not installed (run tests/docker/env.sh start)";
  }
}

const skip = await dockerReady();
if (skip !== undefined) console.log(`docker tests ignored: ${skip}`);
const e2e = { sanitizeOps: false, sanitizeResources: false, ignore: skip !== undefined };

/** server-everything with SIGTERM ignored and a timer that keeps it alive when its stdin closes. */
const DEAF = {
  entrypoint: NODE,
  entrypointArgs: [
    "--import",
    'data:text/javascript,process.on("SIGTERM",()=>{});setInterval(()=>{},1e3)',
    "/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    "stdio",
  ],
};

/** A container server entry with the network off, as every test container runs. */
function container(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: "stdio", container: IMAGE, args: ["--network", "none"], ...extra };
}

/** Ids of the containers a gateway started (all gateways' with "any"), by the label awmg puts on them. */
async function containersOf(gateway: "any" | RunningGateway | string): Promise<string[]> {
  const prefix = gateway === "any"
    ? "awmg-"
    : typeof gateway === "string"
    ? gateway
    : `awmg-${gateway.process.pid}-`;
  const { stdout } = await new Deno.Command("docker", {
    args: [
      "ps",
      "-a",
      "--filter",
      "label=io.github.awmg.gateway",
      "--format",
      '{{.ID}} {{.Label "io.github.awmg.gateway"}}',
    ],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line.split(" ")[1]?.startsWith(prefix))
    .map((line) => line.split(" ")[0]);
}

/** A gateway with one server, `deaf`: by default a container server running DEAF. */
function deafGateway(entry = container(DEAF)): Promise<RunningGateway> {
  return startGateway({
    json: {
      mcpServers: { deaf: entry },
      gateway: { port: 8000, domain: "localhost", apiKey: "docker-test-key" },
    },
    auth: true,
  });
}

/**
 * Stops a gateway whose servers ignore SIGTERM with a second signal (sparing the test their 10 s of grace),
 * then removes whatever of its containers a failed test left behind.
 */
async function stopAndClean(gateway: RunningGateway): Promise<void> {
  const signal = () => {
    try {
      gateway.process.kill("SIGTERM");
    } catch {
      // The test stopped it already.
    }
  };
  signal();
  await new Promise((resolve) => setTimeout(resolve, 500));
  signal();
  await gateway.stop();
  for (const id of await containersOf(gateway)) {
    await new Deno.Command("docker", { args: ["rm", "-f", id], stdout: "null", stderr: "null" }).output();
  }
}

async function call(gateway: RunningGateway, server: string, name: string, args: Record<string, unknown>) {
  const response = await gateway.post(`/mcp/${server}`, {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name, arguments: args },
  }, { authorization: "docker-test-key" });
  return (await response.json()).result;
}

Deno.test(
  "containers: calls, env without argv, entrypoint, mounts ro/rw, isolation, cleanup",
  e2e,
  async (t) => {
    const rw = await Deno.makeTempDir({ prefix: "awmg-rw-" });
    const ro = await Deno.makeTempDir({ prefix: "awmg-ro-" });
    await Deno.writeTextFile(`${ro}/keep.txt`, "read me");
    const gateway = await startGateway({
      json: {
        mcpServers: {
          everything: container({
            env: { PASSED_THROUGH: "", EXPLICIT: "plain-value", EXPANDED: "${SECRET_FOR_CONTAINER}/suffix" },
          }),
          writable: container({
            entrypoint: NODE,
            entrypointArgs: [FILESYSTEM, "/data"],
            mounts: [`${rw}:/data:rw`],
          }),
          readonly: container({
            entrypoint: NODE,
            entrypointArgs: [FILESYSTEM, "/data"],
            mounts: [`${ro}:/data:ro`],
          }),
        },
        gateway: { port: 8000, domain: "localhost", apiKey: "docker-test-key" },
      },
      env: {
        PASSED_THROUGH: "from-host",
        SECRET_FOR_CONTAINER: "s3cret-in-env",
        GITHUB_TOKEN: "ghp_planted",
      },
      auth: true,
    });
    try {
      await t.step("the client configuration names each container server", () => {
        const config = JSON.parse(gateway.stdout.split("\n")[0]);
        assert.deepEqual(Object.keys(config.mcpServers).sort(), ["everything", "readonly", "writable"]);
        assert.deepEqual(config.mcpServers.everything.headers, { Authorization: "docker-test-key" });
      });

      await t.step("tool calls reach the server inside the container", async () => {
        assert.equal(
          text(await call(gateway, "everything", "echo", { message: "in a box" })),
          "Echo: in a box",
        );
      });

      await t.step(
        "env passthrough, explicit and ${VAR} values arrive inside, never on docker's argv",
        async () => {
          const env = text(await call(gateway, "everything", "get-env", {}));
          assert.match(env, /"PASSED_THROUGH": "from-host"/);
          assert.match(env, /"EXPLICIT": "plain-value"/);
          assert.match(env, /"EXPANDED": "s3cret-in-env\/suffix"/);
          assert.deepEqual(
            Object.keys(JSON.parse(env)).sort(),
            ["EXPANDED", "EXPLICIT", "HOME", "HOSTNAME", "PASSED_THROUGH", "PATH"],
            "the container sees what its config names and docker's own basics, nothing of the gateway's",
          );
          const clients = [];
          for (const pid of await descendants(gateway.process.pid)) {
            const line = await commandLine(pid);
            if (/^(\S*\/)?docker run /.test(line)) clients.push(line);
          }
          assert.equal(clients.length, 3);
          for (const line of clients) {
            assert.doesNotMatch(line, /from-host|plain-value|s3cret-in-env/);
            assert.match(
              line,
              /--init --label io\.github\.awmg\.gateway=awmg-\d+-[0-9a-f]{8} --label io\.github\.awmg\.server=/,
            );
          }
          assert.ok(
            clients.some((line) =>
              / -e PASSED_THROUGH -e EXPLICIT -e EXPANDED --network none awmg-test/.test(line)
            ),
          );
        },
      );

      await t.step("entrypoint and entrypointArgs run another server; rw mounts are writable", async () => {
        const written = await call(gateway, "writable", "write_file", {
          path: "/data/out.txt",
          content: "written",
        });
        assert.notEqual(written.isError, true, JSON.stringify(written));
        assert.equal(await Deno.readTextFile(`${rw}/out.txt`), "written");
      });

      await t.step("ro mounts are enforced", async () => {
        assert.equal(
          text(await call(gateway, "readonly", "read_text_file", { path: "/data/keep.txt" })),
          "read me",
        );
        const refused = await call(gateway, "readonly", "write_file", {
          path: "/data/new.txt",
          content: "x",
        });
        assert.equal(refused.isError, true);
        assert.match(text(refused), /read-only|EROFS/i);
      });

      await t.step("two servers in two containers are isolated from each other", async () => {
        const listing = text(await call(gateway, "readonly", "list_directory", { path: "/data" }));
        assert.doesNotMatch(listing, /out\.txt/);
        assert.equal((await containersOf(gateway)).length, 3);
      });
    } finally {
      assert.equal((await gateway.stop()).code, 0);
      await Deno.remove(rw, { recursive: true });
      await Deno.remove(ro, { recursive: true });
    }
    assert.deepEqual(await containersOf(gateway), [], "SIGTERM left a container behind");
    assert.ok(!gateway.stderr.includes("s3cret-in-env"));
  },
);

Deno.test("containers: /close stops every container", e2e, async () => {
  const gateway = await startGateway({
    json: {
      mcpServers: { a: container(), b: container() },
      gateway: { port: 8000, domain: "localhost", apiKey: "docker-test-key" },
    },
    auth: true,
  });
  assert.equal((await containersOf(gateway)).length, 2);
  const close = await gateway.post("/close", {}, { authorization: "docker-test-key" });
  assert.equal((await close.json()).serversTerminated, 2);
  assert.equal((await gateway.exited).code, 0);
  assert.deepEqual(await containersOf(gateway), [], "/close left a container behind");
  // Their servers exited as told, and `--rm` removed them: the stop found nothing of its own to remove.
  assert.doesNotMatch(gateway.stderr, /Removed \d+ container/);
});

/** The containers of any launch by awmg (each carries its launch label), whatever started them. */
async function launched(): Promise<string[]> {
  const { stdout } = await new Deno.Command("docker", {
    args: ["ps", "--all", "--quiet", "--filter", "label=io.github.awmg.launch"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((id) => id !== "");
}

for (
  const [form, start] of [
    ["a container server", () => deafGateway()],
    ["a docker run command", () =>
      startGateway({
        toml: `[servers.deaf]\ncommand = "docker"\nargs = ${
          JSON.stringify([
            "run",
            "--rm",
            "-i",
            "--network",
            "none",
            "--entrypoint",
            DEAF.entrypoint,
            IMAGE,
            ...DEAF.entrypointArgs,
          ])
        }\n\n[gateway]\napi_key = "docker-test-key"\n`,
        auth: true,
      })],
  ] as const
) {
  Deno.test(
    `containers: ${form} whose server ignores SIGTERM and its stdin is removed when its docker client is killed`,
    e2e,
    async () => {
      const gateway = await start();
      try {
        assert.equal(
          text(await call(gateway, "deaf", "echo", { message: "still here" })),
          "Echo: still here",
        );
        assert.equal((await launched()).length, 1);
        // The first signal's stop gives the server 10 s; the second kills its docker client at once.
        gateway.process.kill("SIGTERM");
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await launched()).length, 1, "the server ignores SIGTERM and EOF: its container is up");
        gateway.process.kill("SIGTERM");
        assert.equal((await gateway.exited).code, 0, gateway.stderr);
        assert.deepEqual(await launched(), [], "the container outlived the gateway");
        assert.match(gateway.stderr, /Removed the container of deaf/);
      } finally {
        await stopAndClean(gateway);
        for (const id of await launched()) {
          await new Deno.Command("docker", { args: ["rm", "-f", id], stdout: "null", stderr: "null" })
            .output();
        }
      }
    },
  );
}

Deno.test(
  "containers: a session's own container that outlives its killed docker client is removed, the other's kept",
  e2e,
  async () => {
    const gateway = await deafGateway(container({ ...DEAF, isolation: "session" }));
    const auth = { authorization: "docker-test-key" };
    const open = async () => {
      const response = await gateway.post("/mcp/deaf", initialize(), auth);
      await response.body?.cancel();
      const session = { ...auth, "mcp-session-id": response.headers.get("mcp-session-id")! };
      const echo = {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "m" } },
      };
      return {
        session,
        echo: async () => text((await (await gateway.post("/mcp/deaf", echo, session)).json()).result),
      };
    };
    try {
      const [a, b] = [await open(), await open()];
      assert.deepEqual([await a.echo(), await b.echo()], ["Echo: m", "Echo: m"]);
      const before = await containersOf(gateway);
      const ended = await fetch(`${gateway.url}/mcp/deaf`, { method: "DELETE", headers: a.session });
      assert.equal(ended.status, 200);
      await ended.body?.cancel();
      // Its server ignores SIGTERM and the closed stdin: the docker client is killed after 10 s, then its
      // container alone is removed while the gateway serves on.
      let after = before;
      for (const deadline = Date.now() + 20_000; after.length === before.length && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        after = await containersOf(gateway);
      }
      assert.equal(after.length, before.length - 1, `${before} -> ${after}`);
      assert.equal(await b.echo(), "Echo: m", "the other session's container is still there");
      assert.match(gateway.stderr, /Removed the container of deaf/);
    } finally {
      await stopAndClean(gateway);
    }
  },
);

Deno.test(
  "containers: one that exits at once gives the startup error payload with its stderr",
  e2e,
  async () => {
    const gateway = await startGateway({
      json: {
        mcpServers: {
          dying: container({
            entrypoint: NODE,
            entrypointArgs: ["-e", "console.error('cannot start: no config'); process.exit(4)"],
          }),
        },
        gateway: { port: 8000, domain: "localhost", apiKey: "docker-test-key" },
      },
      auth: true,
      waitHealthy: false,
    });
    assert.equal((await gateway.exited).code, 1);
    const [failure] = JSON.parse(gateway.stdout).error.servers;
    assert.equal(failure.server, "dying");
    assert.equal(failure.command, "docker");
    assert.equal(failure.image, IMAGE);
    assert.match(failure.error, /exited with code 4/);
    assert.ok(failure.stderr.includes("cannot start: no config"), JSON.stringify(failure.stderr));
    assert.deepEqual(await containersOf("any"), []);
  },
);

const GATEWAY_IMAGE = "awmg-test/gateway:local";
const gatewayImage = skip ??
  await new Deno.Command("docker", {
    args: ["image", "inspect", GATEWAY_IMAGE],
    stdout: "null",
    stderr: "null",
  })
    .output().then((r) =>
      r.success ? undefined : `the image ${GATEWAY_IMAGE} is missing (run tests/docker/env.sh start)`
    );
const containerized = { ...e2e, ignore: gatewayImage !== undefined };

/** Runs awmg's own image (containerized mode) with the JSON config on stdin, the socket mounted, on loopback. */
function runContainerized(config: unknown, port: number, env: Record<string, string>, extra: string[] = []) {
  return dockerWithConfig(
    [
      "run",
      "--rm",
      "-i",
      "--network",
      "host",
      ...Object.keys(env).flatMap((name) => ["-e", name]),
      "-v",
      "/var/run/docker.sock:/var/run/docker.sock",
      GATEWAY_IMAGE,
      "--listen",
      `127.0.0.1:${port}`,
      ...extra,
    ],
    env,
    config,
  );
}

Deno.test(
  "containerized mode for real: awmg in a container launches sibling containers and leaves none",
  containerized,
  async () => {
    const port = 18600 + Math.floor(Math.random() * 300);
    const env = {
      MCP_GATEWAY_PORT: String(port),
      MCP_GATEWAY_DOMAIN: "localhost",
      MCP_GATEWAY_AGENT_ID: "inside-key",
    };
    const before = await containersOf("any");
    const child = runContainerized(
      {
        mcpServers: { everything: container() },
        gateway: { port, domain: "localhost", agentId: "${MCP_GATEWAY_AGENT_ID}" },
      },
      port,
      env,
    );
    const output = child.output();
    let healthy = false;
    for (let i = 0; i < 120 && !healthy; i++) {
      healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) =>
        r.body?.cancel().then(() =>
          r.ok
        ), () => false) ?? false;
      if (!healthy) {
        await new Promise((resolve) =>
          setTimeout(resolve, 250)
        );
      }
    }
    assert.ok(healthy, "the containerized gateway did not become healthy");
    const response = await fetch(`http://127.0.0.1:${port}/mcp/everything`, {
      method: "POST",
      headers: { authorization: "inside-key", "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "echo", arguments: { message: "sibling" } },
      }),
    });
    assert.equal((await response.json()).result.content[0].text, "Echo: sibling");
    const siblings = (await containersOf("any")).filter((id) => !before.includes(id));
    assert.equal(siblings.length, 1, "one sibling container for the one server");
    const close = await fetch(`http://127.0.0.1:${port}/close`, {
      method: "POST",
      headers: { authorization: "inside-key" },
    });
    assert.equal((await close.json()).serversTerminated, 1);
    const result = await output;
    assert.equal(result.code, 0);
    const stdout = new TextDecoder().decode(result.stdout);
    assert.deepEqual(JSON.parse(stdout.split("\n")[0]).mcpServers.everything, {
      type: "http",
      url: `http://localhost:${port}/mcp/everything`,
      headers: { Authorization: "inside-key" },
    });
    const left = (await containersOf("any")).filter((id) => !before.includes(id));
    assert.deepEqual(left, [], "a sibling container outlived the gateway");
  },
);

Deno.test(
  "containerized mode for real: a missing requirement stops the start with its fix",
  containerized,
  async () => {
    const child = runContainerized(
      { mcpServers: {}, gateway: { port: 18999, domain: "localhost", agentId: "k" } },
      18999,
      {
        MCP_GATEWAY_PORT: "18999",
        MCP_GATEWAY_DOMAIN: "localhost",
      },
    );
    const result = await child.output();
    assert.equal(result.code, 1);
    const stderr = new TextDecoder().decode(result.stderr);
    assert.match(
      stderr,
      /\[FAIL\] MCP_GATEWAY_AGENT_ID: required in a container, but not set - fix: add -e MCP_GATEWAY_AGENT_ID=your-agent-id/,
    );
    assert.match(stderr, /\[PASS\]|\[WARN\]|Error: the container environment is not usable/);
  },
);
