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
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { githubApi } from "../support/github_api.ts";
import { answerOf, modernClient, modernRequest } from "../support/modern.ts";
import { ROOT, runAwmg } from "../support/awmg.ts";
import { tempDir, tempFile } from "../support/temp.ts";
import {
  EVERYTHING,
  HOSTILE,
  ISSUES,
  MODERN_HOSTILE,
  remoteIssues,
  startGateway,
  TASKS,
  text,
} from "../support/gateway.ts";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";

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
      await gateway.stop();
    }
    const serverLog = await Deno.readTextFile(`${logDir}/github.log`);
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
  },
);

Deno.test(
  "a secret in a guarded call's arguments stays out of the decision records and every log",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const key = "api-key-in-a-repository-name-31";
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", APPROVED),
      args: ["--log-dir", logDir],
      env: { MCP_GATEWAY_API_KEY: key },
      auth: true,
    });
    try {
      const client = await gateway.client("github", { authorization: key });
      // The repository name carries the key into the guard's descriptions and reasons.
      const write = await call(client, "create_issue", { owner: "octo", repo: key, title: "x" });
      assert.equal(write.isError, undefined, text(write));
      const listed = await call(client, "list_issues", { owner: "octo", repo: key });
      assert.equal(listed.isError, true);
      await client.close();
    } finally {
      await gateway.stop();
    }
    const records = (await Deno.readTextFile(`${logDir}/rpc-messages.jsonl`)).split("\n");
    assert.ok(
      records.some((line) => line.includes('"event":"difc_decision"') && line.includes("[REDACTED]")),
    );
    assert.ok(records.some((line) => line.includes('"event":"difc_filtered"')));
    for await (const entry of Deno.readDir(logDir)) {
      const content = await Deno.readTextFile(`${logDir}/${entry.name}`);
      assert.ok(!content.includes(key), `the key is in ${entry.name}`);
    }
    assert.ok(!gateway.stderr.includes(key), "the key is on stderr");
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

