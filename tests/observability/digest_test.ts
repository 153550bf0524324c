import assert from "node:assert/strict";
import { Digest } from "../../src/observability/digest.ts";
import type { DecisionFacts } from "../../src/observability/decisions.ts";
import type { RpcFacts } from "../../src/observability/format.ts";

const AT = Date.UTC(2026, 11, 2, 10, 0, 0);

function request(server: string, id: number, size = 10): RpcFacts {
  return { direction: "outbound", server, session: "s", method: "tools/call", id, size, text: "" };
}

function response(server: string, id: number, duration: number, error?: string): RpcFacts {
  return {
    direction: "inbound",
    server,
    session: "s",
    method: "tools/call",
    id,
    size: 100,
    duration,
    text: "",
    ...(error === undefined ? {} : { error }),
  };
}

/** The cells of the table row that starts with `| name |`. */
function row(markdown: string, name: string): string[] {
  const line = markdown.split("\n").find((text) => text.startsWith(`| ${name} |`));
  assert.ok(line !== undefined, `no row for ${name} in\n${markdown}`);
  return line.split("|").slice(2, -1).map((cell) => cell.trim());
}

Deno.test("digest: each server's requests, errors, timeouts, latency, bytes and guard outcomes", () => {
  const digest = new Digest(["github", "idle"]);
  for (let id = 1; id <= 100; id++) {
    digest.message(request("github", id), AT);
    digest.message(response("github", id, id, id % 10 === 0 ? "boom" : undefined), AT);
  }
  digest.message({ ...request("github", 0), id: null, method: "notifications/cancelled" }, AT);
  digest.timeout("github", "tools/call", 120_000, AT);
  const decision = { server: "github", decision: "refused" } as DecisionFacts;
  digest.decision(decision);
  digest.decision({ ...decision, decision: "filtered", filtered: 3 });
  digest.decision({ ...decision, decision: "filtered", filtered: 2 });
  const markdown = digest.markdown();
  // requests, errors, timeouts, p50, p95, bytes out, bytes in, refusals, filtered
  assert.deepEqual(row(markdown, "github"), ["100", "10", "1", "50", "95", "1010", "10000", "1", "5"]);
  assert.deepEqual(row(markdown, "idle"), ["0", "0", "0", "", "", "0", "0", "0", "0"]);
});

Deno.test("digest: latency above 100 ms is within 2 %", () => {
  const digest = new Digest(["s"]);
  for (let id = 0; id < 10; id++) digest.message(response("s", id, 5_000), AT);
  const [, , , p50] = row(digest.markdown(), "s");
  assert.ok(Math.abs(Number(p50) - 5_000) <= 100, p50);
});

Deno.test("digest: the five slowest calls, slowest first, and the first twenty failures of all", () => {
  const digest = new Digest(["s"]);
  for (let id = 0; id < 50; id++) {
    digest.message(response("s", id, id * 3, id < 30 ? `error ${id}` : undefined), AT);
  }
  const markdown = digest.markdown();
  const slowest = markdown.split("**Slowest calls**")[1].split("**Failed calls**")[0].split("\n").filter((
    line,
  ) => line.startsWith("| s |"));
  assert.deepEqual(slowest.map((line) => line.split("|")[3].trim()), ["147", "144", "141", "138", "135"]);
  assert.match(markdown, /\*\*Failed calls\*\* \(the first 20 of 30\)/);
  const failed = markdown.split("**Failed calls**")[1].split("\n").filter((line) => line.startsWith("| s |"));
  assert.equal(failed.length, 20);
  assert.match(failed[0], /\| error 0 \| 10:00:00\.000 \|$/);
});

Deno.test("digest: a backend's error text cannot break the table or bring HTML into it", () => {
  const digest = new Digest(["s"]);
  digest.message(
    response("s", 1, 1, "a | b\n<script>alert(1)</script> [x](javascript:y) " + "z".repeat(500)),
    AT,
  );
  const [, line] = digest.markdown().split("**Failed calls**")[1].split("\n").filter((text) =>
    text.startsWith("|")
  )
    .slice(1);
  assert.equal(line.split(/(?<!\\)\|/).length, 6, line);
  assert.doesNotMatch(line, /(?<!\\)<|(?<!\\)\]\(/, "unescaped HTML or link");
  assert.ok(line.length < 300, `${line.length} characters`);
});
