import assert from "node:assert/strict";
import type { JsonRpcRequest } from "../../src/jsonrpc/messages.ts";
import { type Retry, RetryStates } from "../../src/gateway/retries.ts";

const envelope = { version: "2026-07-28", capabilities: { elicitation: {} } };

function call(name: string, extra: Record<string, unknown> = {}): JsonRpcRequest {
  return { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: {}, ...extra } };
}

async function refusal(pending: Retry | Promise<Retry>): Promise<string> {
  const retry = await pending;
  assert.equal(retry.kind, "refused");
  const { response } = retry as Retry & { kind: "refused" };
  assert.equal(response.id, 7);
  return "error" in response ? response.error.message : "";
}

Deno.test("a call without requestState is fresh; the state sealed for its hold resumes it with the answers", async () => {
  const states = new RetryStates(60_000);
  assert.deepEqual(states.retry(0, "github", call("create_issue")), { kind: "fresh" });
  const requestState = await states.caller(envelope, 0, "github", call("create_issue")).seal("hold-1");
  const answers = { ask: { action: "accept" } };
  assert.deepEqual(
    await states.retry(0, "github", call("create_issue", { requestState, inputResponses: answers })),
    { kind: "resume", hold: "hold-1", responses: answers },
  );
});

Deno.test("a retry is refused with another API key, server or tool, a forged state, or answers not an object", async () => {
  const states = new RetryStates(60_000);
  const requestState = await states.caller(envelope, 0, "github", call("create_issue")).seal("hold-1");
  const retry = call("create_issue", { requestState });
  assert.match(await refusal(states.retry(1, "github", retry)), /another client/);
  assert.match(await refusal(states.retry(0, "memory", retry)), /server 'github'/);
  assert.match(
    await refusal(states.retry(0, "github", call("delete_repo", { requestState }))),
    /requestState is refused/,
  );
  assert.match(await refusal(new RetryStates(60_000).retry(0, "github", retry)), /another gateway run/);
  assert.match(
    await refusal(states.retry(0, "github", call("create_issue", { requestState, inputResponses: ["yes"] }))),
    /inputResponses must be an object/,
  );
});

Deno.test("a state is good only as long as the held call waits", async () => {
  const states = new RetryStates(-1);
  const requestState = await states.caller(envelope, 0, "github", call("create_issue")).seal("hold-1");
  assert.match(await refusal(states.retry(0, "github", call("create_issue", { requestState }))), /expired/);
});

Deno.test("among replicas: a state names its replica; another replica sends the retry on, never twice", async () => {
  const keys = ["s".repeat(32)];
  const r1 = new RetryStates(60_000, { id: "r1", stateKeys: keys });
  const r2 = new RetryStates(60_000, { id: "r2", stateKeys: keys });
  const requestState = await r2.caller(envelope, 0, "github", call("create_issue")).seal("hold-9");
  const retry = call("create_issue", { requestState, inputResponses: {} });
  assert.deepEqual(await r1.retry(0, "github", retry), { kind: "elsewhere", replica: "r2" });
  assert.deepEqual(await r2.retry(0, "github", retry), { kind: "resume", hold: "hold-9", responses: {} });
  assert.match(
    await refusal(r1.retry(0, "github", retry, true)),
    /belongs to replica 'r2', and this request was already sent on once/,
  );
  const rotated = new RetryStates(60_000, { id: "r2", stateKeys: ["n".repeat(32), ...keys] });
  assert.equal((await rotated.retry(0, "github", retry)).kind, "resume", "the previous key still opens it");
  const alone = new RetryStates(60_000);
  assert.match(await refusal(alone.retry(0, "github", retry)), /another gateway run/);
});
