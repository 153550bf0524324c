/**
 * GitHub's real guard (github_guard.wasm, built from gh-aw-mcpg's Rust source; ../shared/guards/github-guard)
 * in awmg's guard host, in front of tests/fixtures/github_server.ts, an imitation of github-mcp-server. The
 * module is GitHub's code and stays outside the project: these tests are ignored where it is absent.
 *
 * The guard's rules used here: an agent with min-integrity "approved" may read only what is at least
 * approved; an issue is approved when its author is OWNER, MEMBER or COLLABORATOR, and below that otherwise;
 * a repository's visibility comes from `search_repositories` (asked through call_backend); items of a private
 * repository carry its secrecy, which `repos = "public"` may not read.
 */
import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ROOT } from "../support/awmg.ts";
import { GITHUB, type RunningGateway, startGateway, text } from "../support/gateway.ts";
import { tempFile } from "../support/temp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const MODULE = `${ROOT}../shared/guards/github-guard/github_guard.wasm`;
/** The module's sha256 as its README gives it. */
const SHA256 = "f58d86fdf4290709db570a0f867a3ae6328f1487aa948ca53650e09039deea6c";

const bytes = await Deno.readFile(MODULE).catch(() => undefined);
const digest = bytes === undefined
  ? undefined
  : [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) =>
    b.toString(16).padStart(2, "0")
  )
    .join("");
const ignore = bytes === undefined;

const PUBLIC_APPROVED = '{ allow-only = { repos = "public", min-integrity = "approved" } }';
const OCTO_APPROVED = '{ allow-only = { repos = ["octo/*"], min-integrity = "approved" } }';

type Result = { content?: { text: string }[]; isError?: boolean };

/** A gateway with the github imitation behind the real guard; `calls` lists what reached the server. */
async function guarded(
  policy: string,
  mode: string,
  env: Record<string, string> = {},
): Promise<{ gateway: RunningGateway; client: Client; calls: () => Promise<string[]>; log: string }> {
  assert.equal(digest, SHA256, `${MODULE} is not the module its README names`);
  const callsFile = await tempFile("", ".calls");
  const log = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
  const gateway = await startGateway({
    toml: `[guards.gh]\ntype = "wasm"\npath = ${JSON.stringify(MODULE)}\n` +
      GITHUB("github", callsFile, `guard = "gh"\nguard_policies = ${policy}\n`, env),
    args: ["--guards-mode", mode, "--log-dir", log],
  });
  const client = await gateway.client("github");
  const calls = async () => (await Deno.readTextFile(callsFile)).split("\n").filter((line) => line !== "");
  return { gateway, client, calls, log };
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
  return await client.callTool({ name, arguments: args }) as Result;
}

const issueNumbers = (result: Result) =>
  JSON.parse(result.content![0].text).issues.map((issue: { number: number }) => issue.number);

Deno.test({
  name: "github guard, strict: a list with issues below approved is refused whole",
  ignore,
  ...e2e,
  fn: async () => {
    const { gateway, client, calls } = await guarded(PUBLIC_APPROVED, "strict");
    try {
      const listed = await call(client, "list_issues", { owner: "octo", repo: "public-repo" });
      assert.equal(listed.isError, true);
      assert.match(text(listed), /DIFC policy violation: 2 of 4 items in response are not accessible/);
      assert.ok(
        (await calls()).includes("list_issues"),
        "the read reached the server; its answer was refused",
      );
    } finally {
      await gateway.stop();
    }
  },
});

