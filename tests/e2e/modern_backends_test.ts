/**
 * Backends that speak MCP 2026-07-28 alone (the conformance fixture with --modern-only, over stdio and over
 * HTTP) beside a 2025-11-25 one (server-everything), found at start, served to clients of both revisions:
 * the SDK 1.x client and the SDK 2.4 client, pinned and in auto mode; a guarded modern backend.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { ROOT } from "../support/awmg.ts";
import { CONFORMANCE, EVERYTHING, MODERN_ISSUES, startGateway, TASKS, text } from "../support/gateway.ts";
import { eventually } from "../support/deadline.ts";
import { answerOf, conformanceOverHttp, modernClient, modernRequest } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** A 1.x (2025-11-25) client that answers sampling, elicitation and roots, and collects log lines. */
async function legacyClient(url: string) {
  const client = new Client({ name: "sdk1", version: "1.32.2" }, {
    capabilities: { sampling: {}, elicitation: {}, roots: {} },
  });
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    role: "assistant",
    content: { type: "text", text: "Paris" },
    model: "m",
  }));
  client.setRequestHandler(
    ElicitRequestSchema,
    () => ({ action: "accept", content: { name: "Ada", response: "yes", context: "work" } }),
  );
  client.setRequestHandler(
    ListRootsRequestSchema,
    () => ({ roots: [{ uri: "file:///work", name: "work" }] }),
  );
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (note: { params: { data: unknown } }) => {
    logs.push(String(note.params.data));
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, logs };
}

