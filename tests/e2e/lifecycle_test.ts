import assert from "node:assert/strict";
import {
  commandLine,
  descendants,
  EVERYTHING,
  HOSTILE,
  MEMORY,
  pidsIn,
  RUGPULL,
  type RunningGateway,
  startGateway,
  survivors,
  text,
} from "../support/gateway.ts";
import { eventually, within } from "../support/deadline.ts";
import { modernClient } from "../support/modern.ts";
import { MAX_WAITING } from "../../src/gateway/startup.ts";
import { tempDir } from "../support/temp.ts";
import { testCertificate } from "../support/tls.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** A server's TOML with its command run by `sh -c script`, where "$0" "$@" are the command and its arguments. */
function throughSh(toml: string, script: string): string {
  return toml.replace(
    /command = (".*")\nargs = \[/,
    (_line, command) => `command = "sh"\nargs = ["-c", ${JSON.stringify(script)}, ${command}, `,
  );
}

/**
 * `toml`'s server through sh, each launch's pid noted in `dir`/starts; the first launch runs `first` instead
 * (where "$0" "$@" are the server's command), every later one the server itself.
 */
function firstLaunch(toml: string, dir: string, first: string): string {
  return throughSh(
    toml,
    `echo $$ >> ${dir}/starts; [ -e ${dir}/launched ] && exec "$0" "$@"; touch ${dir}/launched; ${first}`,
  );
}

/** server-everything as `slow`, which sleeps 4 s before it starts: the gateway's start waits for it. */
const SLOW = throughSh(EVERYTHING("slow"), 'sleep 4; exec "$0" "$@"');

/** What /health says: its status code, the gateway's status and each server's. */
type Health = { code: number; body: { status: string; servers: Record<string, { status: string }> } };

/** /health, read until `done` says so (5 s at most); undefined while nothing listens. */
function healthWhen(gateway: RunningGateway, done: (health: Health | undefined) => boolean) {
  return eventually(async () => {
    const response = await fetch(`${gateway.url}/health`).catch(() => undefined);
    return response && { code: response.status, body: await response.json() };
  }, done);
}

/** Calls server-everything's `echo` on `server` through the gateway, with a client of its own. */
async function assertEchoes(gateway: RunningGateway, server: string, message: string): Promise<void> {
  const client = await gateway.client(server);
  assert.equal(text(await client.callTool({ name: "echo", arguments: { message } })), `Echo: ${message}`);
  await client.close();
}

/**
 * SIGTERM, then, while `pids` are still in the first stop's grace, SIGTERM again: awmg exits 0 within 5 s of
 * the second signal, and none of `pids` is left. They ignore SIGTERM and run forever: when the test fails,
 * they are killed here rather than left on the machine.
 */
async function stopTwice(gateway: RunningGateway, pids: number[]): Promise<void> {
  try {
    gateway.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await survivors(pids), pids, "the first signal's stop is still in its grace");
    const hurried = Date.now();
    gateway.process.kill("SIGTERM");
    assert.equal((await gateway.exited).code, 0, gateway.stderr);
    assert.ok(
      Date.now() - hurried < 5000,
      `the stop took ${Date.now() - hurried} ms after the second signal`,
    );
    assert.deepEqual(await survivors(pids), [], "a server outlived the gateway");
  } finally {
    for (const pid of await survivors(pids)) Deno.kill(pid, "SIGKILL");
  }
}

async function allGone(pids: number[]): Promise<boolean> {
  return (await survivors(pids)).length === 0;
}

