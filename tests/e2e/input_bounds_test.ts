/**
 * What one call may ask of its client, bounded: the questions of one `input_required` round from a 2026-07-28
 * server, the rounds of one call, and the requests a 2025 server piles onto a call held for a 2026-07-28
 * client. The hostile fixture asks more than each bound.
 */
import assert from "node:assert/strict";
import { HOSTILE, MODERN_HOSTILE, startGateway, text } from "../support/gateway.ts";
import { answerOf, modernClient, modernRequest } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "bounds: a 2026-07-28 server's questions to a 2025 client, per round and per call",
  e2e,
  async (t) => {
    const gateway = await startGateway({ toml: MODERN_HOSTILE() });
    const url = `${gateway.url}/mcp/hostile`;
    try {
      await t.step(
        "16 questions in one round are asked; 17 are refused before any reaches the client",
        async () => {
          const { client, asked } = await modernClient(url, "legacy");
          try {
            assert.equal(client.getProtocolEra(), "legacy");
            const answered = await client.callTool({ name: "ask-many", arguments: { count: 16 } });
            assert.equal(text(answered), "answered 16");
            assert.equal(asked["elicitation/create"], 16);
            await assert.rejects(
              client.callTool({ name: "ask-many", arguments: { count: 17 } }),
              /asked 17 questions in one round; awmg relays at most 16/,
            );
            assert.equal(
              asked["elicitation/create"],
              16,
              "a question of the refused round reached the client",
            );
          } finally {
            await client.close();
          }
        },
      );
      await t.step(
        "a question for a capability the 2025 client did not declare fails the call unasked",
        async () => {
          const { client, asked } = await modernClient(url, "legacy", { capabilities: {} });
          try {
            await assert.rejects(
              client.callTool({ name: "ask-many", arguments: { count: 1 } }),
              /needs the client's elicitation capability, which this client did not declare/,
            );
            assert.deepEqual(asked, {});
          } finally {
            await client.close();
          }
        },
      );
      await t.step("a server that asks round after round is stopped after the eighth", async () => {
        const { client, asked } = await modernClient(url, "legacy");
        try {
          await assert.rejects(
            client.callTool({ name: "ask-forever", arguments: {} }),
            /asked for input more than 8 times for one call/,
          );
          assert.equal(asked["elicitation/create"], 8);
        } finally {
          await client.close();
        }
      });
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "bounds: a 2025 server that piles 17 questions onto a call held for a 2026-07-28 client ends it",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    try {
      const { client, asked } = await modernClient(`${gateway.url}/mcp/hostile`, "pinned");
      try {
        await assert.rejects(
          client.callTool({ name: "pile", arguments: { count: 17 } }),
          /Too many questions for one call/,
        );
        assert.equal(asked["elicitation/create"] ?? 0, 0, "the client was asked the piled questions");
      } finally {
        await client.close();
      }
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a 2025 server's question to a 2025 session that declared no elicitation is refused, not sent",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    try {
      const { client, asked } = await modernClient(`${gateway.url}/mcp/hostile`, "legacy", {
        capabilities: {},
      });
      try {
        const result = await client.callTool({ name: "pile", arguments: { count: 1 } });
        assert.match(
          text(result),
          /^answered 0, refused 1: .*the client did not declare the elicitation capability/,
        );
        assert.deepEqual(asked, {});
      } finally {
        await client.close();
      }
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a 2025 server's request while two 2026-07-28 clients have calls in flight is refused, not guessed",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: HOSTILE() });
    const url = `${gateway.url}/mcp/hostile`;
    try {
      const [first, second] = await Promise.all([modernClient(url, "pinned"), modernClient(url, "pinned")]);
      try {
        const slow = first.client.callTool({ name: "slow-echo", arguments: { message: "busy", ms: 1500 } });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const piled = await second.client.callTool({ name: "pile", arguments: { count: 1 } });
        assert.match(text(piled), /^answered 0, refused 1: 2 clients have requests in flight on hostile/);
        assert.equal(text(await slow), "busy");
        assert.deepEqual(
          [first.asked, second.asked],
          [{}, {}],
          "a client was asked what another's call caused",
        );
      } finally {
        await Promise.all([first.client.close(), second.client.close()]);
      }
    } finally {
      await gateway.stop();
    }
  },
);

/** A 2026-07-28 tools/call to the hostile server, from a client of its own; resolves with its answer. */
type ModernCall = (id: number, name: string, args: Record<string, unknown>) => ReturnType<typeof answerOf>;

/** Starts a gateway before the hostile server, has a 2026-07-28 call of `tool` held, then runs `then`. */
async function besideHeldCall(
  tool: string,
  args: Record<string, unknown>,
  then: (call: ModernCall) => Promise<void>,
) {
  const gateway = await startGateway({ toml: HOSTILE() });
  const call: ModernCall = (id, name, args) => {
    const { body, headers } = modernRequest(id, "tools/call", { name, arguments: args });
    return gateway.post("/mcp/hostile", body, headers).then(answerOf);
  };
  try {
    const held = await call(1, tool, args);
    assert.equal(held.result?.resultType, "input_required", JSON.stringify(held));
    await then(call);
  } finally {
    await gateway.stop();
  }
}

Deno.test(
  "a held call's follow-up question while another client's call is in flight is refused, not given to it",
  e2e,
  () =>
    besideHeldCall("follow", {}, async (call) => {
      // The follow-up comes as another client's call arrives.
      const other = await call(2, "slow-echo", { message: "mine", ms: 400 });
      assert.equal(other.result?.resultType, "complete", "another client got the held call's question");
      assert.equal(other.result.content[0].text, "mine");
    }),
);

Deno.test(
  "a question while another client's call is held is refused, however long that call has waited",
  e2e,
  () =>
    besideHeldCall("pile", { count: 1 }, async (call) => {
      // The held call's handler waits for its answer; whether it will ask again cannot be seen from outside.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const other = await call(2, "pile", { count: 1 });
      assert.equal(other.result?.resultType, "complete", JSON.stringify(other));
      assert.match(other.result.content[0].text, /^answered 0, refused 1: 2 clients have requests in flight/);
    }),
);
