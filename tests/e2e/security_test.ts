/**
 * The gateway as a security boundary, attacked end to end: DNS rebinding, auth by default, what a backend
 * can see of the gateway's environment, hostile backends, message integrity, descriptor exhaustion.
 */
import assert from "node:assert/strict";
import {
  callTool,
  EVERYTHING,
  HOSTILE,
  initialize,
  PROBE,
  remoteIssues,
  type RunningGateway,
  startGateway,
  text,
} from "../support/gateway.ts";
import { runAwmg } from "../support/awmg.ts";
import { eventually, within } from "../support/deadline.ts";
import { tempFile } from "../support/temp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
/** Sends a raw HTTP/1.1 request (any Host header) and returns the status code and body. */
async function raw(port: number, head: string, body = ""): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = new TextEncoder().encode(body);
  const request = `${head}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n${body}`;
  await conn.write(new TextEncoder().encode(request));
  const answer = await within(
    new Response(conn.readable).text(),
    10_000,
    `answer to ${head.split("\r\n")[0]}`,
  );
  return { status: Number(answer.split(" ")[1]), body: answer.slice(answer.indexOf("\r\n\r\n") + 4) };
}

async function toolText(gateway: RunningGateway, server: string, name: string, args = {}, headers = {}) {
  const response = await gateway.post(`/mcp/${server}`, callTool(1, name, args), headers);
  const body = await response.json();
  return body.result === undefined ? body : text(body.result);
}

Deno.test(
  "DNS rebinding: a foreign Host or Origin is refused on every endpoint; local ones pass",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: EVERYTHING() + '[gateway]\nallowed_origins = ["https://app.example.com"]\n',
    });
    try {
      const port = gateway.port;
      const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
      for (const [method, path] of [["GET", "/health"], ["POST", "/mcp/everything"], ["POST", "/close"]]) {
        const host = await raw(port, `${method} ${path} HTTP/1.1\r\nHost: evil.example.com:${port}`, ping);
        assert.equal(host.status, 403, `${method} ${path} with a foreign Host`);
        const error = JSON.parse(host.body).error;
        assert.equal(error.message, `Forbidden: Host "evil.example.com:${port}" is not allowed`);
        assert.match(error.data.detail, /gateway\.allowedHosts \(allowed_hosts in TOML\)/);
        const origin = await raw(
          port,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://evil.example.com`,
          ping,
        );
        assert.equal(origin.status, 403, `${method} ${path} with a foreign Origin`);
        assert.match(JSON.parse(origin.body).error.data.detail, /gateway\.allowedOrigins/);
      }
      assert.equal(
        (await fetch(`${gateway.url}/health`)).status,
        200,
        "still serving after the refused /close",
      );
      const local = await raw(
        port,
        `POST /mcp/everything HTTP/1.1\r\nHost: localhost:${port}\r\nOrigin: http://localhost:5173\r\nContent-Type: application/json`,
        ping,
      );
      assert.equal(local.status, 200, "a loopback origin on any port is accepted");
      const configured = await raw(
        port,
        `POST /mcp/everything HTTP/1.1\r\nHost: [::1]:${port}\r\nOrigin: https://app.example.com`,
        ping,
      );
      assert.equal(configured.status, 200, "an origin from gateway.allowedOrigins is accepted");
      const client = await gateway.client("everything");
      assert.ok((await client.listTools()).tools.length > 0, "the SDK client (no Origin) is unaffected");
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("auth on by default: a generated key, printed once, required, and never logged", e2e, async () => {
  const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
  const gateway = await startGateway({ toml: EVERYTHING(), auth: true, args: ["--log-dir", logDir] });
  try {
    const printed = /generated one for this run\. Clients send "Authorization: ([0-9a-f]{64})"/.exec(
      gateway.stderr,
    );
    assert.ok(printed, gateway.stderr);
    const key = printed[1];
    const config = JSON.parse(gateway.stdout);
    assert.deepEqual(config.mcpServers.everything.headers, { Authorization: key }, "written to stdout too");
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    assert.equal((await gateway.post("/mcp/everything", ping)).status, 401);
    assert.equal((await gateway.post("/mcp/everything", ping, { authorization: key })).status, 200);
    await gateway.stop();
    for await (const entry of Deno.readDir(logDir)) {
      const content = await Deno.readTextFile(`${logDir}/${entry.name}`);
      assert.ok(!content.includes(key), `the key is not in ${entry.name}`);
    }
  } finally {
    await gateway.stop();
  }
});

/** Asserts that none of `secrets` is in any file of `dir` nor in `stderr`. */
async function assertNowhere(secrets: Record<string, string>, dir: string, stderr: string): Promise<void> {
  const places: [string, string][] = [["stderr", stderr]];
  for await (const entry of Deno.readDir(dir)) {
    places.push([entry.name, await Deno.readTextFile(`${dir}/${entry.name}`)]);
  }
  assert.ok(places.length > 5, `${places.length - 1} log files`);
  const found = places.flatMap(([place, content]) =>
    Object.entries(secrets).filter(([, value]) => content.includes(value)).map(([what]) =>
      `${what} in ${place}`
    )
  );
  assert.deepEqual(found, []);
}

Deno.test(
  "secrets stay out of every log file and stderr: in a backend's stderr, a tool name, arguments, the API key",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const secrets = { planted: "planted-secret-6d1f0a", apiKey: "api-key-of-the-secrets-test-77" };
    const gateway = await startGateway({
      toml: HOSTILE("hostile", "", { PLANTED: "${PLANTED_SECRET}" }),
      args: ["--log-dir", logDir, "-vv"],
      env: { PLANTED_SECRET: secrets.planted, MCP_GATEWAY_API_KEY: secrets.apiKey },
      auth: true,
    });
    try {
      const auth = { authorization: secrets.apiKey };
      const all = `${secrets.planted} ${secrets.apiKey}`;
      assert.equal(await toolText(gateway, "hostile", "stderr", { text: `leaking ${all}` }, auth), "printed");
      const named = await gateway.post(
        "/mcp/hostile",
        callTool(2, `leak-${secrets.planted}`, { a: all }),
        auth,
      );
      assert.equal(named.status, 200);
      await named.body?.cancel();
      const refused = await gateway.post("/mcp/hostile", { jsonrpc: "2.0", id: 3, method: "ping" }, {
        authorization: `${secrets.apiKey}-wrong`,
      });
      assert.equal(refused.status, 401);
      await refused.body?.cancel();
    } finally {
      await gateway.stop();
    }
    assert.match(gateway.stderr, /stderr: leaking \[REDACTED\] \[REDACTED\]/, "the stderr line was logged");
    await assertNowhere(secrets, logDir, gateway.stderr);
  },
);