Deno.test(
  "propagate taints the session; a later write is refused before it reaches the server",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", APPROVED),
      args: ["--guards-mode", "propagate"],
    });
    try {
      const client = await gateway.client("github");
      const allowed = await call(client, "create_issue", {
        owner: "octo",
        repo: "public-y",
        title: "before",
      });
      assert.equal(allowed.isError, undefined, "an untainted approved agent may write");
      const listed = await call(client, "list_issues", { owner: "octo", repo: "private-x" });
      assert.equal(JSON.parse(text(listed)).items.length, 3, "propagate shows everything");
      const reflected = await (await fetch(`${gateway.url}/reflect`)).json();
      const [labels] = Object.values(reflected.agents) as { secrecy: string[]; integrity: string[] }[];
      assert.deepEqual(labels, { secrecy: ["private:octo/private-x"], integrity: ["unapproved"] });
      assert.equal(reflected.mode, "propagate");
      const refused = await call(client, "create_issue", { owner: "octo", repo: "public-y", title: "after" });
      assert.equal(refused.isError, true);
      assert.match(
        text(refused),
        /DIFC Violation: Agent lacks required integrity to write to 'repo octo\/public-y'/,
      );
      assert.deepEqual(
        (await seen(client)).filter((name) => name === "create_issue"),
        ["create_issue"],
        "only the first write reached the server",
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a write the flow rules forbid never reaches the server; call_backend answers the guard",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", '{ allow-only = { repos = "public", min-integrity = "none" } }'),
    });
    try {
      const client = await gateway.client("github");
      const write = await call(client, "create_issue", { owner: "octo", repo: "public-y", title: "x" });
      assert.equal(write.isError, true);
      assert.match(text(write), /it needs "approved" integrity/);
      const secret = await call(client, "get_repository", { owner: "octo", repo: "private-x" });
      assert.equal(secret.isError, true, "a private repository is refused to a public-only agent");
      assert.match(text(secret), /not authorized to access private \(octo\/private-x\)-scoped data/);
      const calls = await seen(client);
      assert.ok(!calls.includes("create_issue"), "the refused write was never forwarded");
      assert.equal(
        calls.filter((name) => name === "get_repository").length,
        1,
        "a read is forwarded and judged on its answer, which the agent did not see",
      );
      assert.deepEqual(
        calls.filter((name) => name === "get_repository_visibility").length,
        2,
        "the guard asked the server about each repository it labelled (call_backend)",
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a guard that traps, hangs or answers nonsense fails closed; the gateway keeps serving",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", APPROVED, "tool_timeout = 10\n"),
      args: ["--log-dir", logDir],
    });
    try {
      const refusal = async (client: Client, tool: string) => {
        const error = await call(client, tool).then(
          () => undefined,
          (e: { code: number; message: string }) => e,
        );
        assert.ok(error !== undefined, `${tool} was refused`);
        assert.equal(error.code, -32008);
        return error.message;
      };
      const first = await gateway.client("github");
      assert.match(
        await refusal(first, "trap_tool"),
        /Guard 'test' failed, so the call was refused: label_resource: trap: unreachable/,
      );
      assert.match(
        await refusal(first, "get_repository"),
        /trapped earlier/,
        "a trapped instance is not used again",
      );

      const second = await gateway.client("github", { "x-agent-id": "second" });
      assert.match(await refusal(second, "garbled_tool"), /answered something that is not JSON/);
      assert.match(await refusal(second, "failing_tool"), /error code -1/);
      assert.match(
        await refusal(second, "misshapen_tool"),
        /malformed label_resource result \(at resource\.secrecy: /,
      );
      assert.match(
        await refusal(second, "boundless_tool"),
        /needs an output buffer of 33554432 bytes \(most is 16777216\)/,
      );
      assert.match(await refusal(second, "hang_tool"), /did not answer within 10s; the guard was restarted/);
      const roomy = await call(second, "roomy_tool");
      assert.equal(
        text(roomy),
        "roomy_tool ran",
        "a guard that asks for a larger buffer gets it (-2, then 5 MiB)",
      );
      const after = await call(second, "get_repository", { owner: "octo", repo: "public-y" });
      assert.equal(after.isError, undefined, "after the restart the guard serves again");

      const sleeper = await gateway.client("github", { "x-agent-id": "sleeper" });
      const started = Date.now();
      assert.match(
        await refusal(sleeper, "sleepy_tool"),
        /trap: WASI poll_oneoff asked to sleep 3600\.0s, past the \d+\.\ds left of the guard call's time bound/,
      );
      assert.ok(Date.now() - started < 5_000, "a sleep past the bound is refused at once, not waited out");
      const napper = await gateway.client("github", { "x-agent-id": "napper" });
      const napStart = Date.now();
      assert.equal(text(await call(napper, "napping_tool")), "napping_tool ran");
      assert.ok(Date.now() - napStart >= 300, "the guest slept for real");
      assert.match(
        await refusal(napper, "nosys_tool"),
        /trap: unreachable \(after WASI fd_read answered ENOSYS\)/,
      );
      assert.match(await refusal(napper, "get_repository"), /trapped earlier/);

      const third = await gateway.client("github", { "x-agent-id": "third" });
      assert.match(await refusal(third, "greedy_tool"), /trap: its memory grew past 67108864 bytes/);
      const fourth = await gateway.client("github", { "x-agent-id": "fourth" });
      assert.match(
        await refusal(fourth, "waiting_tool"),
        /did not answer within 10s \(waiting on call_backend\)/,
      );
      const still = await call(second, "get_repository", { owner: "octo", repo: "public-y" });
      assert.equal(still.isError, undefined, "a guard waiting on its server is not restarted");
      const refused = [
        "trap_tool",
        "garbled_tool",
        "failing_tool",
        "misshapen_tool",
        "boundless_tool",
        "hang_tool",
      ];
      assert.deepEqual(
        (await seen(second)).filter((name) => [...refused, "greedy_tool", "waiting_tool"].includes(name)),
        [],
        "no refused call was forwarded",
      );
      for (const client of [first, second, third, fourth, sleeper, napper]) await client.close();
    } finally {
      await gateway.stop();
    }
    const log = await Deno.readTextFile(`${logDir}/github.log`);
    assert.equal(
      log.match(/Guard test labelled agent/g)?.length,
      7,
      "label_agent ran once per agent, and again in the instance the hang restart replaced",
    );
  },
);