Deno.test(
  "auth on: Authorization: <key> or Bearer; 401 missing or wrong, 400 malformed; /health open",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: EVERYTHING() + '[gateway]\napi_key = "file-key"\n',
      env: { MCP_GATEWAY_API_KEY: "s3cret-key-1" },
      auth: true,
    });
    try {
      const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
      const missing = await gateway.post("/mcp/everything", ping);
      assert.equal(missing.status, 401);
      assert.equal((await missing.json()).error.message, "Unauthorized: missing Authorization header");
      const wrong = await gateway.post("/mcp/everything", ping, { authorization: "file-key" });
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error.message, "Unauthorized: invalid API key");
      const malformed = await gateway.post("/mcp/everything", ping, { authorization: "Bearer" });
      assert.equal(malformed.status, 400);
      await malformed.body?.cancel();
      for (const authorization of ["s3cret-key-1", "Bearer s3cret-key-1"]) {
        const ok = await gateway.post("/mcp/everything", ping, { authorization });
        assert.equal(ok.status, 200, authorization);
        await ok.body?.cancel();
      }
      const health = await fetch(`${gateway.url}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      const close = await gateway.post("/close", {});
      assert.equal(close.status, 401);
      await close.body?.cancel();
      const client = await gateway.client("everything", { authorization: "s3cret-key-1" });
      assert.equal(text(await client.callTool({ name: "echo", arguments: { message: "ok" } })), "Echo: ok");
      await client.close();
    } finally {
      await gateway.stop();
    }
    assert.match(
      gateway.stderr,
      /\[WARN\] \[startup\] MCP_GATEWAY_API_KEY|overrides the API key in the config/,
    );
    assert.ok(!gateway.stderr.includes("s3cret-key-1"), "the API key reached the log");
  },
);

Deno.test("auth off: no key needed, and the startup log says so loudly", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() });
  try {
    const response = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 1, method: "ping" });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    await gateway.stop();
  }
  assert.match(gateway.stderr, /\[WARN\] \[startup\] AUTHENTICATION IS DISABLED/);
});

Deno.test(
  "POST /close: drains, stops every backend, answers, exits 0; a second call gets 410",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: EVERYTHING() + MEMORY() });
    const children = await descendants(gateway.process.pid);
    assert.ok(children.length >= 2, `expected backend processes, found ${children.length}`);
    const client = await gateway.client("everything");
    const slow = client.callTool({
      name: "trigger-long-running-operation",
      arguments: { duration: 1, steps: 2 },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = gateway.post("/close", {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await gateway.post("/close", {});
    assert.equal(second.status, 410);
    assert.deepEqual(await second.json(), { error: "the gateway is already closed" });
    const refused = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 1, method: "ping" });
    assert.equal(refused.status, 503);
    assert.match((await refused.json()).error.message, /shutting down/);
    const close = await closing;
    assert.equal(close.status, 200);
    assert.deepEqual(await close.json(), {
      status: "closed",
      message: "Gateway shutdown complete",
      serversTerminated: 2,
    });
    assert.match(text(await slow), /completed/i, "the in-flight call was not allowed to finish");
    const status = await gateway.exited;
    assert.equal(status.code, 0);
    assert.ok(await allGone(children), "a backend process outlived the gateway");
  },
);

Deno.test("SIGTERM shuts down the same way and leaves no child process", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() + MEMORY() });
  const children = await descendants(gateway.process.pid);
  assert.ok(children.length >= 2);
  const status = await gateway.stop();
  assert.equal(status.code, 0);
  assert.ok(await allGone(children), "a backend process outlived the gateway");
});

Deno.test(
  "SIGTERM while the servers start stops them as /close does: exit 0, no child left",
  e2e,
  async () => {
    // `sleeper` never answers and ignores its stdin: only the gateway's stop ends it. Each launch notes its pid,
    // so that a process launched again while the gateway stops is seen too.
    const launches = `${await tempDir("awmg-launches-")}/pids`;
    const sleeper = throughSh(EVERYTHING("sleeper"), `echo $$ >> ${launches}; exec sleep 60`);
    const gateway = await startGateway({ toml: EVERYTHING() + sleeper, waitHealthy: false });
    await healthWhen(gateway, (health) => health?.body.servers.everything.status === "running");
    const children = await descendants(gateway.process.pid);
    assert.ok(children.length >= 2, "both servers were launched");
    gateway.process.kill("SIGTERM");
    assert.equal((await gateway.exited).code, 0, gateway.stderr);
    const launched = await pidsIn(launches);
    assert.deepEqual(
      await survivors([...children, ...launched]),
      [],
      "a backend process outlived the gateway",
    );
    assert.doesNotMatch(gateway.stdout, /backend_start_failed/);
  },
);

Deno.test(
  "a second SIGTERM cuts the stop short: a server that ignores SIGTERM is killed at once",
  e2e,
  async () => {
    // `stubborn` ignores SIGTERM and its stdin: the first signal's stop would kill it only after 10 s of grace.
    const launches = `${await tempDir("awmg-launches-")}/pids`;
    const stubborn = throughSh(
      EVERYTHING("stubborn"),
      `trap "" TERM; echo $$ >> ${launches}; while :; do sleep 1; done`,
    );
    const gateway = await startGateway({ toml: stubborn, waitHealthy: false });
    const launched = await eventually(
      () => pidsIn(launches),
      (pids) => pids.length > 0,
    );
    assert.ok(launched.length > 0, "stubborn was launched");
    // Listening, the gateway exists and stops on a signal (one that came earlier would only exit).
    assert.notEqual(await healthWhen(gateway, (health) => health !== undefined), undefined);
    await stopTwice(gateway, launched);
  },
);

Deno.test(
  "a second SIGTERM kills a session's own server too, after the stop has ended that session",
  e2e,
  async () => {
    const dir = await tempDir("awmg-own-");
    // A session's server ignores SIGTERM, and stops reading its stdin once its `deaf` tool is called.
    const toml = throughSh(
      HOSTILE("own", 'isolation = "session"\n'),
      `echo $$ >> ${dir}/starts; [ -e ${dir}/launched ] && trap "" TERM; touch ${dir}/launched; exec "$0" "$@"`,
    );
    const gateway = await startGateway({ toml });
    const client = await gateway.client("own");
    await client.callTool({ name: "deaf", arguments: {} });
    const [, own] = await pidsIn(`${dir}/starts`);
    assert.ok(own !== undefined, "the session's server was launched");
    await stopTwice(gateway, [own]);
  },
);

Deno.test("a second SIGTERM does not wait for the calls in flight", e2e, async () => {
  const gateway = await startGateway({ toml: HOSTILE() });
  const client = await gateway.client("hostile");
  const call = client.callTool({ name: "slow-echo", arguments: { message: "late", ms: 60_000 } })
    .then(() => "answered", (error: Error) => error.message);
  // The call reaches the server within this pause (its echo is set to take a minute).
  await new Promise((resolve) => setTimeout(resolve, 500));
  gateway.process.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(
    await survivors([gateway.process.pid]).then((alive) => alive.length),
    1,
    "the stop waits for the call",
  );
  const hurried = Date.now();
  gateway.process.kill("SIGTERM");
  assert.equal((await gateway.exited).code, 0, gateway.stderr);
  assert.ok(Date.now() - hurried < 5000, `the stop took ${Date.now() - hurried} ms after the second signal`);
  assert.notEqual(await call, "answered");
});

/**
 * A gateway whose start is held before the gateway exists (2 s and more) by a store that takes connections and
 * never answers, with `sleeper` (which runs `script` and notes its pid) launched early; `run` gets both.
 */
async function withHeldStart(
  script: string,
  run: (gateway: RunningGateway, launched: number[]) => Promise<void>,
): Promise<void> {
  const store = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of store) held.push(conn);
  })().catch(() => {});
  const launches = `${await tempDir("awmg-launches-")}/pids`;
  const sleeper = throughSh(EVERYTHING("sleeper"), `echo $$ >> ${launches}; ${script}`);
  const gateway = await startGateway({
    toml: `[gateway]\nstore = "redis://127.0.0.1:${store.addr.port}"\n\n${sleeper}`,
    env: { MCP_GATEWAY_STATE_KEY: "0123456789abcdef0123456789abcdef-test" },
    waitHealthy: false,
  });
  let launched: number[] = [];
  try {
    launched = await eventually(() => pidsIn(launches), (pids) => pids.length > 0);
    await eventually(() => held.length, (count) => count > 0);
    assert.ok(launched.length > 0 && held.length > 0, "sleeper runs and the start waits for the store");
    await run(gateway, launched);
  } finally {
    store.close();
    for (const conn of held) conn.close();
    for (const pid of await survivors(launched)) Deno.kill(pid, "SIGKILL");
  }
}

Deno.test("SIGTERM before the gateway is built ends the servers launched early: exit 143", e2e, async () => {
  // sleeper ignores its stdin.
  await withHeldStart("exec sleep 60", async (gateway, launched) => {
    gateway.process.kill("SIGTERM");
    const { code, signal } = await gateway.exited;
    assert.deepEqual({ code, signal }, { code: 143, signal: null }, "awmg exits as a process SIGTERM killed");
    assert.deepEqual(await survivors(launched), [], "a server launched early outlived the gateway");
  });
});

Deno.test(
  "SIGTERM before the gateway is built: a server launched early that ignores it and its stdin is killed",
  e2e,
  async () => {
    await withHeldStart('trap "" TERM; exec sleep 60', async (gateway, launched) => {
      const signalled = Date.now();
      gateway.process.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(await survivors(launched), launched, "it ignores SIGTERM: the grace runs");
      const { code } = await within(gateway.exited, 20_000, "awmg's exit after SIGTERM");
      assert.equal(code, 143, gateway.stderr);
      assert.ok(Date.now() - signalled < 15_000, `awmg exited ${Date.now() - signalled} ms after SIGTERM`);
      assert.deepEqual(await survivors(launched), [], "killed after the grace, before awmg exits");
    });
  },
);

Deno.test(
  "a second SIGTERM before the gateway is built kills the servers launched early at once",
  e2e,
  async () => {
    await withHeldStart('trap "" TERM; exec sleep 60', async (gateway, launched) => {
      gateway.process.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const hurried = Date.now();
      gateway.process.kill("SIGTERM");
      assert.equal((await within(gateway.exited, 20_000, "awmg's exit")).code, 143, gateway.stderr);
      assert.ok(
        Date.now() - hurried < 5000,
        `awmg exited ${Date.now() - hurried} ms after the second signal`,
      );
      assert.deepEqual(await survivors(launched), []);
    });
  },
);

Deno.test(
  "each stdio server is launched once: the process started early is the one that serves",
  e2e,
  async () => {
    const starts = `${await tempDir("awmg-starts-")}/starts`;
    // Launched through sh, which notes each process it starts before becoming the server.
    const toml = throughSh(EVERYTHING("counted"), `echo $$ >> ${starts}; exec "$0" "$@"`);
    const gateway = await startGateway({ toml });
    try {
      await assertEchoes(gateway, "counted", "once");
      const pids = await pidsIn(starts);
      assert.equal(pids.length, 1, "started once: the early launch was taken, not replaced by a second");
      assert.ok((await descendants(gateway.process.pid)).includes(pids[0]), "the early process serves");
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a server restarted speaking 2025 after 2026-07-28 gets a 2025 initialize, without the envelope",
  e2e,
  async () => {
    const dir = await tempDir("awmg-turncoat-");
    // The first launch speaks 2026-07-28 alone; every later one 2025 alone.
    const toml = firstLaunch(HOSTILE("turncoat"), dir, 'exec "$0" "$@" --modern');
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({ toml, args: ["--log-dir", logDir] });
    try {
      const [modern] = await pidsIn(`${dir}/starts`);
      Deno.kill(modern, "SIGKILL");
      const client = await gateway.client("turncoat");
      const pid = await eventually(
        () => client.callTool({ name: "pid", arguments: {} }).then(text, () => ""),
        (answer) => answer !== "",
      );
      assert.notEqual(pid, String(modern), "the server was started again");
      await client.close();
      await gateway.stop();
      const sent = (await Deno.readTextFile(`${logDir}/turncoat.log`)).split("\n")
        .filter((line) => line.includes("→initialize"));
      assert.equal(sent.length, 1, "one initialize: to the process that speaks 2025");
      assert.doesNotMatch(sent[0], /_meta/);
    } finally {
      await gateway.stop();
      await Deno.remove(logDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("/health names no revision while a server starts again, then the new process's", e2e, async () => {
  const dir = await tempDir("awmg-turncoat-");
  // The first launch speaks 2026-07-28 alone; every later one takes 2 s, then speaks 2025 alone.
  const toml = throughSh(
    HOSTILE("turncoat"),
    `echo $$ >> ${dir}/starts; [ -e ${dir}/launched ] && sleep 2 && exec "$0" "$@"; ` +
      `touch ${dir}/launched; exec "$0" "$@" --modern`,
  );
  const gateway = await startGateway({ toml });
  const revision = (
    health: Health | undefined,
  ) => (health?.body.servers.turncoat as { status: string; protocolVersion?: string } | undefined);
  try {
    assert.equal(revision(await healthWhen(gateway, (h) => h?.code === 200))?.protocolVersion, "2026-07-28");
    const [modern] = await pidsIn(`${dir}/starts`);
    Deno.kill(modern, "SIGKILL");
    assert.equal(
      revision(await healthWhen(gateway, (h) => revision(h)?.status === "error"))?.status,
      "error",
    );
    // Then a client's initialize starts the server again, and waits for it.
    const connecting = gateway.client("turncoat");
    // Awaited below; a failed assertion before that stops the gateway, and the rejection must not go unheard.
    connecting.catch(() => {});
    const starting = revision(await healthWhen(gateway, (h) => revision(h)?.status === "starting"));
    assert.deepEqual(starting && { status: starting.status, protocolVersion: starting.protocolVersion }, {
      status: "starting",
      protocolVersion: undefined,
    });
    const client = await connecting;
    assert.notEqual(text(await client.callTool({ name: "pid", arguments: {} })), String(modern));
    await client.close();
    assert.equal(revision(await healthWhen(gateway, (h) => h?.code === 200))?.protocolVersion, "2025-06-18");
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "a 2025 server that exits on the server/discover probe is launched again and greeted with initialize",
  e2e,
  async () => {
    const dir = await tempDir("awmg-probe-exit-");
    // The first launch reads one line (the probe) and exits, as a server that wants initialize first may.
    const toml = firstLaunch(EVERYTHING("strict"), dir, "read -r line; exit 1");
    const gateway = await startGateway({ toml });
    try {
      await assertEchoes(gateway, "strict", "again");
      const pids = await pidsIn(`${dir}/starts`);
      assert.equal(pids.length, 2, "launched once for the probe, once more for initialize");
      assert.deepEqual(await survivors(pids.slice(0, 1)), [], "the process that exited is not waited on");
      assert.doesNotMatch(gateway.stdout, /backend_start_failed/);
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "awmg listens while its servers start: /health says starting, and what clients send waits for the start",
  e2e,
  async () => {
    // rug is up in a moment; slow sleeps 4 s first, and the start, the vetting of every tool with it, waits.
    const gateway = await startGateway({ toml: RUGPULL("rug", "", ["--poison"]) + SLOW, waitHealthy: false });
    try {
      const health = await healthWhen(gateway, (health) => health?.body.servers.rug.status === "running");
      assert.equal(health?.code, 503);
      assert.equal(health?.body.status, "starting");
      assert.equal(health?.body.servers.slow.status, "starting");
      const early = gateway.client("slow");
      early.catch(() => {}); // awaited below; should an assertion fail first, the stop ends it
      // A 2026-07-28 call needs no session: were it not held, it would reach rug's poisoned tool unvetted.
      const { client } = await modernClient(`${gateway.url}/mcp/rug`, "pinned");
      await assert.rejects(client.callTool({ name: "helper", arguments: {} }), /Tool 'helper' is withheld/);
      await client.close();
      assert.equal((await (await fetch(`${gateway.url}/health`)).json()).status, "healthy");
      const legacy = await early;
      assert.equal(
        text(await legacy.callTool({ name: "echo", arguments: { message: "waited" } })),
        "Echo: waited",
      );
      await legacy.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("a tool call past toolTimeout gets -32002 with server, method and elapsed time", e2e, async () => {
  const gateway = await startGateway({ toml: EVERYTHING() + "[gateway]\ntool_timeout = 1\n" });
  try {
    const started = Date.now();
    const response = await gateway.post("/mcp/everything", {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "trigger-long-running-operation", arguments: { duration: 5, steps: 5 } },
    });
    const body = await response.json();
    assert.ok(Date.now() - started < 4000, "the timeout did not fire");
    assert.equal(body.id, 7);
    assert.equal(body.error.code, -32002);
    assert.equal(body.error.data.server, "everything");
    assert.equal(body.error.data.method, "tools/call");
    assert.ok(body.error.data.elapsedMs >= 1000);
    assert.match(body.error.data.detail, /tools\/call got no answer from server 'everything' within 1\.\ds/);
    const after = await gateway.post("/mcp/everything", { jsonrpc: "2.0", id: 8, method: "tools/list" });
    assert.equal((await after.json()).id, 8, "the backend is still usable after a timeout");
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "a restart refused with the server's secret in its words: /health and the client's error hide it",
  e2e,
  async () => {
    const dir = await tempDir("awmg-quoting-");
    const secret = "relaunch-secret-4c1e9b";
    // Every launch after the first answers initialize with an error quoting its key, as a server told a
    // wrong one might.
    const refuse = `read line; id=$(printf '%s' "$line" | sed -E 's/.*"id":("[^"]*"|[0-9]+).*/\\1/'); ` +
      `printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32603,"message":"bad key %s"}}\\n' "$id" "$PLANTED"; ` +
      "sleep 1; exit 1";
    const toml = throughSh(
      HOSTILE("quoting", 'protocolVersion = "2025-11-25"\n', { PLANTED: "${PLANTED_SECRET}" }),
      `echo $$ >> ${dir}/starts; [ -e ${dir}/launched ] && { ${refuse}; }; touch ${dir}/launched; exec "$0" "$@"`,
    );
    const gateway = await startGateway({ toml, env: { PLANTED_SECRET: secret } });
    try {
      const [first] = await pidsIn(`${dir}/starts`);
      Deno.kill(first, "SIGKILL");
      await healthWhen(gateway, (h) => h?.body.servers.quoting.status === "error");
      const refused = await gateway.post("/mcp/quoting", {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "pid", arguments: {} },
      });
      const answer = await refused.text();
      assert.match(answer, /bad key \[REDACTED\]/, answer);
      const health = await healthWhen(
        gateway,
        (h) =>
          (h?.body.servers.quoting as { error?: string } | undefined)?.error?.includes("bad key") === true,
      );
      const shown = JSON.stringify(health?.body);
      assert.match(shown, /bad key \[REDACTED\]/, shown);
      assert.ok(!answer.includes(secret) && !shown.includes(secret));
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a backend killed mid-call fails its requests at once with -32001 and restarts on the next",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: EVERYTHING() + MEMORY() });
    try {
      const client = await gateway.client("everything");
      const before = await descendants(gateway.process.pid);
      const call = client.callTool({
        name: "trigger-long-running-operation",
        arguments: { duration: 30, steps: 3 },
      })
        .then(() => undefined, (error: Error) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const health = await (await fetch(`${gateway.url}/health`)).json();
      const started = Date.now();
      for (const pid of before) {
        if ((await commandLine(pid)).includes("server-everything")) Deno.kill(pid, "SIGKILL");
      }
      const error = await call;
      assert.ok(Date.now() - started < 5000, "the pending call waited instead of failing at once");
      assert.match(String(error), /-32001|Server unavailable/);
      assert.equal(health.servers.everything.status, "running");
      const down = await (await fetch(`${gateway.url}/health`)).json();
      assert.equal(down.servers.everything.status, "error");
      assert.equal(down.servers.memory.status, "running", "the other server must keep serving");
      const memory = await gateway.client("memory");
      await memory.callTool({ name: "read_graph", arguments: {} });
      const again = await client.callTool({ name: "echo", arguments: { message: "back" } });
      assert.equal(text(again), "Echo: back");
      const healed = await (await fetch(`${gateway.url}/health`)).json();
      assert.equal(healed.servers.everything.status, "running");
      await Promise.all([client.close(), memory.close()]);
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a backend that fails at startup: exit 1 with an error payload naming it, nothing served",
  e2e,
  async () => {
    const failing = `[servers.broken]\ncommand = ${JSON.stringify(Deno.execPath())}\n` +
      `args = ["eval", "console.error('cannot reach the database'); Deno.exit(3)"]\n` +
      `env = { NEEDED_TOKEN = "", GIVEN = "yes" }\n`;
    const gateway = await startGateway({ toml: EVERYTHING() + failing, waitHealthy: false });
    const status = await gateway.exited;
    assert.equal(status.code, 1);
    const payload = JSON.parse(gateway.stdout);
    assert.equal(payload.error.code, "backend_start_failed");
    const [broken] = payload.error.servers;
    assert.equal(broken.server, "broken");
    assert.equal(broken.command, Deno.execPath());
    assert.match(broken.error, /exited with code 3 before answering initialize/);
    assert.deepEqual(broken.stderr, ["cannot reach the database"]);
    assert.deepEqual(broken.env, { set: ["GIVEN"], missing: ["NEEDED_TOKEN"] });
    assert.match(gateway.stderr, /backend server 'broken' failed to start/);
    const notFound = `[servers.ghost]\ncommand = "/nonexistent/mcp-server"\n`;
    const ghost = await startGateway({ toml: notFound, waitHealthy: false });
    assert.equal((await ghost.exited).code, 1);
    assert.match(
      JSON.parse(ghost.stdout).error.servers[0].error,
      /command not found: \/nonexistent\/mcp-server/,
    );
  },
);

Deno.test(
  "at most MAX_WAITING messages wait for the start at once; the rest are refused at once",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: SLOW, waitHealthy: false });
    try {
      await healthWhen(gateway, (health) => health?.body.status === "starting");
      const sent = MAX_WAITING + 40;
      const answers = await Promise.all(
        Array.from(
          { length: sent },
          (_, id) => gateway.post("/mcp/slow", { jsonrpc: "2.0", id, method: "ping" }).then((r) => r.json()),
        ),
      );
      const refused = answers.filter((a) =>
        a.error?.message === "Too many messages wait for the gateway's start"
      );
      assert.equal(refused.length, sent - MAX_WAITING);
      assert.equal(answers.filter((a) => a.result !== undefined).length, MAX_WAITING);
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test("/close while the servers start stops them and exits 0, reporting no failure", e2e, async () => {
  const gateway = await startGateway({ toml: SLOW, waitHealthy: false });
  await healthWhen(gateway, (health) => health?.body.status === "starting");
  const closed = await gateway.post("/close", {});
  assert.equal(closed.status, 200);
  assert.equal((await closed.json()).status, "closed");
  assert.equal((await gateway.exited).code, 0, gateway.stderr);
  assert.doesNotMatch(gateway.stdout, /backend_start_failed/);
});

Deno.test(
  "a request sent while the start fails is refused, not served, and the gateway exits",
  e2e,
  async () => {
    const failing = `[servers.broken]\ncommand = ${JSON.stringify(Deno.execPath())}\n` +
      `args = ["eval", "await new Promise((r) => setTimeout(r, 3000)); Deno.exit(3)"]\n`;
    const gateway = await startGateway({ toml: EVERYTHING() + failing, waitHealthy: false });
    const listening = await healthWhen(gateway, (health) => health !== undefined);
    assert.equal(listening?.body.status, "starting");
    const answer = await gateway.post("/mcp/everything", {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "early", version: "1" },
      },
    });
    const body = await answer.json();
    assert.equal(body.error?.message, "The gateway did not start", JSON.stringify(body));
    assert.equal((await gateway.exited).code, 1);
    assert.equal(JSON.parse(gateway.stdout).error.servers[0].server, "broken");
  },
);