Deno.test(
  "2026-07-28 backends over stdio and HTTP, beside a 2025 one, for clients of both revisions",
  e2e,
  async (t) => {
    const remote = await conformanceOverHttp(["--modern-only"]);
    const gateway = await startGateway({
      toml: CONFORMANCE("modern", "", ["--modern-only"]) +
        `[servers.remote]\ntype = "http"\nurl = "${remote.url}"\n` +
        EVERYTHING(),
    });
    try {
      await t.step("each backend's revision is found at start and shown in /health", async () => {
        const health = await (await fetch(`${gateway.url}/health`)).json();
        assert.equal(health.servers.modern.protocolVersion, "2026-07-28");
        assert.equal(health.servers.remote.protocolVersion, "2026-07-28");
        assert.match(health.servers.everything.protocolVersion, /^2025-/);
        assert.match(gateway.stderr, /Server modern: \S+ \(\d+ tools, MCP 2026-07-28\)/);
      });

      for (const server of ["modern", "remote"]) {
        await t.step(
          `${server}: a pinned client gets the server's own input_required rounds and keys`,
          async () => {
            const { client, asked } = await modernClient(`${gateway.url}/mcp/${server}`, "pinned");
            const hello = await client.callTool({
              name: "test_input_required_result_elicitation",
              arguments: {},
            });
            assert.equal(text(hello), "Hello, Ada!");
            const rounds = await client.callTool({
              name: "test_input_required_result_multi_round",
              arguments: {},
            });
            assert.equal(text(rounds), "Multi-round complete: Ada likes red");
            const prompt = await client.getPrompt({ name: "test_input_required_result_prompt" });
            assert.match(JSON.stringify(prompt.messages), /Use the following context/);
            const read = await client.readResource({ uri: "test://static-text" });
            assert.match(JSON.stringify(read.contents), /static text resource/);
            const progress: number[] = [];
            await client.callTool({ name: "test_tool_with_progress", arguments: {} }, {
              onprogress: (p) => progress.push(p.progress),
            });
            assert.deepEqual(progress, [0, 50, 100]);
            assert.ok(asked["elicitation/create"] >= 3);
            let changed = 0;
            client.setNotificationHandler("notifications/tools/list_changed", () => {
              changed++;
            });
            const subscription = await client.listen({ toolsListChanged: true });
            await client.callTool({ name: "test_trigger_tool_change", arguments: {} });
            await eventually(() => changed, (n) => n > 0);
            assert.ok(changed >= 1, "a list change reaches the client's listen stream");
            await subscription.close();
            await client.close();
          },
        );

        await t.step(
          `${server}: a 1.x client is asked on its session, gets log lines at its level, subscribes`,
          async () => {
            const { client, logs } = await legacyClient(`${gateway.url}/mcp/${server}`);
            assert.equal(
              client.getServerVersion()?.name,
              "awmg-conformance-fixture",
              "initialize from server/discover",
            );
            const sampled = await client.callTool({
              name: "test_sampling",
              arguments: { prompt: "Capital?" },
            });
            assert.equal(text(sampled), "LLM response: Paris");
            const elicited = await client.callTool({
              name: "test_elicitation",
              arguments: { message: "ok?" },
            });
            assert.match(text(elicited), /action=accept/);
            const roots = await client.callTool({
              name: "test_input_required_result_list_roots",
              arguments: {},
            });
            assert.equal(text(roots), "Client exposed 1 root(s): file:///work");
            const several = await client.callTool({
              name: "test_input_required_result_multiple_inputs",
              arguments: {},
            });
            assert.equal(text(several), "Paris Ada: 1 root(s)");
            await client.callTool({ name: "test_tool_with_logging", arguments: {} });
            assert.deepEqual(logs.slice(0, 3), [
              "Tool execution started",
              "Tool processing data",
              "Tool execution completed",
            ]);
            await client.callTool({ name: "test_logging_tool", arguments: {} });
            assert.equal(
              logs.length,
              4,
              "a 2025 session gets the server's log lines at every level by default",
            );
            await client.setLoggingLevel("error");
            await client.callTool({ name: "test_logging_tool", arguments: {} });
            assert.equal(
              logs.length,
              4,
              "the session's log level reaches the server in each request's envelope",
            );
            assert.deepEqual(await client.subscribeResource({ uri: "test://watched-resource" }), {});
            const prompt = await client.getPrompt({ name: "test_input_required_result_prompt" });
            assert.match(JSON.stringify(prompt.messages), /Use the following context: work/);
            await client.close();
          },
        );
      }

      // Over stdio, where the revision still sends notifications/cancelled. Over HTTP the gateway closes the
      // request's stream, which is the revision's cancellation, but the SDK's server only notices a stream.
      await t.step(
        "modern: a call cancelled by either kind of client is cancelled at the server",
        async () => {
          const { client } = await modernClient(`${gateway.url}/mcp/modern`, "pinned");
          const { client: v1 } = await legacyClient(`${gateway.url}/mcp/modern`);
          const count = async () =>
            Number(text(await client.callTool({ name: "awmg_cancellations", arguments: {} })));
          const before = await count();
          for (const caller of ["pinned", "1.x"]) {
            const aborted = new AbortController();
            const call = { name: "awmg_wait", arguments: {} };
            const waiting = caller === "pinned"
              ? client.callTool(call, { signal: aborted.signal })
              // The 1.x client takes a result schema first.
              : v1.callTool(call, undefined, { signal: aborted.signal });
            await new Promise((resolve) => setTimeout(resolve, 1500));
            aborted.abort();
            await assert.rejects(waiting);
          }
          assert.equal(await eventually(count, (after) => after >= before + 2), before + 2);
          await Promise.all([client.close(), v1.close()]);
        },
      );

      await t.step("a 1.x client without the capability gets a clear error, not a hang", async () => {
        const client = new Client({ name: "bare", version: "1" });
        await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/modern`)));
        await assert.rejects(
          client.callTool({ name: "test_input_required_result_sampling", arguments: {} }),
          /-32021.*sampling\/createMessage.*do not declare the required capability/,
        );
        await client.close();
      });

      await t.step("the auto-mode client and the 2025 backend on the same gateway", async () => {
        const { client } = await modernClient(`${gateway.url}/mcp/modern`, "auto");
        assert.equal(client.getProtocolEra(), "modern");
        assert.equal(
          text(await client.callTool({ name: "test_simple_text", arguments: {} })),
          "This is a simple text response for testing.",
        );
        const everything = await modernClient(`${gateway.url}/mcp/everything`, "pinned");
        assert.equal(
          text(await everything.client.callTool({ name: "echo", arguments: { message: "m" } })),
          "Echo: m",
        );
        await Promise.all([client.close(), everything.client.close()]);
      });
    } finally {
      await gateway.stop();
      await remote.stop();
    }
  },
);

Deno.test(
  "unified mode: modern and 2025 backends under one /mcp; a retry reaches the server that asked",
  e2e,
  async () => {
    const gateway = await startGateway({
      toml: CONFORMANCE("modern", "", ["--modern-only"]) + EVERYTHING(),
      args: ["--unified"],
    });
    try {
      const { client } = await modernClient(`${gateway.url}/mcp`, "pinned");
      const hello = await client.callTool({
        name: "modern___test_input_required_result_elicitation",
        arguments: {},
      });
      assert.equal(text(hello), "Hello, Ada!");
      const roots = await client.callTool({ name: "everything___get-roots-list", arguments: {} });
      assert.match(text(roots), /file:\/\/\/work/);
      const { client: v1 } = await legacyClient(`${gateway.url}/mcp`);
      const sampled = await v1.callTool({
        name: "modern___test_sampling",
        arguments: { prompt: "Capital?" },
      });
      assert.equal(text(sampled), "LLM response: Paris");
      await Promise.all([client.close(), v1.close()]);
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "a guarded 2026-07-28 backend: the guard's lookups and the DIFC verdicts are the revision's alike",
  e2e,
  async () => {
    const guard = `${ROOT}tests/fixtures/test_guard/test_guard.wasm`;
    const gateway = await startGateway({
      toml: `[guards.test]\ntype = "wasm"\npath = ${JSON.stringify(guard)}\n` +
        MODERN_ISSUES(
          "github",
          `guard = "test"\nguard_policies = { allow-only = { repos = "public", min-integrity = "approved" } }\n`,
        ),
    });
    try {
      const health = await (await fetch(`${gateway.url}/health`)).json();
      assert.equal(health.servers.github.protocolVersion, "2026-07-28");
      for (const negotiation of ["pinned", "legacy"] as const) {
        const { client } = await modernClient(`${gateway.url}/mcp/github`, negotiation);
        const listed = await client.callTool({
          name: "list_issues",
          arguments: { owner: "octo", repo: "public-y" },
        });
        assert.equal(listed.isError, true, negotiation);
        assert.match(text(listed), /DIFC policy violation: 1 of 3 items in response are not accessible/);
        const repo = await client.callTool({
          name: "get_repository",
          arguments: { owner: "octo", repo: "private-x" },
        });
        assert.equal(
          repo.isError,
          true,
          `${negotiation}: the guard asked the modern server for the visibility`,
        );
        await client.close();
      }
    } finally {
      await gateway.stop();
    }
  },
);

Deno.test(
  "the tasks extension is relayed to the server that owns the task; unified ids stay apart",
  e2e,
  async () => {
    const TASKS_CAPABILITY = { extensions: { "io.modelcontextprotocol/tasks": {} } };
    for (const mode of ["routed", "unified"] as const) {
      const gateway = await startGateway({
        toml: TASKS("tasks") + TASKS("other"),
        args: mode === "unified" ? ["--unified"] : [],
      });
      const path = mode === "unified" ? "/mcp" : "/mcp/tasks";
      const name = mode === "unified" ? "tasks___slow_job" : "slow_job";
      const post = (request: { body: unknown; headers: Record<string, string> }) =>
        gateway.post(path, request.body, request.headers).then(answerOf);
      try {
        const handle = await post(modernRequest(1, "tools/call", { name, arguments: {} }, TASKS_CAPABILITY));
        assert.equal(handle.result.resultType, "task", mode);
        const taskId = handle.result.taskId;
        assert.equal(
          taskId,
          mode === "unified" ? "tasks___job-1" : "job-1",
          "a unified task id names its server",
        );
        const working = await post(modernRequest(2, "tasks/get", { taskId }, TASKS_CAPABILITY));
        assert.equal(working.result.status, "working");
        const done = await post(modernRequest(3, "tasks/get", { taskId }, TASKS_CAPABILITY));
        assert.equal(done.result.status, "completed");
        assert.equal(done.result.taskId, taskId);
        assert.equal(done.result.result.content[0].text, "done job-1");
        const cancelled = await post(modernRequest(4, "tasks/cancel", { taskId }, TASKS_CAPABILITY));
        assert.equal(cancelled.result.status, "completed", "a finished task stays finished");
        const plain = await post(modernRequest(5, "tools/call", { name, arguments: {} }, {}));
        assert.equal(plain.result.content[0].text, "done at once", "no extension declared, no task");
        if (mode === "unified") {
          const foreign = await post(
            modernRequest(6, "tasks/get", { taskId: "nowhere___job-1" }, TASKS_CAPABILITY),
          );
          assert.match(foreign.error.message, /Unknown task 'nowhere___job-1'/);
          const other = await post(
            modernRequest(7, "tasks/get", { taskId: "other___job-1" }, TASKS_CAPABILITY),
          );
          assert.match(other.error.message, /no task job-1/, "another server's ids are its own");
        }
      } finally {
        await gateway.stop();
      }
    }
  },
);
