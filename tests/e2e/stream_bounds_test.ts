/**
 * The streams one client may hold open, counted and capped: GET streams per 2025 session (past the cap the
 * oldest is closed, as a dropped connection not yet noticed would be) and `subscriptions/listen` streams per
 * API key (past the cap the next one is refused).
 */
import assert from "node:assert/strict";
import { HOSTILE, initialize, startGateway } from "../support/gateway.ts";
import { within } from "../support/deadline.ts";
import { answerOf, modernRequest } from "../support/modern.ts";
import { MAX_SESSION_STREAMS } from "../../src/gateway/session.ts";
import { MAX_LISTEN_STREAMS } from "../../src/gateway/handshake.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test("bounds: a 2025 session holds at most 8 GET streams; the next closes the oldest", e2e, async () => {
  const gateway = await startGateway({ toml: HOSTILE() });
  const streams: Response[] = [];
  try {
    const init = await gateway.post("/mcp/hostile", initialize());
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

Deno.test(
  "a subscriptions/listen stream that is not read is disconnected at maxUnsentBytes",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() + "[gateway]\nmax_unsent_bytes = 65536\n" });
    try {
      const { body, headers } = modernRequest(1, "subscriptions/listen", {
        notifications: { toolsListChanged: true },
      });
      const stream = await gateway.post("/mcp/hostile", body, headers);
      assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
      // Another client's call makes the server announce 5,000 tool list changes; this stream is not read.
      const churn = modernRequest(2, "tools/call", { name: "churn", arguments: { count: 5000 } });
      const answer = await answerOf(await gateway.post("/mcp/hostile", churn.body, churn.headers));
      assert.match(JSON.stringify(answer.result), /announced 5000/);
      const reader = stream.body!.getReader();
      let bytes = 0;
      // Its end, or the connection cut under it: either way the gateway let the stream go.
      await within(
        (async () => {
          try {
            for (let read = await reader.read(); !read.done; read = await reader.read()) {
              bytes += read.value.length;
            }
          } catch (error) {
            assert.match((error as Error).message, /error reading a body/);
          }
        })(),
        10_000,
        "the unread listen stream's end",
      );
      assert.ok(bytes < 5000 * 60, `the stream held ${bytes} bytes: it was not cut at the limit`);
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a backend's list changes reach the listen streams of its own API key, not another key's",
  e2e,
  async () => {
    const keys = ["first-key-of-two-0001", "second-key-of-two-0002"];
    const gateway = await startGateway({
      toml: HOSTILE() + `[gateway]\nagent_ids = ${JSON.stringify(keys)}\n`,
      auth: true,
    });
    const post = (key: string, id: number, method: string, params: Record<string, unknown>) => {
      const { body, headers } = modernRequest(id, method, params);
      return gateway.post("/mcp/hostile", body, { ...headers, authorization: key });
    };
    const churn = async (key: string, id: number) => {
      const answer = await answerOf(
        await post(key, id, "tools/call", { name: "churn", arguments: { count: 1 } }),
      );
      assert.match(JSON.stringify(answer.result), /announced 1/);
    };
    try {
      const stream = await post(keys[0], 1, "subscriptions/listen", {
        notifications: { toolsListChanged: true },
      });
      const reader = stream.body!.getReader();
      const decoder = new TextDecoder();
      let seen = "";
      const changes = () => seen.split("notifications/tools/list_changed").length - 1;
      const reading = (async () => {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          seen += decoder.decode(read.value, { stream: true });
        }
      })().catch(() => {});
      await churn(keys[1], 2);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(changes(), 0, "the other key's backend's change reached this key's stream");
      await churn(keys[0], 3);
      await within(
        (async () => {
          while (changes() === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        })(),
        5_000,
        "this key's own list change",
      );
      await reader.cancel();
      await reading;
    } finally {
      await gateway.stop();
    }
  },
);
