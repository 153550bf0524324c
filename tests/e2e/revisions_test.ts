/**
 * Both protocol revisions on one gateway: SDK 2.x clients pinned to 2026-07-28, in auto mode and in legacy
 * mode, beside the SDK 1.x client, in front of 2025-11-25 servers; the bridge that turns a server's
 * sampling, elicitation and roots requests into input_required rounds.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { ASKING, EVERYTHING, PROBE, startGateway, text } from "../support/gateway.ts";
import { eventually } from "../support/deadline.ts";
import { answerOf, type Json, modernClient, modernRequest } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
type Named = { name: string };

Deno.test("routed mode: 2026-07-28, auto, legacy and 1.x clients on one gateway at once", e2e, async (t) => {
  const logDir = `/tmp/gh-aw/mcp-logs/test-${crypto.randomUUID()}`;
  const gateway = await startGateway({
    toml: EVERYTHING() + ASKING() + PROBE(),
    args: ["--log-dir", logDir],
  });
  const url = (server: string) => `${gateway.url}/mcp/${server}`;
  try {
    await t.step("each client gets the revision it asked for", async () => {
      const [pinned, auto, legacy, v1] = await Promise.all([
        modernClient(url("everything"), "pinned"),
        modernClient(url("everything"), "auto"),
        modernClient(url("everything"), "legacy"),
        gateway.client("everything"),
      ]);
      assert.equal(pinned.client.getProtocolEra(), "modern");
      assert.equal(auto.client.getProtocolEra(), "modern");
      assert.equal(legacy.client.getProtocolEra(), "legacy");
      const [a, b, c, d] = await Promise.all(
        [pinned.client, auto.client, legacy.client, v1].map((client) =>
          client.callTool({ name: "echo", arguments: { message: "both eras" } })
        ),
      );
      for (const result of [a, b, c, d]) assert.equal(text(result), "Echo: both eras");
      await new Promise((resolve) => setTimeout(resolve, 600)); // the log's flush interval
      const calls = (await Deno.readTextFile(`${logDir}/rpc-messages.jsonl`)).trimEnd().split("\n")
        .map((line) => JSON.parse(line)).filter((record) => record.tool === "echo");
      assert.deepEqual(calls.map((record) => record.revision).sort(), [
        "2025-11-25",
        "2025-11-25",
        "2026-07-28",
        "2026-07-28",
      ]);
      assert.equal(pinned.client.getServerVersion()?.name, "mcp-servers/everything");
      await Promise.all([pinned.client.close(), auto.client.close(), legacy.client.close(), v1.close()]);
    });

    await t.step("a pinned client lists and reads tools, resources, prompts and completions", async () => {
      const { client } = await modernClient(url("everything"), "pinned");
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool: Named) => tool.name === "echo"));
      const sum = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
      assert.match(text(sum), /5/);
      const resources = await client.listResources();
      assert.ok(resources.resources.length > 0);
      const read = await client.readResource({ uri: resources.resources[0].uri });
      assert.ok(read.contents.length > 0);
      const templates = await client.listResourceTemplates();
      assert.ok(templates.resourceTemplates.length > 0);
      const prompts = await client.listPrompts();
      assert.ok(prompts.prompts.some((p: Named) => p.name === "simple-prompt"));
      const prompt = await client.getPrompt({ name: "args-prompt", arguments: { city: "Paris" } });
      assert.match(JSON.stringify(prompt.messages), /Paris/);
      const completion = await client.complete({
        ref: { type: "ref/prompt", name: "completable-prompt" },
        argument: { name: "department", value: "Eng" },
      });
      assert.deepEqual(completion.completion.values, ["Engineering"]);
      await client.close();
    });

    await t.step("sampling, elicitation and roots reach a pinned client as input_required", async () => {
      const { client, asked } = await modernClient(url("everything"), "pinned");
      const sampled = await client.callTool({
        name: "trigger-sampling-request",
        arguments: { prompt: "hi", maxTokens: 10 },
      });
      assert.match(text(sampled), /hi from the model/);
      const elicited = await client.callTool({ name: "trigger-elicitation-request", arguments: {} });
      assert.match(JSON.stringify(elicited.content), /Favorite Color: red/);
      const roots = await client.callTool({ name: "get-roots-list", arguments: {} });
      assert.match(text(roots), /file:\/\/\/work/);
      assert.deepEqual(asked, { "sampling/createMessage": 1, "elicitation/create": 1, "roots/list": 1 });
      await client.close();
    });

    await t.step("two rounds in a row, two questions at once, and a prompt that asks", async () => {
      const { client, asked } = await modernClient(url("asking"), "pinned");
      const twice = await client.callTool({ name: "ask-twice", arguments: {} });
      assert.equal(text(twice), "name=Ada; sampled=hi from the model");
      const together = await client.callTool({ name: "ask-together", arguments: {} });
      assert.equal(text(together), "name=Ada; roots=file:///work");
      const prompt = await client.getPrompt({ name: "greeting" });
      assert.match(JSON.stringify(prompt.messages), /Greet Ada/);
      assert.deepEqual(asked, { "elicitation/create": 3, "sampling/createMessage": 1, "roots/list": 1 });
      await client.close();
    });

    await t.step("the same server asks a 1.x client on its session as before", async () => {
      const v1 = new Client({ name: "sdk1", version: "1.32.2" }, {
        capabilities: { elicitation: {}, sampling: {} },
      });
      v1.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { name: "Grace" } }));
      v1.setRequestHandler(CreateMessageRequestSchema, () => ({
        role: "assistant",
        content: { type: "text", text: "hello from 1.x" },
        model: "m",
      }));
      await v1.connect(new StreamableHTTPClientTransport(new URL(url("asking"))));
      const twice = await v1.callTool({ name: "ask-twice", arguments: {} });
      assert.equal(text(twice), "name=Grace; sampled=hello from 1.x");
      await v1.close();
    });

    await t.step(
      "a client without the capability gets -32021, and the server's request an error",
      async () => {
        const { client } = await modernClient(url("asking"), "pinned", { capabilities: {} });
        await assert.rejects(
          client.callTool({ name: "ask-twice", arguments: {} }),
          (error: Error & { code?: number; data?: { requiredCapabilities?: unknown } }) => {
            assert.equal(error.code, -32021);
            assert.deepEqual(error.data?.requiredCapabilities, { elicitation: {} });
            return true;
          },
        );
        // The server's call was cancelled, so it serves the next one at once.
        const touched = await client.callTool({ name: "touch", arguments: {} });
        assert.match(text(touched), /^\d+$/);
        await client.close();
      },
    );

    await t.step("progress and log lines flow on the answer of the call they belong to", async () => {
      const { client } = await modernClient(url("asking"), "pinned");
      const lines: string[] = [];
      client.setNotificationHandler("notifications/message", (note) => {
        lines.push(String(note.params.data));
      });
      await client.callTool({
        name: "log",
        arguments: {},
        _meta: { "io.modelcontextprotocol/logLevel": "warning" },
      });
      assert.deepEqual(lines, ["a warning line", "a error line"]);
      lines.length = 0;
      await client.callTool({ name: "log", arguments: {} });
      assert.deepEqual(lines, [], "no log level asked, no log lines");
      const everything = await modernClient(url("everything"), "pinned");
      const progress: number[] = [];
      const done = await everything.client.callTool(
        { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
        { onprogress: (p) => progress.push(p.progress) },
      );
      assert.match(text(done), /completed/i);
      assert.deepEqual(progress, [1, 2, 3]);
      await Promise.all([client.close(), everything.client.close()]);
    });

    await t.step("closing the answer's stream cancels the call at the server", async () => {
      const { client } = await modernClient(url("probe"), "pinned");
      const aborted = new AbortController();
      const waiting = client.callTool({ name: "wait", arguments: {} }, { signal: aborted.signal });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      aborted.abort();
      await assert.rejects(waiting);
      const read = async () => text(await client.callTool({ name: "cancellations", arguments: {} }));
      assert.equal(await eventually(read, (count) => count !== "0"), "1");
      await client.close();
    });

    await t.step("list changes and resource updates arrive through subscriptions/listen", async () => {
      const { client } = await modernClient(url("asking"), "pinned");
      const updates: string[] = [];
      client.setNotificationHandler("notifications/resources/updated", (note) => {
        updates.push(note.params.uri);
      });
      const subscription = await client.listen({ resourceSubscriptions: ["asking://counter"] });
      assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, ["asking://counter"]);
      await client.callTool({ name: "touch", arguments: {} });
      await eventually(() => updates.length, (n) => n > 0);
      assert.deepEqual(updates, ["asking://counter"]);
      await subscription.close();

      const probe = await modernClient(url("probe"), "pinned");
      let changed = 0;
      probe.client.setNotificationHandler("notifications/tools/list_changed", () => {
        changed++;
      });
      const tools = await probe.client.listen({ toolsListChanged: true });
      assert.equal(tools.honoredFilter.toolsListChanged, true);
      await probe.client.callTool({ name: "add-tool", arguments: {} });
      await eventually(() => changed, (n) => n > 0);
      assert.equal(changed, 1);
      await tools.close();
      await Promise.all([client.close(), probe.client.close()]);
    });
  } finally {
    await gateway.stop();
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("2026-07-28 requests: the revision's checks, and state that cannot be forged", e2e, async (t) => {
  const keys = ["key-one", "key-two"];
  const gateway = await startGateway({
    toml: ASKING() + ASKING("second") + ASKING("third") + EVERYTHING() +
      `[gateway]\nagent_ids = ${JSON.stringify(keys)}\nmax_held_requests = 2\ninput_required_timeout = 3\n`,
    auth: true,
  });
  const post = (
    request: { body: unknown; headers: Record<string, string> },
    key = keys[0],
    path = "/mcp/asking",
  ) => gateway.post(path, request.body, { ...request.headers, authorization: key });
  /** Starts ask-twice and returns its input_required result. */
  const askTwice = async (id: number, key = keys[0], path = "/mcp/asking") => {
    const answer = await answerOf(
      await post(modernRequest(id, "tools/call", { name: "ask-twice", arguments: {} }), key, path),
    );
    assert.equal(answer.result?.resultType, "input_required", JSON.stringify(answer));
    return answer.result as { inputRequests: Record<string, { method: string }>; requestState: string };
  };
  const retry = (id: number, state: string, responses: Record<string, unknown>, key = keys[0]) =>
    post(
      modernRequest(id, "tools/call", {
        name: "ask-twice",
        arguments: {},
        inputResponses: responses,
        requestState: state,
      }),
      key,
    );
  try {
    await t.step("server/discover names both revisions, the server's capabilities and identity", async () => {
      const response = await post(modernRequest(1, "server/discover"));
      assert.equal(response.status, 200);
      const { result } = await answerOf(response);
      assert.equal(result.resultType, "complete");
      assert.equal(result.supportedVersions[0], "2026-07-28");
      assert.ok(result.supportedVersions.includes("2025-11-25"));
      assert.deepEqual(result.capabilities.resources, { subscribe: true, listChanged: true });
      assert.equal(result._meta["io.modelcontextprotocol/serverInfo"].name, "asking");
      assert.equal(typeof result.ttlMs, "number");
    });

    await t.step("results carry resultType and caching hints; a missing resource is -32602", async () => {
      const listed = await answerOf(await post(modernRequest(2, "resources/list")));
      assert.equal(listed.result.resultType, "complete");
      assert.deepEqual([listed.result.ttlMs, listed.result.cacheScope], [0, "private"]);
      const missing = await post(modernRequest(3, "resources/read", { uri: "asking://nothing" }));
      const error = (await answerOf(missing)).error;
      assert.equal(error.code, -32602);
    });

    await t.step("the envelope and the headers are checked, with the revision's codes", async () => {
      const ok = modernRequest(4, "tools/call", { name: "touch", arguments: {} });
      const cases: [string, { body: Json; headers: Record<string, string> }, number, number][] = [
        [
          "Mcp-Method differs",
          { ...ok, headers: { ...ok.headers, "mcp-method": "tools/list" } },
          400,
          -32020,
        ],
        ["Mcp-Name differs", { ...ok, headers: { ...ok.headers, "mcp-name": "log" } }, 400, -32020],
        [
          "Mcp-Name missing",
          {
            ...ok,
            headers: Object.fromEntries(Object.entries(ok.headers).filter(([k]) => k !== "mcp-name")),
          },
          400,
          -32020,
        ],
        [
          "version header missing",
          {
            ...ok,
            headers: Object.fromEntries(
              Object.entries(ok.headers).filter(([k]) => k !== "mcp-protocol-version"),
            ),
          },
          400,
          -32020,
        ],
        [
          "version unknown",
          {
            headers: { ...ok.headers, "mcp-protocol-version": "2099-01-01" },
            body: {
              ...ok.body,
              params: {
                ...ok.body.params,
                _meta: { ...ok.body.params._meta, "io.modelcontextprotocol/protocolVersion": "2099-01-01" },
              },
            },
          },
          400,
          -32022,
        ],
        [
          "capabilities missing",
          {
            ...ok,
            body: {
              ...ok.body,
              params: {
                ...ok.body.params,
                _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
              },
            },
          },
          400,
          -32602,
        ],
        ["removed method", modernRequest(5, "logging/setLevel", { level: "info" }), 404, -32601],
      ];
      for (const [what, request, status, code] of cases) {
        const response = await post(request);
        assert.equal(response.status, status, what);
        assert.equal((await answerOf(response)).error?.code, code, what);
      }
      const encoded = { ...ok, headers: { ...ok.headers, "mcp-name": `=?base64?${btoa("touch")}?=` } };
      assert.equal((await answerOf(await post(encoded))).result?.resultType, "complete");
    });

    await t.step("GET and DELETE are 405 and a session id beside a modern request is ignored", async () => {
      for (const method of ["GET", "DELETE"]) {
        const response = await fetch(`${gateway.url}/mcp/asking`, {
          method,
          headers: {
            "mcp-protocol-version": "2026-07-28",
            authorization: keys[0],
            accept: "text/event-stream",
          },
        });
        assert.equal(response.status, 405, method);
        await response.body?.cancel();
      }
      const request = modernRequest(6, "tools/list");
      const response = await post({
        ...request,
        headers: { ...request.headers, "mcp-session-id": "made-up" },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("mcp-session-id"), null);
      assert.ok((await answerOf(response)).result.tools.length > 0);
    });

    await t.step(
      "a tampered, replayed or foreign requestState is refused and never reaches the server",
      async () => {
        const asked = await askTwice(10);
        const [key] = Object.keys(asked.inputRequests);
        const answer = { [key]: { action: "accept", content: { name: "Eve" } } };
        const flipped = asked.requestState.slice(0, 5) + (asked.requestState[5] === "A" ? "B" : "A") +
          asked.requestState.slice(6);
        for (
          const [what, state, who] of [["tampered", flipped, keys[0]], [
            "foreign",
            asked.requestState,
            keys[1],
          ]]
        ) {
          const refused = await answerOf(await retry(11, state, answer, who));
          assert.equal(refused.error?.code, -32602, what);
          assert.match(refused.error.message, /requestState is refused/, what);
        }
        const other = await answerOf(
          await post(
            modernRequest(12, "tools/call", { name: "log", arguments: {}, requestState: asked.requestState }),
          ),
        );
        assert.match(other.error?.message ?? "", /another request/);
        const next = await answerOf(await retry(13, asked.requestState, answer));
        assert.equal(next.result.resultType, "input_required", "the second round: sampling");
        const replayed = await answerOf(await retry(14, asked.requestState, answer));
        assert.match(replayed.error?.message ?? "", /names no waiting call/);
        const [sampleKey] = Object.keys(next.result.inputRequests);
        const done = await answerOf(
          await retry(15, next.result.requestState, {
            [sampleKey]: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" },
          }),
        );
        assert.equal(done.result.content[0].text, "name=Eve; sampled=ok");
      },
    );

    await t.step("held calls are bounded in number and in time", async () => {
      // A 2025 server's request carries no link to the call it serves: calls that ask go to three servers,
      // since two calls in flight on one server could not be told apart (and are refused, never guessed).
      const first = await askTwice(20);
      await askTwice(21, keys[0], "/mcp/second");
      const third = await answerOf(
        await post(
          modernRequest(22, "tools/call", { name: "ask-twice", arguments: {} }),
          keys[0],
          "/mcp/third",
        ),
      );
      assert.equal(third.error?.code, -32001);
      assert.match(
        third.error.data.detail,
        /2 calls already wait for their clients' input \(gateway.maxHeldRequests\)/,
      );
      await new Promise((resolve) => setTimeout(resolve, 3500));
      const late = await answerOf(await retry(23, first.requestState, {}));
      assert.equal(late.error?.code, -32602);
      const again = await askTwice(24);
      assert.ok(again.requestState.length > 0, "the budget is free again once the held calls timed out");
      // Whether a held call's handler will ask again cannot be seen from outside, so while it is held a
      // question on its server has two possible callers and is refused, however long the call has waited.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const beside = await answerOf(
        await post(modernRequest(25, "tools/call", { name: "ask-twice", arguments: {} })),
      );
      assert.match(
        beside.error?.message ?? "",
        /2 clients have requests in flight on asking, 1 of them held for its client's answer/,
      );
      const [name] = Object.keys(again.inputRequests);
      const sampling = await answerOf(
        await retry(26, again.requestState, { [name]: { action: "accept", content: { name: "Ada" } } }),
      );
      const [sampled] = Object.keys(sampling.result.inputRequests);
      const done = await answerOf(
        await retry(27, sampling.result.requestState, {
          [sampled]: { role: "assistant", content: { type: "text", text: "ok" }, model: "m" },
        }),
      );
      assert.equal(done.result.content[0].text, "name=Ada; sampled=ok");
      await askTwice(28);
    });
  } finally {
    await gateway.stop();
  }
});

