/**
 * awmg behind HAProxy with examples/haproxy.cfg: MCP works through it, and the connections Deno's server would
 * hold forever (headers or a body that never finish) are closed with 408 within the request timeout. Ignored
 * where haproxy is not installed (.ci/run installs Debian's package).
 */
import assert from "node:assert/strict";
import { ROOT } from "../support/awmg.ts";
import { freePort, HOSTILE, initialize, startGateway } from "../support/gateway.ts";
import { within } from "../support/deadline.ts";
import { tempFile } from "../support/temp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const haproxy = await new Deno.Command("haproxy", { args: ["-v"], stdout: "null", stderr: "null" }).output()
  .then((r) => r.success, () => false);
if (!haproxy) console.log("front-end tests ignored: haproxy is not installed");

/** The example config with its ports and request timeout replaced, each replacement checked. */
async function exampleConfig(front: number, gateway: number): Promise<string> {
  let text = await Deno.readTextFile(`${ROOT}examples/haproxy.cfg`);
  for (
    const [from, to] of [
      ["bind :8080", `bind 127.0.0.1:${front}`],
      ["server awmg 127.0.0.1:8000", `server awmg 127.0.0.1:${gateway}`],
      ["timeout http-request 10s", "timeout http-request 1s"],
    ]
  ) {
    assert.ok(text.includes(from), `examples/haproxy.cfg no longer has "${from}"`);
    text = text.replace(from, to);
  }
  return text;
}

/** Sends `bytes` on a fresh connection and reads until the server closes it; the first line it answered. */
async function stall(port: number, bytes: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(bytes));
  let answer = "";
  const buffer = new Uint8Array(4096);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    answer += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  return answer.split("\r\n")[0];
}

Deno.test({
  name: "behind examples/haproxy.cfg: calls pass, stalled headers and bodies are closed with 408",
  ignore: !haproxy,
  ...e2e,
  fn: async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    const front = freePort();
    const config = await tempFile(await exampleConfig(front, gateway.port), ".cfg");
    const proxy = new Deno.Command("haproxy", {
      args: ["-db", "-f", config],
      stdout: "null",
      stderr: "piped",
    })
      .spawn();
    try {
      const url = `http://127.0.0.1:${front}/mcp/hostile`;
      let initialized: Response | undefined;
      for (let i = 0; i < 50 && initialized?.status !== 200; i++) {
        await initialized?.body?.cancel();
        initialized = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify(initialize(1)),
        }).catch(() => undefined);
        if (initialized?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(initialized?.status, 200, "initialize through HAProxy");
      await initialized!.body?.cancel();
      const session = initialized!.headers.get("mcp-session-id")!;
      const call = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "mcp-session-id": session },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "slow-echo", arguments: { message: "through the front", ms: 1500 } },
        }),
      });
      assert.match(
        await call.text(),
        /through the front/,
        "a call slower than the request timeout is answered",
      );

      const started = performance.now();
      const headers = await within(
        stall(front, "POST /mcp/hostile HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        5_000,
        "the stalled headers' close",
      );
      assert.match(headers, /^HTTP\/1\.1 408/);
      const body = await within(
        stall(
          front,
          "POST /mcp/hostile HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
            'Content-Length: 100\r\n\r\n{"jsonrpc":',
        ),
        5_000,
        "the stalled body's close",
      );
      assert.match(body, /^HTTP\/1\.1 408/);
      assert.ok(performance.now() - started < 4_000, "closed within the request timeout");
    } finally {
      proxy.kill("SIGTERM");
      await proxy.output().catch(() => {});
      await gateway.stop();
    }
  },
});
