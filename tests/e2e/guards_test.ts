/**
 * Guard policies end to end: the gateway process, the test guard (tests/fixtures/test_guard, built by
 * `deno task build:guard`) and the issues fixture behind it, driven by the SDK client.
 *
 * The test guard's rules: an agent's integrity is every level up to its min-integrity; issues by OWNER,
 * MEMBER or COLLABORATOR are approved, others unapproved; a repository named private-* is private (the
 * guard asks the server, through call_backend); create_* tools are writes that need approved integrity.
 */
import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ROOT } from "../support/awmg.ts";
import { ISSUES, type RunningGateway, startGateway, text } from "../support/gateway.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const GUARD = `${ROOT}tests/fixtures/test_guard/test_guard.wasm`;

/** TOML for a guarded issues server; `policy` is an inline TOML table. */
function guarded(id: string, policy: string, extra = ""): string {
  return ISSUES(id, `guard = "test"\nguard_policies = ${policy}\n${extra}`);
}
const GUARDS = `[guards.test]\ntype = "wasm"\npath = ${JSON.stringify(GUARD)}\n`;
const APPROVED = '{ allow-only = { repos = "public", min-integrity = "approved" } }';

type Result = { content?: unknown; isError?: boolean };

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Result> {
  return await client.callTool({ name, arguments: args }) as Result;
}

/** The tool calls the fixture server has received. */
async function seen(client: Client, tool = "calls_seen"): Promise<string[]> {
  return JSON.parse(text(await call(client, tool)));
}

async function logFile(gateway: RunningGateway, dir: string, name: string): Promise<string> {
  await gateway.stop();
  return await Deno.readTextFile(`${dir}/${name}`);
}

Deno.test(
  "strict refuses a result with an item the agent may not see; unguarded servers are untouched",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", APPROVED) + ISSUES("plain"),
      args: ["--log-dir", logDir],
    });
    try {
      const client = await gateway.client("github");
      const listed = await call(client, "list_issues", { owner: "octo", repo: "public-y" });
      assert.equal(listed.isError, true);
      assert.match(text(listed), /DIFC policy violation: 1 of 3 items in response are not accessible/);
      const repo = await call(client, "get_repository", { owner: "octo", repo: "public-y" });
      assert.equal(repo.isError, undefined, text(repo));
      const plain = await gateway.client("plain");
      const all = JSON.parse(text(await call(plain, "list_issues", { owner: "octo", repo: "public-y" })));
      assert.equal(all.items.length, 3, "the unguarded server answers as it is");
      await client.close();
      await plain.close();
    } finally {
      const serverLog = await logFile(gateway, logDir, "github.log");
      assert.match(serverLog, /DIFC refused read list_issues on github/);
      assert.match(
        serverLog,
        /\[guard:test\] label_resource list_issues/,
        "host_log reaches the server's log",
      );
      const jsonl = await Deno.readTextFile(`${logDir}/rpc-messages.jsonl`);
      const events = jsonl.trim().split("\n").map((line) => JSON.parse(line));
      const filtered = events.find((e) => e.event === "difc_filtered");
      assert.equal(filtered.author_login, "stranger");
      assert.deepEqual(filtered.integrity_tags, ["unapproved"]);
      assert.ok(events.some((e) => e.event === "difc_decision" && e.decision === "refused"));
      assert.match(await Deno.readTextFile(`${logDir}/gateway.md`), /DIFC refused read list_issues/);
    }
  },
);

Deno.test("filter mode removes what the agent may not see and says how many", e2e, async () => {
  const gateway = await startGateway({
    toml: GUARDS + guarded("github", APPROVED),
    args: ["--guards-mode", "filter"],
  });
  try {
    const client = await gateway.client("github");
    const listed = await call(client, "list_issues", { owner: "octo", repo: "public-y" });
    const [data, notice] = (listed.content as { text: string }[]).map((c) => c.text);
    assert.deepEqual(JSON.parse(data).items.map((i: { number: number }) => i.number), [1, 3]);
    assert.equal(JSON.parse(data).total_count, 3, "the rest of the answer is kept");
    assert.match(notice, /^\[Filtered\] 1 item\(s\) in this response were removed by integrity policy/);
    const single = await call(client, "get_issue", { owner: "octo", repo: "public-y", number: 2 });
    assert.equal(single.isError, true);
    assert.match(text(single), /\[Filtered\] issue octo\/public-y#2 exists but is not accessible/);
    const approved = await call(client, "get_issue", { owner: "octo", repo: "public-y", number: 1 });
    assert.equal(JSON.parse(text(approved)).number, 1);
    await client.close();
  } finally {
    await gateway.stop();
  }
});