Deno.test(
  "a secret that spans lines and holds quotes stays out of every log file and stderr, whole, escaped or by line",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const key =
      '-----BEGIN TEST KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw\n"quoted" Zm9vYmFyYmF6\n-----END TEST KEY-----';
    const gateway = await startGateway({
      toml: HOSTILE("hostile", "", { PLANTED: "${PLANTED_KEY}" }),
      args: ["--log-dir", logDir, "-vv"],
      env: { PLANTED_KEY: key },
    });
    try {
      // The key in a call's arguments (the RPC record writes it JSON-escaped), then on the server's stderr.
      assert.equal(await toolText(gateway, "hostile", "stderr", { text: key }), "printed");
    } finally {
      await gateway.stop();
    }
    assert.match(gateway.stderr, /stderr: \[REDACTED\]/, "the stderr lines were logged");
    await assertNowhere(
      {
        whole: key,
        escaped: JSON.stringify(key).slice(1, -1),
        "a line": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw",
        "a line with quotes": "Zm9vYmFyYmF6",
      },
      logDir,
      gateway.stderr,
    );
  },
);

Deno.test(
  "credentials in a remote server's URL stay out of the logs, the start's errors and the tool lock",
  e2e,
  async () => {
    const secrets = { password: "url-password-5e2c91", token: "url-token-a7f3d0" };
    const withSecrets = (base: string) => {
      const url = new URL(base);
      url.username = "alice";
      url.password = secrets.password;
      url.search = `?token=${secrets.token}&mode=read`;
      return url.href;
    };
    const remoteAt = (url: string) => `[servers.remote]\ntype = "http"\nurl = "${withSecrets(url)}"\n`;
    const shown = /http:\/\/127\.0\.0\.1:\d+\/mcp\?token=\[REDACTED\]&mode=\[REDACTED\]/;
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const remote = remoteIssues();
    await remote.start();
    try {
      const gateway = await startGateway({ toml: remoteAt(remote.url), args: ["--log-dir", logDir, "-vv"] });
      try {
        const client = await gateway.client("remote");
        assert.ok((await client.listTools()).tools.length > 0, "the URL still reaches the server");
        await client.close();
      } finally {
        await gateway.stop();
      }
      assert.match(gateway.stderr, new RegExp(`url=${shown.source}`), "the URL is logged without them");
      await assertNowhere(secrets, logDir, `${gateway.stderr}${gateway.stdout}`);

      const locked = await runAwmg([
        "pin",
        "--config",
        await tempFile(remoteAt(remote.url), ".toml"),
        "--log-dir",
        logDir,
        "--output",
        "-",
      ]);
      assert.equal(locked.code, 0, locked.stderr);
      assert.match(locked.stdout, new RegExp(`"url ${shown.source}"`));
      await assertNowhere(secrets, logDir, `${locked.stderr}${locked.stdout}`);
    } finally {
      await remote.stop();
    }

    const down = await runAwmg([
      "--config",
      await tempFile(remoteAt("http://127.0.0.1:9/mcp"), ".toml"),
      "--no-auth",
      "--listen",
      "127.0.0.1:0",
      "--log-dir",
      logDir,
    ]);
    assert.equal(down.code, 1);
    assert.match(down.stdout, new RegExp(`cannot reach ${shown.source.replace("\\d+", "9")}`));
    await assertNowhere(secrets, logDir, `${down.stderr}${down.stdout}`);
    await Deno.remove(logDir, { recursive: true });
  },
);