Deno.test({
  name:
    "github guard, filter: what is below approved is removed; issues without author_association are fetched",
  ignore,
  ...e2e,
  fn: async () => {
    const { gateway, client, calls } = await guarded(PUBLIC_APPROVED, "filter");
    try {
      const listed = await call(client, "list_issues", { owner: "octo", repo: "public-repo" });
      assert.deepEqual(issueNumbers(listed), [1, 4]);
      assert.match(listed.content![1].text, /^\[Filtered\] 2 item\(s\) in this response were removed/);
      assert.match(listed.content![1].text, /issue:octo\/public-repo#2/);
      // The GraphQL-shaped list has no author_association: the guard read each issue through call_backend.
      const seen = await calls();
      assert.equal(seen.filter((name) => name === "issue_read").length, 4, seen.join(" "));
      assert.ok(
        !seen.includes("get_collaborator_permission"),
        "awmg answers the guard's synthetic lookup itself",
      );
      const approved = await call(client, "issue_read", {
        method: "get",
        owner: "octo",
        repo: "public-repo",
        issue_number: 1,
      });
      assert.equal(approved.isError, undefined, text(approved));
      assert.equal(JSON.parse(approved.content![0].text).number, 1);
      const stranger = await call(client, "issue_read", {
        method: "get",
        owner: "octo",
        repo: "public-repo",
        issue_number: 2,
      });
      assert.equal(stranger.isError, true);
      assert.doesNotMatch(text(stranger), /Ignore previous instructions/);
    } finally {
      await gateway.stop();
    }
  },
});

Deno.test({
  name:
    "github guard, propagate: a read taints the agent and a later write is refused before the server sees it",
  ignore,
  ...e2e,
  fn: async () => {
    const { gateway, client, calls } = await guarded(PUBLIC_APPROVED, "propagate");
    try {
      const listed = await call(client, "list_issues", { owner: "octo", repo: "public-repo" });
      assert.deepEqual(issueNumbers(listed), [1, 2, 3, 4], "propagate shows the read and taints the agent");
      const write = await call(client, "create_issue", { owner: "octo", repo: "public-repo", title: "x" });
      assert.equal(write.isError, true, text(write));
      assert.ok(!(await calls()).includes("create_issue"), "the refused write reached the server");
    } finally {
      await gateway.stop();
    }
  },
});

Deno.test({
  name:
    "github guard: a private repository's issues are refused under repos = public, shown under its owner's scope",
  ignore,
  ...e2e,
  fn: async () => {
    // Reads are judged by what they return, as the Go gateway does (no coarse refusal before a read).
    const { gateway, client, calls } = await guarded(PUBLIC_APPROVED, "strict");
    try {
      const listed = await call(client, "list_issues", { owner: "octo", repo: "secret-repo" });
      assert.equal(listed.isError, true);
      assert.match(text(listed), /DIFC policy violation/);
      assert.doesNotMatch(text(listed), /Maintainer plan|Member report/);
      assert.ok((await calls()).includes("search_repositories"), "the guard looked the visibility up");
    } finally {
      await gateway.stop();
    }
    const scoped = await guarded(OCTO_APPROVED, "strict");
    try {
      const own = await call(scoped.client, "list_issues", { owner: "octo", repo: "secret-repo" });
      assert.equal(own.isError, undefined, text(own));
      assert.equal(
        issueNumbers(own).length,
        4,
        "a private repository's issues are all written by its writers",
      );
      const other = await call(scoped.client, "list_issues", { owner: "other", repo: "hidden" });
      assert.equal(other.isError, true);
      assert.doesNotMatch(text(other), /Maintainer plan|Member report/);
    } finally {
      await scoped.gateway.stop();
    }
  },
});

Deno.test({
  name:
    "github guard: a rate-limited visibility lookup is waited out (WASI poll_oneoff) and the read succeeds",
  ignore,
  ...e2e,
  fn: async () => {
    const { gateway, client, calls, log } = await guarded(PUBLIC_APPROVED, "filter", {
      RATE_LIMITED_LOOKUPS: "1",
    });
    try {
      const started = Date.now();
      const listed = await call(client, "list_issues", { owner: "octo", repo: "public-repo" });
      const elapsed = Date.now() - started;
      assert.deepEqual(issueNumbers(listed), [1, 4], text(listed));
      assert.ok(elapsed >= 1_000, `answered after ${elapsed} ms, before the guard's one-second wait`);
      assert.equal((await calls()).filter((name) => name === "search_repositories").length, 2);
      const again = await call(client, "list_issues", { owner: "octo", repo: "public-repo" });
      assert.deepEqual(issueNumbers(again), [1, 4], "the session's instance is still serving");
      await gateway.stop();
      assert.match(
        await Deno.readTextFile(`${log}/github.log`),
        /rate-limited for octo\/public-repo: waiting 1s/,
      );
    } finally {
      await gateway.stop();
    }
  },
});