Deno.test(
  "unified mode: a 2026-07-28 client sees prefixed names, merged discovery and bridged retries",
  e2e,
  async () => {
    const gateway = await startGateway({ toml: EVERYTHING() + ASKING() + PROBE(), args: ["--unified"] });
    try {
      const { client, asked } = await modernClient(`${gateway.url}/mcp`, "pinned");
      const discovered = await answerOf(
        await gateway.post(
          "/mcp",
          modernRequest(1, "server/discover").body,
          modernRequest(1, "server/discover").headers,
        ),
      );
      assert.equal(discovered.result._meta["io.modelcontextprotocol/serverInfo"].name, "awmg");
      assert.ok(
        discovered.result.capabilities.tools !== undefined &&
          discovered.result.capabilities.prompts !== undefined,
      );
      const tools = await client.listTools();
      const names = tools.tools.map((tool: Named) => tool.name);
      assert.ok(names.includes("everything___echo") && names.includes("asking___ask-twice"));
      // The client mirrors the prefixed name into Mcp-Name; the gateway checks it against the body.
      const twice = await client.callTool({ name: "asking___ask-twice", arguments: {} });
      assert.equal(text(twice), "name=Ada; sampled=hi from the model");
      const roots = await client.callTool({ name: "everything___get-roots-list", arguments: {} });
      assert.match(text(roots), /file:\/\/\/work/);
      assert.deepEqual(asked, { "elicitation/create": 1, "sampling/createMessage": 1, "roots/list": 1 });
      const prompt = await client.getPrompt({ name: "asking___greeting" });
      assert.match(JSON.stringify(prompt.messages), /Greet Ada/);
      let changed = 0;
      client.setNotificationHandler("notifications/tools/list_changed", () => {
        changed++;
      });
      const subscription = await client.listen({ toolsListChanged: true });
      await client.callTool({ name: "probe___add-tool", arguments: {} });
      await eventually(() => changed, (n) => n > 0);
      assert.equal(changed, 1);
      await subscription.close();
      await client.close();
    } finally {
      await gateway.stop();
    }
  },
);
