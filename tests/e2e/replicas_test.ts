/**
 * awmg as replicas: three gateways sharing a real redis-server, and HAProxy in front of them with
 * examples/haproxy-replicas.cfg, all on loopback. Labels and counts hold across replicas, 2025 sessions stay
 * on their replica and fail over with a 404, 2026-07-28 retries complete on whichever replica they reach.
 * Ignored where redis-server or haproxy is missing (.ci/run installs both).
 */
import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ROOT } from "../support/awmg.ts";
import { ISSUES, type RunningGateway, text } from "../support/gateway.ts";
import { hasRedis, RunningRedis } from "../support/redis.ts";
import { allJoined, hasHaproxy, startReplica } from "../support/replicas.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const ignore = !hasRedis || !hasHaproxy;
if (ignore) console.log("replica tests ignored: redis-server or haproxy is not installed");

const GUARD = `${ROOT}tests/fixtures/test_guard/test_guard.wasm`;
const GUARDS = `[guards.test]\ntype = "wasm"\npath = ${JSON.stringify(GUARD)}\n`;
const POLICY = '{ allow-only = { repos = "public", min-integrity = "approved", tool-call-limits = { ' +
  "create_issue = 4 } } }";
const GUARDED = GUARDS + ISSUES("github", `guard = "test"\nguard_policies = ${POLICY}\n`);

type Result = { content?: unknown; isError?: boolean };

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return await client.callTool({ name, arguments: args }) as Result;
}

/** Runs `fn` with Redis and replicas r1..rN of `toml`, all stopped after. */
async function withReplicas(
  count: number,
  toml: string,
  fn: (replicas: RunningGateway[], redis: RunningRedis) => Promise<void>,
  args: string[] = [],
): Promise<void> {
  const redis = await new RunningRedis().start();
  const ids = Array.from({ length: count }, (_, i) => `r${i + 1}`);
  const replicas: RunningGateway[] = [];
  try {
    for (const id of ids) replicas.push(await startReplica(id, redis, toml, { args }));
    await allJoined(replicas, ids);
    await fn(replicas, redis);
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.stop();
  }
}

Deno.test({
  name:
    "replicas: an agent tainted through one is refused a public write through another; a limit holds across three",
  ignore,
  ...e2e,
  fn: () =>
    withReplicas(3, GUARDED, async ([r1, r2, r3]) => {
      const agent = { "x-agent-id": "shared" };
      const [a, b, c] = await Promise.all([r1, r2, r3].map((replica) => replica.client("github", agent)));
      const write = (client: Client, title: string) =>
        call(client, "create_issue", { owner: "octo", repo: "public-y", title });
      assert.equal((await write(b, "clean")).isError, undefined, "an untainted agent writes through r2");
      const listed = await call(a, "list_issues", { owner: "octo", repo: "private-x" });
      assert.equal(JSON.parse(text(listed)).items.length, 3, "propagate shows the read through r1");
      const refused = await write(b, "tainted");
      assert.equal(refused.isError, true, "r2 knows what r1 tainted");
      assert.match(text(refused), /DIFC Violation: Agent lacks required integrity/);
      const reflected = await (await fetch(`${r3.url}/reflect`)).json();
      assert.deepEqual(reflected.agents, {
        "key0/shared": { secrecy: ["private:octo/private-x"], integrity: ["unapproved"] },
      }, "r3's /reflect shows the labels r1 gave");
      const other = await Promise.all(
        [r1, r2, r3].map((replica) => replica.client("github", { "x-agent-id": "w" })),
      );
      const writes = await Promise.all(
        Array.from({ length: 9 }, (_, i) => write(other[i % 3], `limited ${i}`)),
      );
      const passed = writes.filter((result) => result.isError === undefined).length;
      assert.equal(passed, 4, "exactly the tool-call-limit of 4 passes across three replicas");
      assert.ok(
        writes.filter((result) => result.isError).every((result) =>
          /tool call limit reached/.test(text(result))
        ),
      );
      for (const client of [a, b, c, ...other]) await client.close();
    }, ["--guards-mode", "propagate"]),
});
