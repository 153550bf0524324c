/**
 * The newer gateway settings end to end: per-server timeouts and the startup lines.
 */
import assert from "node:assert/strict";
import { runAwmg } from "../support/awmg.ts";
import { tempDir, tempFile } from "../support/temp.ts";
import { testCertificate } from "../support/tls.ts";
import { callTool, HOSTILE, startGateway, text } from "../support/gateway.ts";
import { fakeRemote } from "../support/remote.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test("a server's own toolTimeout wins over the gateway's, for that server only", e2e, async () => {
  const gateway = await startGateway({
    toml: HOSTILE("quick") + HOSTILE("patient", "tool_timeout = 10\n") + "[gateway]\ntool_timeout = 1\n",
  });
  try {
    const slow = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "slow-echo", arguments: { message: "done", ms: 2500 } },
    };
    const [quick, patient] = await Promise.all(
      ["quick", "patient"].map((id) => gateway.post(`/mcp/${id}`, slow).then((r) => r.json())),
    );
    assert.equal(quick.error.code, -32002, "the gateway's 1 s applies to quick");
    assert.equal(text(patient.result), "done", "patient has 10 s of its own");
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "the startup lines say where awmg listens, in which mode, and each server's endpoint",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    try {
      assert.match(
        gateway.stderr,
        new RegExp(`Listening on http://127\\.0\\.0\\.1:${gateway.port} in routed mode`),
      );
      assert.match(
        gateway.stderr,
        new RegExp(
          `Server hostile: http://localhost:${gateway.port}/mcp/hostile \\(18 tools, MCP 2025-06-18\\)`,
        ),
      );
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("--tls-cert and --tls-key serve HTTPS; the client configuration says https", e2e, async () => {
  const { cert, key, ca } = await testCertificate();
  const gateway = await startGateway({
    toml: HOSTILE(),
    args: ["--tls-cert", cert, "--tls-key", key],
    waitHealthy: false,
  });
  const client = Deno.createHttpClient({ caCerts: [ca] });
  try {
    const url = `https://localhost:${gateway.port}`;
    let health: Response | undefined;
    // Until the servers have started, /health answers 503 ("starting").
    for (let i = 0; i < 200 && health?.status !== 200; i++) {
      await health?.body?.cancel();
      health = await fetch(`${url}/health`, { client }).catch(() => undefined);
      if (health?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(health?.status, 200, gateway.stderr);
    await health?.body?.cancel();
    assert.equal(
      JSON.parse(gateway.stdout).mcpServers.hostile.url,
      `https://localhost:${gateway.port}/mcp/hostile`,
    );
    assert.match(gateway.stderr, new RegExp(`Listening on https://127\\.0\\.0\\.1:${gateway.port}`));
    const answer = await fetch(`${url}/mcp/hostile`, {
      client,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "pid", arguments: {} },
      }),
    }).then((r) => r.json());
    assert.match(text(answer.result), /^\d+$/);
  } finally {
    client.close();
    await gateway.stop();
  }
});

Deno.test("a TLS file that cannot be read, or only one of the two flags, stops the start with its name", async () => {
  const missing = await runAwmg([
    "--tls-cert",
    "/nonexistent/cert.pem",
    "--tls-key",
    "/nonexistent/key.pem",
    "--no-auth",
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read the TLS certificate file \/nonexistent\/cert\.pem/);
  const garbage = await tempFile("not a certificate", ".pem");
  const bad = await runAwmg([
    "--tls-cert",
    garbage,
    "--tls-key",
    garbage,
    "--no-auth",
    "--listen",
    "127.0.0.1:0",
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot serve HTTPS on 127\.0\.0\.1:0: /);
  const half = await runAwmg(["--tls-cert", garbage]);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
});

Deno.test("the rate-limit breaker opens, fails fast, and closes after a good trial call", e2e, async () => {
  const gateway = await startGateway({
    toml: HOSTILE("hostile", "rate_limit_threshold = 3\nrate_limit_cooldown = 1\n"),
  });
  try {
    const call = async () => await (await gateway.post("/mcp/hostile", callTool(1, "limited"))).json();
    const circuit = async () => (await (await fetch(`${gateway.url}/health`)).json()).servers.hostile;
    for (let i = 0; i < 3; i++) assert.equal((await call()).result.isError, true, "the backend's own answer");
    const fast = await call();
    assert.equal(fast.error.code, -32001);
    assert.equal(fast.error.message, "Rate limit circuit breaker is open");
    assert.match(
      fast.error.data.detail,
      /server 'hostile' answered 3 tool calls in a row with a rate-limit error/,
    );
    assert.equal((await circuit()).circuit, "open");
    const list = await (await gateway.post("/mcp/hostile", { jsonrpc: "2.0", id: 2, method: "tools/list" }))
      .json();
    assert.ok(list.result.tools.length > 0, "methods other than tools/call pass");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(text((await call()).result), "answered call 4", "the trial call reached the backend");
    assert.deepEqual([(await circuit()).circuit, (await circuit()).reopensAt], ["closed", undefined]);
    assert.match(gateway.stderr, /Rate limit circuit breaker of hostile: closed -> open/);
  } finally {
    await gateway.stop();
  }
});

Deno.test("HTTP 429 from a remote server counts toward its breaker", e2e, async () => {
  const remote = fakeRemote({
    tool: "search",
    call: () => new Response("slow down", { status: 429, headers: { "retry-after": "30" } }),
  });
  const gateway = await startGateway({
    toml: `[servers.remote]\ntype = "http"\nurl = "${remote.url}"\nrate_limit_threshold = 2\n`,
  });
  try {
    const call = async () => await (await gateway.post("/mcp/remote", callTool(1, "search"))).json();
    const first = await call();
    assert.equal(first.error.code, -32007);
    assert.match(first.error.data.detail, /answered HTTP 429 Too Many Requests \(Retry-After: 30\)/);
    await call();
    assert.equal((await call()).error.message, "Rate limit circuit breaker is open");
  } finally {
    await gateway.stop();
    await remote.close();
  }
});

Deno.test("working_directory: a command server runs where its config says", e2e, async () => {
  const dir = await Deno.realPath(await tempDir("awmg-cwd-"));
  const gateway = await startGateway({ toml: HOSTILE("hostile", `working_directory = "${dir}"\n`) });
  try {
    const answer = await (await gateway.post("/mcp/hostile", callTool(1, "cwd"))).json();
    assert.equal(text(answer.result), dir);
  } finally {
    await gateway.stop();
  }
});

Deno.test("--shutdown-timeout bounds how long /close waits for calls in flight", e2e, async () => {
  const gateway = await startGateway({ toml: HOSTILE(), args: ["--shutdown-timeout", "500ms"] });
  try {
    const slow = gateway.post("/mcp/hostile", callTool(1, "slow-echo", { message: "finished", ms: 5000 }))
      .then((r) => r.json());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = await (await gateway.post("/close", {})).json();
    assert.equal(closed.status, "closed");
    const answer = await slow;
    assert.equal(answer.error?.code, -32001, "the call was cut off when the backend stopped, not waited for");
  } finally {
    await gateway.stop();
  }
});