/** TOML for a write-sink server (the issues fixture); `sink` is the inline write-sink table. */
const sink = (id: string, table: string) => ISSUES(id, `guard_policies = { write-sink = ${table} }\n`);

Deno.test(
  "a guard whose label_response traps, answers garbage or hangs fails closed: the result is never shown",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: GUARDS + guarded("github", APPROVED, "tool_timeout = 10\n") });
    try {
      for (
        const [tool, why] of [
          ["response_trap_tool", /label_response: trap: unreachable/],
          ["response_garbled_tool", /label_response.*not JSON/],
          ["response_hang_tool", /label_response did not answer within 10s; the guard was restarted/],
        ] as const
      ) {
        // Each its own agent: an instance that trapped is not used again for the agent it served.
        const client = await gateway.client("github", { "x-agent-id": tool });
        const outcome = await call(client, tool).then(
          (result) => ({ shown: JSON.stringify(result) }),
          (error: { code: number; message: string }) => error,
        );
        assert.ok(
          "code" in outcome,
          `${tool}: the result was shown: ${"shown" in outcome ? outcome.shown : ""}`,
        );
        assert.equal(outcome.code, -32008);
        assert.match(outcome.message, why);
        assert.doesNotMatch(outcome.message, /ran/, "the server's answer is not in the error");
        await client.close();
      }
      const client = await gateway.client("github", { "x-agent-id": "auditor" });
      assert.deepEqual(
        (await seen(client)).filter((name) => name.startsWith("response_")),
        ["response_trap_tool", "response_garbled_tool", "response_hang_tool"],
        "each call reached the server: what failed was the judgement of its answer",
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "write-sink: a tainted agent may write to sinks that accept its secrecy, never to a public one",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", '{ allow-only = { repos = "public", min-integrity = "none" } }') +
        sink("safeoutputs", '{ accept = ["*"] }') +
        sink("publicsink", '{ accept = ["*"], sink-visibility = "public" }') +
        sink("privatesink", '{ accept = ["private:octo/private-x"] }') +
        sink("defaultsink", '{ accept = ["private:octo/private-x"] }') +
        '[gateway]\nsink_visibility_exempt_servers = ["privatesink"]\n',
      args: ["--unified", "--guards-mode", "propagate"],
    });
    try {
      const client = await gateway.client("");
      const write = (server: string) => call(client, `${server}___create_issue`, { title: "report" });
      assert.equal((await write("publicsink")).isError, undefined, "an untainted agent may publish");
      await call(client, "github___list_issues", { owner: "octo", repo: "private-x" });
      const published = await write("publicsink");
      assert.equal(published.isError, true);
      assert.match(
        text(published),
        /private \(octo\/private-x\)-scoped data that cannot be written to 'write-sink:public/,
      );
      const defaulted = await write("defaultsink");
      assert.equal(defaulted.isError, true, "a sink other than safe-outputs is public unless exempted");
      assert.equal((await write("safeoutputs")).isError, undefined, "safe-outputs accepts everything");
      assert.equal(
        (await write("privatesink")).isError,
        undefined,
        "a sink that accepts the agent's secrecy",
      );
      assert.deepEqual(
        (await seen(await gateway.client("", { "x-agent-id": "auditor" }), "publicsink___calls_seen")).filter(
          (
            name,
          ) => name === "create_issue",
        ).length,
        1,
        "only the untainted write reached the public sink (asked by another, untainted agent)",
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

/** A guard directory holding the test guard for the server `github`, as MCP_GATEWAY_WASM_GUARDS_DIR expects. */
async function guardDirectory(file = "00-test-guard.wasm"): Promise<string> {
  const guards = await tempDir("awmg-guards-");
  await Deno.mkdir(`${guards}/github`);
  await Deno.copyFile(GUARD, `${guards}/github/${file}`);
  return guards;
}

/** A gh-aw style JSON config: the GitHub server with allow-only, safe-outputs as a write sink, both over HTTP. */
function ghAwConfig(url: string, key: string) {
  return {
    mcpServers: {
      github: {
        type: "http",
        url,
        "guard-policies": {
          "allow-only": { repos: ["octo/private-x"], "min-integrity": "${MIN_INTEGRITY}" },
        },
      },
      safeoutputs: {
        type: "http",
        url,
        "guard-policies": { "write-sink": { accept: ["private:octo/private-x"] } },
      },
    },
    gateway: { port: 8000, domain: "localhost", apiKey: key, trustedBots: ["helper[bot]"] },
  };
}

Deno.test(
  "a gh-aw style JSON config: guard directory, allow-only and write-sink over HTTP, /reflect with the key",
  e2e,
  async () => {
    const remote = remoteIssues();
    await remote.start();
    const key = "guard-test-key";
    const gateway = await startGateway({
      json: ghAwConfig(remote.url, key),
      auth: true,
      env: {
        MCP_GATEWAY_WASM_GUARDS_DIR: await guardDirectory(),
        MIN_INTEGRITY: "approved",
        MCP_GATEWAY_GUARDS_MODE: "filter",
      },
    });
    try {
      assert.match(
        gateway.stderr,
        /Server github is guarded by discovered .*00-test-guard\.wasm, mode filter/,
      );
      const headers = { Authorization: key };
      const client = await gateway.client("github", headers);
      const listed = await call(client, "list_issues", { owner: "octo", repo: "private-x" });
      assert.equal(JSON.parse(text(listed)).items.length, 2, "the stranger's issue is filtered");
      const output = await gateway.client("safeoutputs", headers);
      assert.equal((await call(output, "create_issue", { title: "x" })).isError, undefined);
      assert.equal((await fetch(`${gateway.url}/reflect`)).status, 401, "/reflect needs the key");
      const reflected = await (await fetch(`${gateway.url}/reflect`, { headers })).json();
      assert.equal(reflected.mode, "filter");
      assert.deepEqual(
        reflected.agents,
        { key0: { secrecy: ["private:octo/private-x"], integrity: ["approved", "unapproved"] } },
        "one agent (the key's) across both sessions, named without the key",
      );
      await client.close();
      await output.close();
    } finally {
      await gateway.stop();
      await remote.stop();
    }
  },
);

Deno.test(
  "the gh-aw style config enforces each of the three modes in one unified session",
  e2e,
  async (t) => {
    const remote = remoteIssues();
    await remote.start();
    const guards = await guardDirectory();
    const key = "guard-test-key";
    try {
      for (const mode of ["strict", "filter", "propagate"]) {
        await t.step(mode, async () => {
          const gateway = await startGateway({
            json: ghAwConfig(remote.url, key),
            args: ["--unified", "--guards-mode", mode],
            auth: true,
            env: { MCP_GATEWAY_WASM_GUARDS_DIR: guards, MIN_INTEGRITY: "approved" },
          });
          try {
            const client = await gateway.client("", { Authorization: key });
            const listed = await call(client, "github___list_issues", { owner: "octo", repo: "private-x" });
            const write = await call(client, "github___create_issue", { owner: "octo", repo: "private-x" });
            const output = await call(client, "safeoutputs___create_issue", { title: "report" });
            assert.equal(output.isError, undefined, "safe-outputs accepts the agent's secrecy in every mode");
            if (mode === "strict") {
              assert.equal(listed.isError, true, "strict refuses the answer with the stranger's issue");
              assert.equal(write.isError, undefined, "the agent kept its integrity and may write");
            } else if (mode === "filter") {
              assert.equal(JSON.parse(text(listed)).items.length, 2, "filter drops the stranger's issue");
              assert.equal(write.isError, undefined, "the agent kept its integrity and may write");
            } else {
              assert.equal(
                JSON.parse(text(listed)).items.length,
                3,
                "propagate shows it, and taints the agent",
              );
              assert.equal(write.isError, true, "so the write is refused");
              assert.match(text(write), /needs "approved" integrity/);
            }
            await client.close();
          } finally {
            await gateway.stop();
          }
        });
      }
    } finally {
      await remote.stop();
    }
  },
);

Deno.test("a policy from the flag or the environment applies to a discovered guard", e2e, async (t) => {
  const guards = await guardDirectory("guard.wasm");
  const policy = JSON.stringify({ "allow-only": { repos: "public", "min-integrity": "approved" } });
  for (
    const [how, options] of [
      ["--guard-policy-json", { args: ["--guard-policy-json", policy], env: {} }],
      ["MCP_GATEWAY_GUARD_POLICY_JSON", { args: [], env: { MCP_GATEWAY_GUARD_POLICY_JSON: policy } }],
    ] as const
  ) {
    await t.step(how, async () => {
      const gateway = await startGateway({
        toml: ISSUES("github"),
        args: [...options.args],
        env: { MCP_GATEWAY_WASM_GUARDS_DIR: guards, ...options.env },
      });
      try {
        const client = await gateway.client("github");
        const listed = await call(client, "list_issues", { owner: "octo", repo: "public-y" });
        assert.equal(listed.isError, true, "strict refuses the stranger's issue");
        await client.close();
      } finally {
        await gateway.stop();
      }
    });
  }
});

Deno.test("a policy no guard can enforce stops the start, saying where awmg looked", e2e, async () => {
  const config = await tempFile(ISSUES("github", `guard_policies = ${APPROVED}\n`), ".toml");
  const missing = await runAwmg(["--config", config, "--no-auth"], {
    env: { MCP_GATEWAY_WASM_GUARDS_DIR: "/nonexistent" },
  });
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /Error: servers\.github has an allow-only policy but no guard module to enforce it; looked in \/nonexistent\/github\/\*\.wasm/,
  );
  assert.equal(JSON.parse(missing.stdout).error.code, "guard_setup_failed");
  const notWasm = await tempFile("not a module", ".wasm");
  const broken = await tempFile(
    `[guards.g]\ntype = "wasm"\npath = ${JSON.stringify(notWasm)}\n` +
      ISSUES("github", `guard = "g"\nguard_policies = ${APPROVED}\n`),
    ".toml",
  );
  const unloadable = await runAwmg(["--config", broken, "--no-auth"]);
  assert.equal(unloadable.code, 1);
  assert.match(unloadable.stderr, /Error: servers\.github: cannot load guard 'g' from .*\.wasm: /);
});

Deno.test(
  "propagate: an agent's taint outlives its MCP session (X-Agent-ID), for both revisions; another agent writes",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", '{ allow-only = { repos = "public", min-integrity = "none" } }') +
        sink("publicsink", '{ accept = ["*"], sink-visibility = "public" }'),
      args: ["--unified", "--guards-mode", "propagate"],
    });
    try {
      const reviewer = { "x-agent-id": "reviewer" };
      const reader = await gateway.client("", reviewer);
      await call(reader, "github___list_issues", { owner: "octo", repo: "private-x" });
      await (reader.transport as StreamableHTTPClientTransport).terminateSession();
      await reader.close();

      const again = await gateway.client("", reviewer);
      const laundered = await call(again, "publicsink___create_issue", { title: "leak" });
      assert.equal(laundered.isError, true, "a new session of the same agent is still tainted");
      assert.match(text(laundered), /DIFC Violation: .*'write-sink:public/);
      const modern = await (await modernClient(`${gateway.url}/mcp`, "pinned", { headers: reviewer })).client
        .callTool({ name: "publicsink___create_issue", arguments: { title: "leak" } });
      assert.equal(modern.isError, true, "a 2026-07-28 client of the same agent is tainted too");

      const other = await gateway.client("", { "x-agent-id": "writer" });
      assert.equal((await call(other, "publicsink___create_issue", { title: "fine" })).isError, undefined);
      assert.deepEqual(
        (await seen(other, "publicsink___calls_seen")).filter((name) => name === "create_issue"),
        ["create_issue"],
        "only the other agent's write reached the public sink",
      );
      const reflected = await (await fetch(`${gateway.url}/reflect`)).json();
      assert.deepEqual(Object.keys(reflected.agents).sort(), ["key0/reviewer", "key0/writer"]);
      assert.deepEqual(reflected.agents["key0/reviewer"].secrecy, ["private:octo/private-x"]);

      const malformed = await gateway.post("/mcp", { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
        "x-agent-id": "../other",
        accept: "application/json, text/event-stream",
      });
      assert.equal(malformed.status, 400);
      assert.match((await malformed.json()).error.message, /^Invalid X-Agent-ID header: .*one path segment/);
      for (const client of [again, other]) await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "forcePublicRepos: a public workflow repository narrows the guarded server to public repositories",
  e2e,
  async () => {
    const api = githubApi({
      "/repos/octo/public-y": () => Response.json({ visibility: "public" }),
      "/repos/octo/private-x": () => Response.json({ visibility: "private" }),
    });
    const scoped = '{ allow-only = { repos = ["octo/private-x"], min-integrity = "none" } }';
    const readPrivate = async (env: Record<string, string>) => {
      const gateway = await startGateway({ toml: GUARDS + guarded("github", scoped), env });
      try {
        const client = await gateway.client("github");
        const read = await call(client, "list_issues", { owner: "octo", repo: "private-x" });
        await client.close();
        return { refused: read.isError === true, stderr: gateway.stderr };
      } finally {
        await gateway.stop();
      }
    };
    const workflow = (nwo: string) => ({
      GITHUB_REPOSITORY: nwo,
      GITHUB_API_URL: api.url,
      GITHUB_TOKEN: "t-1",
    });
    try {
      const forced = await readPrivate(workflow("octo/public-y"));
      assert.ok(forced.refused, "in a public repository's workflow a private read is refused");
      assert.match(forced.stderr, /FORCED REPOS=PUBLIC: workflow repo octo\/public-y is public/);
      assert.deepEqual(api.seen.at(-1), {
        method: "GET",
        path: "/repos/octo/public-y",
        authorization: "token t-1",
      });

      assert.equal(
        (await readPrivate(workflow("octo/private-x"))).refused,
        false,
        "a private workflow repository",
      );
      const optedOut = await readPrivate({
        ...workflow("octo/public-y"),
        MCP_GATEWAY_FORCE_PUBLIC_REPOS: "false",
      });
      assert.equal(optedOut.refused, false, "MCP_GATEWAY_FORCE_PUBLIC_REPOS=false turns it off");
      const failed = await readPrivate(workflow("octo/unknown"));
      assert.equal(failed.refused, false, "a failed lookup leaves the policy as configured");
      assert.match(
        failed.stderr,
        /forcePublicRepos: cannot learn the visibility of octo\/unknown \(.*HTTP 404\)/,
      );
    } finally {
      await api.close();
    }
  },
);

Deno.test(
  "resources, prompts and completions of a guarded server are refused, never forwarded unjudged",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: GUARDS + guarded("github", APPROVED) });
    try {
      const client = await gateway.client("github");
      await assert.rejects(
        client.readResource({ uri: "repo://octo/private-x/issues" }),
        /resources\/read is refused on a guarded server/,
      );
      await assert.rejects(
        client.subscribeResource({ uri: "repo://octo/private-x/issues" }),
        /resources\/subscribe is refused on a guarded server/,
      );
      await assert.rejects(
        client.getPrompt({ name: "summarize", arguments: { repo: "octo/private-x" } }),
        /prompts\/get is refused on a guarded server/,
      );
      await assert.rejects(
        client.complete({
          ref: { type: "ref/prompt", name: "summarize" },
          argument: { name: "repo", value: "octo/" },
        }),
        /completion\/complete is refused on a guarded server/,
      );
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);