Deno.test(
  "a session belongs to its API key and its endpoint: another key or server gets 404",
  e2e,
  async () => {
    const keys = ["first-key-of-two-0001", "second-key-of-two-0002"];
    const gateway = await startGateway({
      toml: HOSTILE("one") + HOSTILE("two") + `[gateway]\nagent_ids = ${JSON.stringify(keys)}\n`,
      auth: true,
    });
    try {
      const opened = await gateway.post("/mcp/one", initialize(), { authorization: keys[0] });
      assert.equal(opened.status, 200);
      await opened.body?.cancel();
      const session = opened.headers.get("mcp-session-id")!;
      const ping = { jsonrpc: "2.0", id: 2, method: "ping" };
      const use = async (path: string, key: string) => {
        const response = await gateway.post(path, ping, { authorization: key, "mcp-session-id": session });
        await response.body?.cancel();
        return response.status;
      };
      assert.equal(await use("/mcp/one", keys[0]), 200, "its own key on its own endpoint");
      assert.equal(await use("/mcp/one", keys[1]), 404, "the other key");
      assert.equal(await use("/mcp/two", keys[0]), 404, "another server's endpoint");
      for (const method of ["GET", "DELETE"]) {
        const response = await fetch(`${gateway.url}/mcp/one`, {
          method,
          headers: { authorization: keys[1], "mcp-session-id": session, accept: "text/event-stream" },
        });
        await response.body?.cancel();
        assert.equal(response.status, 404, `${method} with the other key`);
      }
      assert.equal(await use("/mcp/one", keys[0]), 200, "still open for its own key");
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("--no-auth serves without a key, with the loud warning", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() });
  try {
    assert.equal(
      (await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 1, method: "ping" })).status,
      200,
    );
    assert.match(gateway.stderr, /AUTHENTICATION IS DISABLED \(--no-auth\)/);
  } finally {
    await gateway.stop();
  }
});