Deno.test(
  "a backend that cannot verify a certificate as it starts is told which variables to pass through",
  e2e,
  async () => {
    // A real failure: the backend fetches from an HTTPS server whose CA it does not trust, as one behind a
    // TLS-intercepting proxy does; awmg has DENO_CERT (that CA) in its environment, but the config names it not.
    const { cert, key, caFile } = await testCertificate();
    const server = Deno.serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(cert),
        key: await Deno.readTextFile(key),
      },
      () => new Response("registry"),
    );
    try {
      const fetching = `[servers.fetcher]\ncommand = ${JSON.stringify(Deno.execPath())}\n` +
        `args = ["eval", "await fetch('https://127.0.0.1:${server.addr.port}/')"]\n`;
      const gateway = await startGateway({ toml: fetching, waitHealthy: false, env: { DENO_CERT: caFile } });
      assert.equal((await gateway.exited).code, 1);
      const [fetcher] = JSON.parse(gateway.stdout).error.servers;
      assert.match(fetcher.stderr.join("\n"), /invalid peer certificate: UnknownIssuer/);
      assert.match(fetcher.suggestion, /could not verify a TLS certificate/);
      for (
        const name of ["DENO_TLS_CA_STORE", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "HTTPS_PROXY", "NO_PROXY"]
      ) {
        assert.match(fetcher.suggestion, new RegExp(name));
      }
      assert.match(fetcher.suggestion, /env = \{ NODE_EXTRA_CA_CERTS = "" \}/);
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test("--config-stdin writes the client configuration once every backend is up", e2e, async () => {
  const config = {
    mcpServers: {},
    gateway: { port: 8000, apiKey: "stdin-key", domain: "localhost" },
  };
  const gateway = await startGateway({ json: config, auth: true });
  try {
    assert.deepEqual(JSON.parse(gateway.stdout), { mcpServers: {} });
  } finally {
    await gateway.stop();
  }
});