/** A 1.x client that answers sampling and elicitation, counting what it is asked and the log lines it gets. */
async function askedClient(url: string) {
  const client = new LegacyClient({ name: "asked", version: "1.0.0" }, {
    capabilities: { sampling: {}, elicitation: {} },
  });
  const seen = { questions: 0, logs: 0 };
  client.setRequestHandler(CreateMessageRequestSchema, () => {
    seen.questions++;
    return { role: "assistant", content: { type: "text", text: "secret summary" }, model: "m" };
  });
  client.setRequestHandler(ElicitRequestSchema, () => {
    seen.questions++;
    return { action: "accept", content: { name: "Ada" } };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, () => void seen.logs++);
  await client.connect(new LegacyTransport(new URL(url)));
  return { client, seen };
}

Deno.test(
  "what a guarded server says besides tool results (questions, log lines, progress text, prompts, resources) never reaches a client",
  e2e,
  async (t) => {
    const guard = `guard = "test"\nguard_policies = ${APPROVED}\n`;
    const gateway = await startGateway({
      toml: GUARDS + EVERYTHING("everything", { extra: guard }) + EVERYTHING("open") +
        HOSTILE("hostile", guard) + HOSTILE("loud") + MODERN_HOSTILE("modern", guard),
    });
    const url = (server: string) => `${gateway.url}/mcp/${server}`;
    try {
      await t.step(
        "it is shown with its tools alone; its prompt and resource listings are not found",
        async () => {
          const [guarded, open] = await Promise.all([
            askedClient(url("everything")),
            askedClient(url("open")),
          ]);
          const capabilities = guarded.client.getServerCapabilities()!;
          assert.ok(capabilities.tools !== undefined);
          for (const hidden of ["prompts", "resources", "completions"] as const) {
            assert.equal(capabilities[hidden], undefined, hidden);
            assert.ok(
              open.client.getServerCapabilities()![hidden] !== undefined,
              `the open server offers ${hidden}`,
            );
          }
          await assert.rejects(guarded.client.listPrompts(), /Method not found: prompts\/list/);
          await assert.rejects(guarded.client.listResources(), /Method not found: resources\/list/);
          await assert.rejects(
            guarded.client.listResourceTemplates(),
            /Method not found: resources\/templates\/list/,
          );
          assert.ok((await open.client.listPrompts()).prompts.length > 0);
          await Promise.all([guarded.client.close(), open.client.close()]);
        },
      );

      await t.step(
        "on the unified endpoint its prompts and resources are left out of the merged lists",
        async () => {
          const unified = await startGateway({
            toml: GUARDS + EVERYTHING("everything", { extra: guard }) + EVERYTHING("open"),
            args: ["--unified"],
          });
          try {
            const { client } = await askedClient(`${unified.url}/mcp`);
            const prompts = (await client.listPrompts()).prompts.map((prompt: { name: string }) =>
              prompt.name
            );
            assert.ok(prompts.some((name: string) => name.startsWith("open___")), prompts.join(", "));
            assert.ok(!prompts.some((name: string) => name.startsWith("everything___")), prompts.join(", "));
            await client.close();
          } finally {
            await unified.stop();
          }
        },
      );

      await t.step(
        "a 2025 server's sampling and elicitation requests are refused, never put to the client",
        async () => {
          const { client, seen } = await askedClient(url("everything"));
          const sampled = await call(client, "trigger-sampling-request", {
            prompt: "summarize octo/private-x",
          });
          assert.match(
            JSON.stringify(sampled),
            /labels tool calls only; the text of its sampling\/createMessage/,
          );
          const hostile = await askedClient(url("hostile"));
          const asked = await call(hostile.client, "pile", { count: 2 });
          assert.match(text(asked), /answered 0, refused 2: the guard of 'hostile' labels tool calls only/);
          assert.equal(seen.questions + hostile.seen.questions, 0);
          await Promise.all([client.close(), hostile.client.close()]);
        },
      );

      await t.step(
        "a 2026-07-28 server's input_required questions end the call, for either client",
        async () => {
          const legacy = await askedClient(url("modern"));
          const refused = await call(legacy.client, "ask-many", { count: 1 }).catch((error) => error);
          assert.match(String(refused), /Questions from a guarded server are refused/);
          const { client, asked } = await modernClient(url("modern"), "pinned");
          await assert.rejects(
            client.callTool({ name: "ask-many", arguments: { count: 1 } }),
            /Questions from a guarded server are refused/,
          );
          assert.equal(legacy.seen.questions + Object.keys(asked).length, 0);
          await Promise.all([legacy.client.close(), client.close()]);
        },
      );

      await t.step(
        "its log lines stay in the RPC record and its progress notes lose their text",
        async () => {
          const heard = async (server: string) => {
            const { client, seen } = await askedClient(url(server));
            const progress: (string | undefined)[] = [];
            const result = await client.callTool({ name: "flood", arguments: { count: 2 } }, undefined, {
              onprogress: (note: { message?: string }) => progress.push(note.message),
            });
            assert.equal(text(result), "flooded");
            await new Promise((resolve) => setTimeout(resolve, 200));
            await client.close();
            return { logs: seen.logs, progress };
          };
          assert.deepEqual(await heard("loud"), { logs: 2, progress: ["flooded 0", "flooded 1"] });
          assert.deepEqual(await heard("hostile"), { logs: 0, progress: [undefined, undefined] });
        },
      );
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a guard's log lines in one call are kept to 1 MiB; the rest is dropped, and the log says so",
  e2e,
  async () => {
    const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
    const gateway = await startGateway({
      toml: GUARDS + guarded("github", APPROVED),
      args: ["--log-dir", logDir],
    });
    try {
      const client = await gateway.client("github");
      assert.equal(text(await call(client, "chatty_tool")), "chatty_tool ran");
      await client.close();
    } finally {
      await gateway.stop();
    }
    const serverLog = await Deno.readTextFile(`${logDir}/github.log`);
    const kept = serverLog.split("\n").filter((line) => line.includes("chatty chatty"));
    assert.ok(
      kept.length > 0 && kept.length <= 32,
      `${kept.length} of the guard's 64 lines of 32 KiB were kept`,
    );
    assert.match(serverLog, /the guard logged more than 1048576 bytes in one call; the rest is dropped/);
  },
);

Deno.test(
  "a guarded server is never asked for a task: its call ends in a result the guard judges, and tasks/* are refused",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: GUARDS + TASKS("tasks", `guard = "test"\nguard_policies = ${APPROVED}\n`),
    });
    const declared = { extensions: { "io.modelcontextprotocol/tasks": {} } };
    const post = (request: { body: unknown; headers: Record<string, string> }) =>
      gateway.post("/mcp/tasks", request.body, request.headers).then(answerOf);
    try {
      const called = await post(
        modernRequest(1, "tools/call", { name: "slow_job", arguments: {} }, declared),
      );
      assert.equal(called.result?.resultType, "complete", JSON.stringify(called));
      assert.equal(called.result.content[0].text, "done at once", "the server did not see the extension");
      for (const method of ["tasks/get", "tasks/update", "tasks/cancel"]) {
        const refused = await post(modernRequest(2, method, { taskId: "job-1" }, declared));
        assert.equal(refused.error?.code, -32600, method);
        assert.match(refused.error.message, new RegExp(`${method} is refused on a guarded server`));
      }
    } finally {
      await gateway.stop();
    }
  },
);
