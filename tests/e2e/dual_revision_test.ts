/**
 * A backend that speaks both revisions, through awmg as directly: each client gets it in the client's own
 * revision (a 2025 client asked through its session, a 2026-07-28 client with `input_required`), unless
 * the server's `protocol_version` pins one; /health and the startup line say "both".
 */
import assert from "node:assert/strict";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { ROOT } from "../support/awmg.ts";
import { DUAL, startGateway, text } from "../support/gateway.ts";
import { modernClient, modernClientOver, type Negotiation } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const NEGOTIATIONS: readonly Negotiation[] = ["legacy", "auto", "pinned"];

/** What a client sees of the dual fixture: how `greet` asked it, the revision a call arrived in, the questions. */
async function greeting(connect: Promise<Awaited<ReturnType<typeof modernClient>>>) {
  const { client, asked } = await connect;
  try {
    const greet = text(await client.callTool({ name: "greet", arguments: {} }));
    const revision = text(await client.callTool({ name: "revision", arguments: {} }));
    return { greet, revision, asked: asked["elicitation/create"] ?? 0 };
  } finally {
    await client.close();
  }
}

/** The fixture run directly over stdio, as a client without a gateway would run it. */
const direct = (negotiation: Negotiation) =>
  modernClientOver(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "--quiet", "--no-prompt", `${ROOT}tests/fixtures/dual_server.ts`],
    }),
    negotiation,
  );

Deno.test(
  "a server that speaks both revisions is spoken to in each client's, as directly",
  e2e,
  async (t) => {
    const gateway = await startGateway({
      toml: DUAL() + DUAL("pinned", 'protocol_version = "2026-07-28"\n'),
    });
    const url = (server: string) => `${gateway.url}/mcp/${server}`;
    try {
      await t.step("/health and the startup line say both; a pinned server says its revision", async () => {
        const health = await (await fetch(`${gateway.url}/health`)).json();
        assert.equal(health.servers.dual.protocolVersion, "both");
        assert.equal(health.servers.pinned.protocolVersion, "2026-07-28");
        assert.match(gateway.stderr + gateway.stdout, /Server dual: \S+ \(2 tools, MCP both\)/);
      });

      for (const negotiation of NEGOTIATIONS) {
        await t.step(`a ${negotiation} client gets what it gets directly`, async () => {
          const [mine, through] = await Promise.all([
            greeting(direct(negotiation)),
            greeting(modernClient(url("dual"), negotiation)),
          ]);
          assert.deepEqual(through, mine);
          const era = negotiation === "legacy" ? "2025-11-25" : "2026-07-28";
          assert.equal(through.revision, era);
          assert.equal(
            through.greet,
            `hello Ada, ${
              era === "2025-11-25" ? "asked through the 2025 session" : "asked with input_required"
            }`,
          );
          assert.equal(through.asked, 1);
        });
      }

      await t.step(
        "protocol_version pins one: a 2025 client is asked for the 2026-07-28 server",
        async () => {
          const pinned = await greeting(modernClient(url("pinned"), "legacy"));
          assert.deepEqual(pinned, {
            greet: "hello Ada, asked with input_required",
            revision: "2026-07-28",
            asked: 1,
          });
        },
      );
    } finally {
      await gateway.stop();
    }
  },
);
