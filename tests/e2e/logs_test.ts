import assert from "node:assert/strict";
import {
  callTool,
  EVERYTHING,
  HOSTILE,
  MEMORY,
  type RunningGateway,
  startGateway,
  text,
} from "../support/gateway.ts";
import { within } from "../support/deadline.ts";
import { symlink, tempFile } from "../support/temp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const FILES = [
  "mcp-gateway.log",
  "everything.log",
  "memory.log",
  "gateway.md",
  "rpc-messages.jsonl",
  "tools.json",
];

function logDir(): string {
  return `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
}

Deno.test(
  "the log directory holds the five files in their documented shapes, complete after SIGTERM",
  e2e,
  async () => {
    const dir = logDir();
    const secret = "sup3r-secret-value-991";
    const apiKey = "api-key-for-logs-test";
    const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const gateway = await startGateway({
      toml: EVERYTHING("everything", { env: { PLANTED: "${PLANTED_SECRET}" } }) + MEMORY(),
      args: ["--log-dir", dir],
      env: { PLANTED_SECRET: secret, MCP_GATEWAY_API_KEY: apiKey },
      auth: true,
    });
    const auth = { authorization: apiKey };
    const client = await gateway.client("everything", auth);
    await client.callTool({ name: "echo", arguments: { message: `carry ${token} and ${secret}` } });
    await client.listTools();
    const unauthorized = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 1, method: "ping" }, {
      authorization: "wrong",
    });
    await unauthorized.body?.cancel();
    await client.close();
    const last = await gateway.post(
      "/mcp/memory",
      { jsonrpc: "2.0", id: "last-call", method: "tools/list" },
      auth,
    );
    await last.body?.cancel();
    assert.equal((await gateway.stop()).code, 0);

    const read = async (name: string) => await Deno.readTextFile(`${dir}/${name}`);
    for (const name of FILES) assert.ok((await Deno.stat(`${dir}/${name}`)).isFile, `${name} is missing`);

    const main = await read("mcp-gateway.log");
    for (const line of main.trimEnd().split("\n")) {
      assert.match(
        line,
        /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[(INFO|WARN|ERROR|DEBUG)\] \[[a-z]+\] /,
        line,
      );
    }
    assert.match(
      main,
      new RegExp(
        `\\[INFO\\] \\[startup\\] Starting MCPG with config: .+, listen: 127\\.0\\.0\\.1:\\d+, log-dir: ${dir}`,
      ),
    );
    assert.match(
      main,
      /\[INFO\] \[client\] New MCP client connection, remote=127\.0\.0\.1:\d+, method=POST, path=\/mcp\/everything, backend=everything, session=[0-9a-f-]{36}/,
    );
    assert.match(
      main,
      /\[ERROR\] \[auth\] Authentication failed: invalid API key, remote=127\.0\.0\.1:\d+, path=\/mcp\/everything/,
    );
    assert.match(main, /\[INFO\] \[shutdown\] Shutting down/);

    const everything = await read("everything.log");
    assert.match(
      everything,
      /Launching MCP backend server: everything, command=.*deno, args=\[run .*\], env=\[DENO_DIR DENO_TLS_CA_STORE PLANTED\]/,
    );
    assert.match(everything, /stderr: Starting default \(STDIO\) server\.\.\./);
    assert.match(everything, /everything→tools\/call \d+b \{/);
    assert.match(everything, /everything←resp \d+b \{/);
    assert.match(everything, /Backend server everything stopped/);
    assert.doesNotMatch(everything, /memory→/, "another server's traffic leaked into everything.log");
    assert.match(await read("memory.log"), /memory→tools\/list/);

    const markdown = await read("gateway.md");
    assert.match(
      markdown,
      /\*\*everything\*\*→`tools\/call` `echo`\n\n```json\n\{.*"params":\{"name":"echo".*\}\n```\n/,
    );
    assert.doesNotMatch(
      markdown,
      /"jsonrpc"|"method":"tools\/call"/,
      "the envelope should not be in the block",
    );

    const records = (await read("rpc-messages.jsonl")).trimEnd().split("\n").map((line) => JSON.parse(line));
    const call = records.find((r) => r.direction === "inbound" && r.method === "tools/call");
    assert.equal(call.server, "everything");
    assert.match(call.session, /^[0-9a-f-]{36}$/);
    assert.ok(call.duration >= 0 && call.size > 0 && call.timestamp);
    assert.ok(
      records.some((r) =>
        r.server === "memory" && r.method === "tools/list" && r.direction === "inbound" &&
        r.session === null &&
        r.duration >= 0
      ),
    );
    assert.ok(
      records.filter((r) => r.method === "tools/list").length >= 2,
      "the last call before SIGTERM was lost",
    );
    // server-everything announces four tool changes as it starts; the gateway's own listings coalesce.
    const everythingRecords = records.filter((r) => r.server === "everything" && r.session === null);
    const announced = everythingRecords.filter((r) => r.method === "notifications/tools/list_changed");
    const listed = everythingRecords.filter((r) => r.method === "tools/list" && r.direction === "outbound");
    assert.ok(announced.length >= 3, `expected a burst of list_changed, saw ${announced.length}`);
    assert.ok(listed.length <= 3, `${announced.length} announcements led to ${listed.length} listings`);

    const tools = JSON.parse(await read("tools.json"));
    assert.deepEqual(Object.keys(tools).sort(), ["everything", "memory"]);
    assert.deepEqual(tools.everything.find((t: { name: string }) => t.name === "echo"), {
      name: "echo",
      description: "Echoes back the input string",
    });

    for (const name of FILES) {
      const text = await read(name);
      for (const planted of [secret, apiKey, token]) {
        assert.ok(!text.includes(planted), `${planted} leaked into ${name}`);
      }
    }
    for (const planted of [secret, apiKey, token]) {
      assert.ok(!gateway.stderr.includes(planted), `${planted} leaked into stderr`);
    }
    assert.match(everything, /\[REDACTED\]/);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("a log directory awmg cannot write: logs go to stdout, said once", e2e, async () => {
  const gateway = await startGateway({
    toml: EVERYTHING(),
    args: ["--log-dir", "/var/awmg-not-permitted/logs"],
  });
  const ping = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 1, method: "tools/list" });
  await ping.body?.cancel();
  await gateway.stop();
  assert.equal(gateway.stdout.match(/Cannot write logs to \/var\/awmg-not-permitted\/logs/g)?.length, 1);
  assert.match(gateway.stdout, /\[INFO\] \[startup\] Starting MCPG with config/);
  assert.match(gateway.stdout, /everything→tools\/list/);
});

Deno.test(
  "a backend's answer padded with whitespace is written to gateway.md at once, not backtracked over",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE(), args: ["--log-dir", logDir()] });
    try {
      const calls = [1, 2, 3].map((id) => gateway.post("/mcp/hostile", callTool(id, "padded", {})));
      for (const answer of await within(Promise.all(calls), 5_000, "answers padded with whitespace")) {
        assert.match(await answer.text(), /"text":"padded"/);
      }
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a log file left as a link is never written through: logs go to stdout, the target untouched",
  e2e,
  async () => {
    const victim = await tempFile("the victim's own text\n", ".txt");
    for (const name of ["mcp-gateway.log", "hostile.log", "gateway.md"]) {
      const dir = logDir();
      await Deno.mkdir(dir, { recursive: true });
      await symlink(victim, `${dir}/${name}`);
      const gateway = await startGateway({ toml: HOSTILE(), args: ["--log-dir", dir] });
      await (await gateway.post("/mcp/hostile", { jsonrpc: "2.0", id: 1, method: "tools/list" })).body
        ?.cancel();
      await gateway.stop();
      assert.match(
        gateway.stdout,
        new RegExp(`Cannot write logs to ${dir} \\(${dir}/${name} is a symbolic link`),
        name,
      );
      assert.match(gateway.stdout, /hostile→tools\/list/, `${name}: the lines went to stdout`);
      assert.equal(await Deno.readTextFile(victim), "the victim's own text\n", name);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "DEBUG selects namespaces on stderr; -v raises the level; text logs rotate by size",
  e2e,
  async () => {
    const dir = logDir();
    const gateway = await startGateway({
      toml: EVERYTHING() + MEMORY(),
      args: ["--log-dir", dir],
      env: { DEBUG: "backend:*,-backend:memory", DEBUG_COLORS: "0" },
    });
    await gateway.stop();
    assert.match(gateway.stderr, /^backend:everything Launching MCP backend server: everything/m);
    assert.doesNotMatch(gateway.stderr, /^backend:memory /m);
    assert.doesNotMatch(gateway.stderr, /^rpc:/m);
    const verbose = await startGateway({
      toml: EVERYTHING(),
      args: ["--log-dir", dir, "-v"],
      env: { MCP_GATEWAY_LOG_MAX_SIZE: "4096" },
    });
    await verbose.stop();
    const rotated = [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((name) =>
      /^everything\.log\.\d+$/.test(name)
    );
    assert.ok(rotated.length > 0, "a text log over MCP_GATEWAY_LOG_MAX_SIZE was not rotated");
    assert.match(verbose.stderr, /\[INFO\] \[backend\] Backend server everything is running/);
    assert.doesNotMatch(verbose.stderr, /\[DEBUG\]/);
    await Deno.remove(dir, { recursive: true });
  },
);

/** Whether this machine lets a process mount in a namespace of its own (`unshare -rm`). */
const canMount = (await new Deno.Command("unshare", { args: ["-rm", "true"], stderr: "null" }).output()
  .catch(() => undefined))?.success === true;

Deno.test({
  name: "a full log directory is said once on stderr and in /health, and the gateway keeps serving",
  ignore: !canMount,
  ...e2e,
  fn: async () => {
    const dir = logDir();
    await Deno.mkdir(dir, { recursive: true });
    // A real ENOSPC: the log directory is a 256 KiB tmpfs, seen only by awmg (and removed with it).
    const gateway = await startGateway({
      toml: EVERYTHING(),
      args: ["--log-dir", dir],
      shellPrefix: `mount -t tmpfs -o size=256k tmpfs ${dir}`,
      ownMounts: true,
    });
    try {
      const client = await gateway.client("everything");
      // Under the payload threshold, so each result comes back inline.
      const message = "x".repeat(8 * 1024);
      let logs = { status: "ok" } as { status: string; error?: string; lostBytes?: number };
      for (let call = 0; call < 200 && logs.status === "ok"; call++) {
        const result = await client.callTool({ name: "echo", arguments: { message } });
        assert.equal(text(result), `Echo: ${message}`);
        const health = await fetch(`${gateway.url}/health`);
        assert.equal(health.status, 200);
        logs = (await health.json()).logs;
        if (logs.status === "ok") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(logs.status, "error");
      assert.match(logs.error ?? "", /No space left on device/);
      assert.ok((logs.lostBytes ?? 0) > 0);
      for (let call = 0; call < 20; call++) {
        const result = await client.callTool({ name: "echo", arguments: { message: `after ${call}` } });
        assert.equal(text(result), `Echo: after ${call}`);
      }
      await client.close();
    } finally {
      await gateway.stop();
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(gateway.stderr.match(/Cannot write .* awmg keeps serving/g)?.length, 1, gateway.stderr);
  },
});

/** `calls` echo calls of 8,000 characters each to `server`, from one client: 16 KB of log lines a call. */
async function echoLarge(gateway: RunningGateway, server: string, calls: number): Promise<void> {
  const client = await gateway.client(server);
  for (let call = 0; call < calls; call++) {
    await client.callTool({ name: "echo", arguments: { message: `call ${call} ${"y".repeat(8000)}` } });
  }
  await client.close();
}

/** A log's files in `dir` (`name` and its rotated `name.N`), and the lines of all of them that hold `needle`. */
function logLines(dir: string, name: string, needle: string): { files: string[]; lines: string[] } {
  const files = [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((file) =>
    file === name || file.startsWith(`${name}.`) && /^\d+$/.test(file.slice(name.length + 1))
  );
  const lines = files.flatMap((file) => Deno.readTextFileSync(`${dir}/${file}`).split("\n"))
    .filter((line) => line.includes(needle));
  return { files, lines };
}

Deno.test("nothing in the log directory is deleted unless MCP_GATEWAY_LOG_MAX_FILES asks", e2e, async () => {
  const calls = 40;
  for (const maxFiles of [undefined, "2"]) {
    const dir = logDir();
    const gateway = await startGateway({
      toml: EVERYTHING(),
      args: ["--log-dir", dir],
      env: {
        MCP_GATEWAY_LOG_MAX_SIZE: "4096",
        ...(maxFiles === undefined ? {} : { MCP_GATEWAY_LOG_MAX_FILES: maxFiles }),
      },
    });
    // The 64 KiB buffered writes each rotate the server's log.
    await echoLarge(gateway, "everything", calls);
    await gateway.stop();
    const { files, lines: calledLines } = logLines(dir, "everything.log", "everything→tools/call");
    if (maxFiles === undefined) {
      assert.ok(files.length > 6, `${files.length} files of the server's log`);
      assert.equal(calledLines.length, calls);
    } else {
      // The two newest rotated files: the numbers count up, and the older ones were deleted.
      const rotated = files.filter((name) => name !== "everything.log").map((name) =>
        Number(name.split(".").pop())
      )
        .sort((a, b) => a - b);
      assert.equal(files.length, 3);
      assert.deepEqual(rotated, [rotated[0], rotated[0] + 1]);
      assert.ok(rotated[0] > 1, `${rotated}`);
      assert.ok(calledLines.length < calls);
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "a server named mcp-gateway shares the main log: each line once, none lost to rotation",
  e2e,
  async () => {
    const calls = 20;
    const dir = logDir();
    const gateway = await startGateway({
      toml: EVERYTHING("mcp-gateway"),
      args: ["--log-dir", dir],
      env: { MCP_GATEWAY_LOG_MAX_SIZE: "4096" },
    });
    try {
      await echoLarge(gateway, "mcp-gateway", calls);
      await gateway.stop();
      const { files, lines } = logLines(dir, "mcp-gateway.log", "mcp-gateway→tools/call");
      assert.ok(files.length > 2, `${files.length} files of the main log`);
      const called = lines.map((line) => line.match(/call (\d+) /)?.[1]);
      assert.deepEqual(
        called.sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: calls }, (_, i) => `${i}`),
      );
    } finally {
      await gateway.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** The RPC records of a log directory. */
function rpcRecords(dir: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(`${dir}/rpc-messages.jsonl`).trimEnd().split("\n").map((line) =>
    JSON.parse(line)
  );
}

Deno.test(
  "gateway.md opens with a digest whose figures are the RPC record's, written at /close",
  e2e,
  async () => {
    const dir = logDir();
    const gateway = await startGateway({ toml: EVERYTHING(), args: ["--log-dir", dir] });
    const client = await gateway.client("everything");
    for (let call = 0; call < 20; call++) {
      await client.callTool({
        name: "echo",
        arguments: { message: `${call}` },
      });
    }
    await client.callTool({ name: "no-such-tool", arguments: {} }).catch(() => undefined);
    await client.close();
    await (await gateway.post("/close", {})).body?.cancel();
    assert.equal((await gateway.exited).code, 0);

    const records = rpcRecords(dir).filter((r) => r.server === "everything");
    const requests = records.filter((r) =>
      r.direction === "outbound" && r.id !== null && !String(r.method).startsWith("notifications/")
    );
    const durations = records.flatMap((r) => typeof r.duration === "number" ? [r.duration] : []).sort((
      a,
      b,
    ) => a - b);
    const at = (q: number) => durations[Math.ceil(q * durations.length) - 1];
    const bytes = (direction: string) =>
      records.filter((r) => r.direction === direction).reduce((sum, r) => sum + Number(r.size), 0);
    const markdown = await Deno.readTextFile(`${dir}/gateway.md`);
    assert.ok(
      markdown.startsWith("# MCP Gateway\n\n| server | requests | errors | timeouts | p50 ms | p95 ms |"),
    );
    const row = markdown.split("\n").find((line) => line.startsWith("| everything |"))!.split("|").slice(
      2,
      -1,
    )
      .map((cell) => Number(cell.trim()));
    const [count, errors, timeouts, p50, p95, bytesOut, bytesIn] = row;
    assert.equal(count, requests.length);
    assert.ok(count >= 22, `${count} requests`);
    assert.equal(errors, records.filter((r) => r.error !== undefined).length);
    assert.equal(timeouts, 0);
    for (const [shown, exact] of [[p50, at(0.5)], [p95, at(0.95)]]) {
      assert.ok(Math.abs(shown - exact) <= Math.max(1, exact * 0.02), `${shown} ms for ${exact} ms`);
    }
    assert.equal(bytesOut, bytes("outbound"));
    assert.equal(bytesIn, bytes("inbound"));
    assert.match(markdown, /\*\*Slowest calls\*\*\n\n\| server \| method \| ms \| at \(UTC\) \|/);
    assert.match(markdown, /\n---\n\n/);
    assert.match(markdown, /\*\*everything\*\*→`tools\/call` `echo`/);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  "gateway.md stays within MCP_GATEWAY_SUMMARY_MAX_SIZE and says how many entries it left out",
  e2e,
  async () => {
    const dir = logDir();
    const budget = 16384;
    const gateway = await startGateway({
      toml: EVERYTHING(),
      args: ["--log-dir", dir],
      env: { MCP_GATEWAY_SUMMARY_MAX_SIZE: String(budget) },
    });
    const client = await gateway.client("everything");
    for (let call = 0; call < 60; call++) {
      await client.callTool({
        name: "echo",
        arguments: { message: `${call}` },
      });
    }
    await client.close();
    await gateway.stop();
    const bytes = await Deno.readFile(`${dir}/gateway.md`);
    assert.ok(bytes.length <= budget, `${bytes.length} bytes`);
    const markdown = new TextDecoder().decode(bytes);
    const shown = markdown.match(/^(\*\*everything\*\*[→←]|⚠️ )/gm)?.length ?? 0;
    const left = Number(markdown.match(/_(\d+) more entries were left out/)?.[1]);
    const warnings =
      (await Deno.readTextFile(`${dir}/mcp-gateway.log`)).match(/^\[[^\]]+\] \[(WARN|ERROR)\]/gm)?.length ??
        0;
    assert.equal(shown + left, rpcRecords(dir).length + warnings);
    assert.match(markdown, /rpc-messages\.jsonl holds every message\._\n$/);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  "a client's method, tool name and body whitespace cannot forge a log line, nor Markdown in gateway.md",
  e2e,
  async () => {
    const dir = logDir();
    const forged =
      "\n[2026-01-01T00:00:00Z] [INFO] [auth] forged\n## Forged ![pixel](https://example.com/p.png)";
    const gateway = await startGateway({ toml: HOSTILE(), args: ["--log-dir", dir] });
    try {
      const sent = [
        callTool(1, `raw${forged}`, {}),
        callTool(2, `a\` ![pixel](https://example.com/p.png) \`${forged}`, {}),
        { jsonrpc: "2.0", id: 3, method: `bogus${forged}` },
      ];
      for (const message of sent) await (await gateway.post("/mcp/hostile", message)).body?.cancel();
      const spaced = await fetch(`${gateway.url}/mcp/hostile`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: '{"jsonrpc":"2.0",\r\n"id":4,\n"method":"tools/call","params":{"name":"raw"}}',
      });
      assert.equal(spaced.status, 200);
      await spaced.body?.cancel();
    } finally {
      await gateway.stop();
    }
    for (const name of ["mcp-gateway.log", "hostile.log"]) {
      const lines = (await Deno.readTextFile(`${dir}/${name}`)).trimEnd().split("\n");
      assert.deepEqual(lines.filter((line) => !/^\[\d{4}-\d\d-\d\dT[\d:]+Z\] \[/.test(line)), [], name);
      assert.ok(
        lines.some((line) => line.includes("bogus\\n[2026-01-01T00:00:00Z]")),
        `${name} shows it escaped`,
      );
    }
    // What Markdown renders as markup: the summary without its code blocks and code spans.
    const rendered = (await Deno.readTextFile(`${dir}/gateway.md`))
      .replace(/^```json\n.*\n```$/gm, "")
      .replace(/(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)/g, "")
      .split("\n");
    assert.deepEqual(rendered.filter((line) => /^(\[2026-01-01|## Forged)/.test(line)), [], "no forged line");
    assert.deepEqual(rendered.filter((line) => /(^|[^\\])!\[pixel\]/.test(line)), [], "no image");
    assert.ok(rendered.some((line) => line.startsWith("**hostile**→")), "the calls are in the summary");
  },
);
