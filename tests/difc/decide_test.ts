/** The reference monitor's decisions on labelled results, in each mode. */
import assert from "node:assert/strict";
import { AgentLabels } from "../../src/difc/agent.ts";
import { admit, filteredNotice, release } from "../../src/difc/decide.ts";
import { labelListed, labelResult } from "../../src/difc/items.ts";
import { labels, type Mode } from "../../src/difc/labels.ts";

const APPROVED = ["unapproved", "approved"];
const issues = [
  { number: 1, author_association: "OWNER" },
  { number: 2, author_association: "NONE" },
];
const wrapped = { content: [{ type: "text", text: JSON.stringify({ total: 2, items: issues }) }] };
const paths = {
  itemsPath: "/items",
  labeledPaths: [
    { path: "/items/0", labels: { description: "issue 1", secrecy: [], integrity: APPROVED } },
    { path: "/items/1", labels: { description: "issue 2", secrecy: [], integrity: ["unapproved"] } },
  ],
};
const read = {
  resource: { description: "repo", ...labels([], [...APPROVED, "merged"]) },
  operation: "read" as const,
};

function agent(): AgentLabels {
  const labelsOf = new AgentLabels();
  labelsOf.add([], APPROVED);
  return labelsOf;
}

function decide(mode: Mode, tool = "list_issues") {
  const who = agent();
  const admission = admit(who, read, mode);
  assert.ok(admission.kind === "proceed");
  const labeled = labelResult(wrapped, paths);
  assert.ok(typeof labeled !== "string");
  const outcome = release(who, read, admission, labeled, mode, tool);
  return { who, outcome, tainted: who.absorbAll(outcome.absorbed) };
}

Deno.test("strict refuses the whole result when one item is not readable", () => {
  const { outcome } = decide("strict");
  assert.ok(outcome.kind === "refuse");
  assert.match(outcome.message, /1 of 2 items in response are not accessible/);
  assert.equal(outcome.filtered[0].labels.description, "issue 2");
});

Deno.test("filter keeps the rest of the answer, drops the item, and appends a notice", () => {
  const { outcome } = decide("filter");
  assert.ok(outcome.kind === "filter");
  const [data, notice] = outcome.result.content as { text: string }[];
  assert.deepEqual(JSON.parse(data.text), { total: 2, items: [issues[0]] });
  assert.equal(
    notice.text,
    "[Filtered] 1 item(s) in this response were removed by integrity policy and are not shown: issue 2 " +
      "(Resource 'issue 2' has lower integrity than agent requires. The agent cannot read data with integrity below \"approved\".).",
  );
  assert.equal((outcome.result as { structuredContent?: unknown }).structuredContent, undefined);
});

Deno.test("propagate shows all and lowers the agent to the least trusted item", () => {
  const { who, outcome, tainted } = decide("propagate");
  assert.equal(outcome.kind, "pass");
  assert.ok(tainted);
  assert.deepEqual(who.snapshot().integrity, ["unapproved"]);
});

Deno.test("a pass gives what was read to absorb; the agent is tainted only when its labels change", () => {
  const who = agent();
  const trusted = { resource: { description: "repo", ...labels([], APPROVED) }, operation: "read" as const };
  const admission = admit(who, trusted, "propagate");
  assert.ok(admission.kind === "proceed");
  const outcome = release(who, trusted, admission, undefined, "propagate", "get_repository");
  assert.deepEqual(outcome, { kind: "pass", absorbed: [trusted.resource] });
  assert.equal(who.absorbAll(outcome.absorbed), false);
  const { outcome: filtered } = decide("filter");
  assert.deepEqual(filtered.absorbed, [], "only propagate mode taints");
});

Deno.test("a denied read without per-item labels is judged whole: never shown unchecked", () => {
  const who = agent();
  const secret = {
    resource: { description: "repo", ...labels(["private:o/r"], APPROVED) },
    operation: "read" as const,
  };
  const admission = admit(who, secret, "filter");
  assert.ok(admission.kind === "proceed" && admission.verdict.decision === "deny");
  const outcome = release(who, secret, admission, undefined, "filter", "get_repository");
  assert.ok(outcome.kind === "refuse");
  assert.match(
    outcome.message,
    /\[Filtered\] repo exists but is not accessible — filtered by secrecy policy/,
  );
});

Deno.test("writes that break the rules are refused before the call; allowed writes are not labelled after", () => {
  const tainted = new AgentLabels();
  tainted.add(["private:o/r"], []);
  const write = { resource: { description: "public repo", ...labels() }, operation: "write" as const };
  assert.equal(admit(tainted, write, "propagate").kind, "refuse");
  const allowed = admit(new AgentLabels(), write, "strict");
  assert.ok(allowed.kind === "proceed" && !allowed.labelResponse);
});

Deno.test("labels that do not fit the result are an error in words; listed items rebuild from their data", () => {
  assert.equal(
    labelResult(wrapped, { ...paths, itemsPath: "/nope" }),
    "items_path /nope is not in the result",
  );
  assert.equal(labelResult(wrapped, { ...paths, itemsPath: "/total" }), "items_path /total is not an array");
  const listed = labelListed([
    { data: { a: 1 }, labels: { secrecy: [], integrity: [] } },
    { data: { b: 2 }, labels: { secrecy: ["private:o/r"], integrity: [] } },
  ]);
  assert.deepEqual(listed.rebuild([0]), { content: [{ type: "text", text: '[{"a":1}]' }] });
  assert.match(
    filteredNotice(Array(6).fill({ labels: { description: "x" }, reason: "r", secrecy: true })),
    /6 item\(s\).*secrecy policy and are not shown\.$/,
  );
});
