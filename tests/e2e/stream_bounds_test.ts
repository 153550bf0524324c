/**
 * The streams one client may hold open, counted and capped: GET streams per 2025 session (past the cap the
 * oldest is closed, as a dropped connection not yet noticed would be) and `subscriptions/listen` streams per
 * API key (past the cap the next one is refused).
 */
import assert from "node:assert/strict";
import { HOSTILE, startGateway } from "../support/gateway.ts";
import { within } from "../support/deadline.ts";
import { answerOf, modernRequest } from "../support/modern.ts";
import { MAX_SESSION_STREAMS } from "../../src/gateway/session.ts";
import { MAX_LISTEN_STREAMS } from "../../src/gateway/handshake.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const initialize = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

Deno.test("bounds: a 2025 session holds at most 8 GET streams; the next closes the oldest", e2e, async () => {
  const gateway = await startGateway({ toml: HOSTILE() });
  const streams: Response[] = [];
  try {
    const init = await gateway.post("/mcp/hostile", initialize);
    const session = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();
    const open = () =>
      fetch(`${gateway.url}/mcp/hostile`, {
        headers: { "mcp-session-id": session, accept: "text/event-stream" },
      });
    for (let i = 0; i <= MAX_SESSION_STREAMS; i++) {
      const stream = await open();
      assert.equal(stream.status, 200);
      streams.push(stream);
    }
    const oldest = streams[0].body!.getReader();
    // The oldest stream ends: read to its end (a stream left open would time out here).
    await within(
      (async () => {
        while (!(await oldest.read()).done) { /* the replayed events, then the end */ }
      })(),
      10_000,
      "the oldest GET stream's end",
    );
    const second = streams[1].body!.getReader();
    const pending = await Promise.race([
      second.read().then(() => "read"),
      new Promise((resolve) => setTimeout(() => resolve("open"), 300)),
    ]);
    assert.equal(pending, "open", "a stream within the cap was closed");
    second.releaseLock();
  } finally {
    await Promise.all(streams.slice(1).map((stream) => stream.body?.cancel().catch(() => {})));
    await gateway.stop();
  }
});

Deno.test(
  "bounds: an API key holds at most 16 subscriptions/listen streams; the next is refused",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    const streams: Response[] = [];
    const listen = (id: number) => {
      const { body, headers } = modernRequest(id, "subscriptions/listen", {
        notifications: { toolsListChanged: true },
      });
      return gateway.post("/mcp/hostile", body, headers);
    };
    try {
      for (let i = 0; i < MAX_LISTEN_STREAMS; i++) {
        const stream = await listen(i + 1);
        assert.equal(stream.status, 200);
        assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
        streams.push(stream);
      }
      const refused = await listen(100);
      if (refused.headers.get("content-type")?.includes("text/event-stream")) {
        streams.push(refused);
        assert.fail("a listen stream past the cap was opened");
      }
      const answer = await answerOf(refused);
      assert.equal(answer.error?.code, -32007);
      assert.equal(answer.error?.message, "Too many listen streams");
      assert.match(answer.error?.data?.detail, /holds 16 open subscriptions\/listen streams/);
    } finally {
      await Promise.all(streams.map((stream) => stream.body?.cancel().catch(() => {})));
      await gateway.stop();
    }
  },
);
