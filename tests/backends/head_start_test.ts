/**
 * The head start: a server launched before the gateway is built is taken once, by the launch of the same
 * server with the same spec, and spoken to like any other; any other child is killed, never left running.
 */
import assert from "node:assert/strict";
import { HeadStart } from "../../src/backends/head_start.ts";
import type { LaunchSpec } from "../../src/backends/launch.ts";
import { StdioPipe } from "../../src/backends/stdio.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";
const CAT: LaunchSpec = { command: "cat", args: [], env: { PATH }, envNames: [] };

Deno.test("head start: the launch of the same server and spec takes the early child, once, and speaks to it", async () => {
  const headStart = HeadStart.launch([{ id: "echo", spec: CAT }]);
  const started = headStart.take("echo", { ...CAT, env: { PATH } });
  assert.ok(started !== undefined, "the same spec, built again, takes the early child");
  assert.equal(headStart.take("echo", CAT), undefined, "a child is taken once");
  const received: string[] = [];
  const pipe = StdioPipe.spawn(
    CAT,
    {
      message: (_message, text) => void received.push(text),
      noise: (line) => assert.fail(`noise: ${line}`),
      stderr: () => {},
      oversized: () => assert.fail("oversized"),
    },
    { maxMessageSize: 1024, maxUnsentBytes: 1024 },
    started,
  );
  assert.equal(pipe.pid, started.child.pid, "the pipe speaks to the early child, it starts no other");
  pipe.send({ jsonrpc: "2.0", id: 1, method: "ping" });
  for (let waited = 0; received.length === 0 && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(received, ['{"jsonrpc":"2.0","id":1,"method":"ping"}']);
  await pipe.stop(1000);
});

/** A server that says in `dir` when it is up (its trap set) and when it was told to stop. */
function telling(dir: string, name: string): LaunchSpec {
  const script =
    `trap 'echo > ${dir}/${name}.stopped; kill $!; exit 0' TERM; echo > ${dir}/${name}.up; sleep 30 & wait`;
  return { command: "sh", args: ["-c", script], env: { PATH }, envNames: [] };
}

async function appears(path: string): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 10) {
    if (await Deno.stat(path).then(() => true, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

Deno.test("head start: a child started from another spec is killed, and so is every child nobody takes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "awmg-headstart-" });
  try {
    const [changed, untaken] = [telling(dir, "changed"), telling(dir, "untaken")];
    const headStart = HeadStart.launch([{ id: "changed", spec: changed }, { id: "untaken", spec: untaken }]);
    assert.ok(await appears(`${dir}/changed.up`) && await appears(`${dir}/untaken.up`));
    const taken = headStart.take("changed", { ...changed, args: [...changed.args, "extra"] });
    assert.equal(taken, undefined, "a different argv is not the process the connection means to run");
    assert.ok(await appears(`${dir}/changed.stopped`), "the child of the other spec was stopped");
    headStart.abandon();
    assert.ok(await appears(`${dir}/untaken.stopped`), "the child nobody took was stopped");
    assert.equal(
      headStart.take("untaken", untaken),
      undefined,
      "an abandoned child cannot be taken afterwards",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("head start: a server that cannot be started is left to its connection, which reports why", () => {
  const missing: LaunchSpec = { ...CAT, command: "/nonexistent/server" };
  const headStart = HeadStart.launch([{ id: "missing", spec: missing }]);
  assert.equal(headStart.take("missing", missing), undefined);
  assert.throws(
    () => StdioPipe.spawn(missing, {} as never, { maxMessageSize: 1, maxUnsentBytes: 1 }),
    Deno.errors.NotFound,
  );
});