Deno.test("a backend sees only the basic variables and the ones its config names", e2e, async () => {
  const gateway = await startGateway({
    toml: HOSTILE("hostile", "", { PASSED: "", EXPLICIT: "value" }),
    env: { PASSED: "from-host", GITHUB_TOKEN: "ghp_planted", MCP_GATEWAY_API_KEY_PLANTED: "planted" },
  });
  try {
    const names = JSON.parse(await toolText(gateway, "hostile", "env"));
    // The basics docs/configuration.md documents, written out here so that a name added to the code's list fails this test.
    const documented = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];
    // The test configs pass the runner's Deno cache and certificate store through, as a user would.
    const given = [...documented, "DENO_DIR", "DENO_TLS_CA_STORE"].filter((name) =>
      Deno.env.get(name) !== undefined
    );
    assert.deepEqual(names, [...given, "EXPLICIT", "PASSED"].sort());
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "hostile backends: an oversized message, a backend that stops reading, a flood nobody reads",
  e2e,
  async (t) => {
    const gateway = await startGateway({
      toml: HOSTILE() + EVERYTHING() +
        "[gateway]\nmax_message_size = 1048576\nmax_unsent_bytes = 1048576\ntool_timeout = 10\n",
    });
    try {
      await t.step(
        "a backend that announces tool changes without end gets a listing at a time, not one per announcement",
        async () => {
          assert.equal(await toolText(gateway, "hostile", "churn", { count: 500 }), "announced 500");
          let listings = -1;
          for (let seen = -2; listings !== seen;) {
            seen = listings;
            await new Promise((resolve) => setTimeout(resolve, 200));
            listings = Number(await toolText(gateway, "hostile", "listings"));
          }
          assert.ok(listings <= 10, `${listings} listings for 500 announcements`);
        },
      );
      await t.step(
        "a line over max_message_size fails the call, naming the limit; the backend restarts",
        async () => {
          const error = await toolText(gateway, "hostile", "huge");
          assert.equal(error.error.code, -32001);
          assert.match(error.error.data.detail, /larger than gateway\.maxMessageSize \(1048576 bytes\)/);
          assert.equal(
            await toolText(gateway, "everything", "echo", { message: "still here" }),
            "Echo: still here",
          );
          assert.match(
            await toolText(gateway, "hostile", "raw"),
            /"name":"raw"/,
            "restarted by the next call",
          );
        },
      );
      await t.step(
        "a backend that stops reading stdin gets its own calls refused, not the gateway's memory",
        async () => {
          assert.equal(await toolText(gateway, "hostile", "deaf"), "not listening any more");
          const big = "b".repeat(256 * 1024);
          const refused = await (async () => {
            for (let i = 0; i < 64; i++) {
              const response = await Promise.race([
                gateway.post("/mcp/hostile", callTool(i, "raw", { big })).then((r) => r.json()),
                new Promise((resolve) => setTimeout(resolve, 20)),
              ]) as { error?: { code: number; data: { detail: string } } } | undefined;
              if (response?.error !== undefined) return response.error;
            }
          })();
          assert.ok(refused, "some call was refused");
          assert.equal(refused.code, -32001);
          assert.match(
            refused.data.detail,
            /not reading its stdin: \d+ bytes are waiting \(gateway\.maxUnsentBytes/,
          );
          assert.equal(await toolText(gateway, "everything", "echo", { message: "fine" }), "Echo: fine");
        },
      );
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("a client that never reads its stream is disconnected; others are not slowed", e2e, async () => {
  // The default bound: a GET stream holds no more unread than the replay log keeps (1 MiB), far below the
  // 7.5 MiB of the flood and the 16 MiB a call's own answer may hold.
  const gateway = await startGateway({ toml: HOSTILE() + EVERYTHING() });
  try {
    const init = await gateway.post("/mcp/hostile", initialize());
    const session = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const stream = await fetch(`${gateway.url}/mcp/hostile`, {
      headers: { "mcp-session-id": session, accept: "text/event-stream" },
    });
    assert.equal(stream.status, 200);
    const flood = await gateway.post("/mcp/hostile", callTool(2, "flood", { count: 120 }), {
      "mcp-session-id": session,
    });
    assert.equal(text((await flood.json()).result), "flooded");
    // While the unread stream is full, another server's calls still answer at once: a liveness bound, far
    // above a call's usual milliseconds, that a gateway blocked behind the stream would miss.
    for (let call = 0; call < 5; call++) {
      const started = performance.now();
      assert.equal(
        await within(toolText(gateway, "everything", "echo", { message: "unhindered" }), 5_000, "echo"),
        "Echo: unhindered",
      );
      assert.ok(performance.now() - started < 5_000);
    }
    await stream.body?.cancel().catch(() => {});
    await gateway.stop();
    assert.match(
      gateway.stderr,
      new RegExp(`Disconnected session ${session}: it left \\d+ bytes of its SSE stream unread`),
    );
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "message integrity: one id, the gateway's; no client can answer another's request",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    try {
      const forged = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"raw","arguments":{}},' +
        '"result":{"forged":true},  "id":1}\n';
      const seen = text((await (await gateway.post("/mcp/hostile", forged)).json()).result);
      const message = JSON.parse(seen);
      assert.equal(seen.split('"id"').length - 1, 1, `exactly one id in ${seen}`);
      assert.equal(typeof message.id, "number");
      assert.equal(message.result, undefined, "members beside the envelope are not forwarded");

      const victim = gateway.post("/mcp/hostile", callTool(7, "slow-echo", { message: "victim", ms: 1500 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const injections = Array.from({ length: 20 }, (_, n) =>
        gateway.post(
          "/mcp/hostile",
          `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow-echo","arguments":{"message":"INJECTED"}},"id":${n}}\n`,
        ).then((r) => r.json()));
      assert.equal(text((await (await victim).json()).result), "victim");
      for (const answer of await Promise.all(injections)) assert.equal(text(answer.result), "INJECTED");

      for (
        const [body, pattern] of [
          [{ jsonrpc: "2.0", id: 3, method: "tools/call" }, /params is required/],
          [{ jsonrpc: "2.0", id: 4, method: "tools/call", params: {} }, /params\.name is required/],
          [
            { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "raw", arguments: [] } },
            /params\.arguments/,
          ],
        ] as const
      ) {
        const answer = await (await gateway.post("/mcp/hostile", body)).json();
        assert.equal(answer.error.code, -32602);
        assert.equal(answer.id, body.id);
        assert.match(answer.error.message, pattern);
      }
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("an SSE client that goes away cancels its backend request", e2e, async () => {
  const gateway = await startGateway({ toml: PROBE() });
  try {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/mcp/probe`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "wait", arguments: {}, _meta: { progressToken: "p" } },
      }),
      signal: controller.signal,
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /notifications\/progress/);
    controller.abort();
    const cancelled = await eventually(() => toolText(gateway, "probe", "cancellations"), (n) => n !== "0");
    assert.equal(cancelled, "1");
  } finally {
    await gateway.stop();
  }
});

Deno.test("a JSON client that goes away at once still cancels its backend request", e2e, async () => {
  const gateway = await startGateway({ toml: PROBE() });
  try {
    const controller = new AbortController();
    const call = fetch(`${gateway.url}/mcp/probe`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "wait", arguments: {} },
      }),
      signal: controller.signal,
    });
    // Gone before the gateway's first look at its callers' connections (once a second).
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await assert.rejects(call);
    const cancelled = await eventually(() => toolText(gateway, "probe", "cancellations"), (n) => n !== "0");
    assert.equal(cancelled, "1");
  } finally {
    await gateway.stop();
  }
});

Deno.test('isolation = "session": each client session has its own backend process', e2e, async () => {
  const gateway = await startGateway({ toml: HOSTILE("hostile", 'isolation = "session"\n') });
  try {
    const a = await gateway.client("hostile");
    const b = await gateway.client("hostile");
    const pid = async (client: typeof a) =>
      text(await client.callTool({ name: "pid", arguments: {} }) as { content: unknown });
    const [pa, pb] = [await pid(a), await pid(b)];
    assert.notEqual(pa, pb);
    assert.equal(await pid(a), pa, "a session keeps its process");
    await a.close();
    await b.close();
  } finally {
    await gateway.stop();
  }
});

Deno.test("sessions are bounded: the least recently used idle one is closed", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() + "[gateway]\nmax_sessions = 3\n" });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await gateway.post("/mcp/everything", initialize());
      ids.push(response.headers.get("mcp-session-id")!);
      await response.body?.cancel();
    }
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    const status = async (id: string) => {
      const response = await gateway.post("/mcp/everything", ping, { "mcp-session-id": id });
      await response.body?.cancel();
      return response.status;
    };
    assert.deepEqual([await status(ids[0]), await status(ids[1]), await status(ids[4])], [404, 404, 200]);
    await gateway.stop();
    assert.match(
      gateway.stderr,
      /Closed session .*, the least recently used idle one: 3 sessions is the bound/,
    );
  } finally {
    await gateway.stop();
  }
});

Deno.test("out of file descriptors: the gateway survives and answers once they are free", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING(), shellPrefix: "ulimit -n 256" });
  try {
    const idle: Deno.TcpConn[] = [];
    for (let i = 0; i < 300; i++) {
      try {
        idle.push(await Deno.connect({ hostname: "127.0.0.1", port: gateway.port }));
      } catch {
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const conn of idle) conn.close();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await fetch(`${gateway.url}/health`).then((r) =>
        r.body?.cancel().then(() => r.status), () => 0) ??
        0;
    }
    assert.equal(status, 200, gateway.stderr);
    assert.equal(await toolText(gateway, "everything", "echo", { message: "alive" }), "Echo: alive");
    assert.match(gateway.stderr, /Too many open files/);
  } finally {
    await gateway.stop();
  }
});

Deno.test("a body that does not arrive in time gets 408", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() + "[gateway]\nbody_timeout = 1\n" });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: gateway.port });
    await conn.write(
      new TextEncoder().encode(
        `POST /mcp/everything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"jsonrpc":`,
      ),
    );
    const reader = conn.readable.getReader();
    const answer = new TextDecoder().decode(
      (await within(reader.read(), 10_000, "answer to a stalled body")).value,
    );
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /the body did not arrive in time/);
  } finally {
    await gateway.stop();
  }
});

Deno.test("OAuth discovery answers 404 without a key, as the Go gateway does", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING(), auth: true });
  try {
    for (
      const path of ["/.well-known/oauth-authorization-server", "/mcp/.well-known/oauth-authorization-server"]
    ) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal((await response.json()).error.message, "Not found: awmg does not use OAuth");
    }
  } finally {
    await gateway.stop();
  }
});
