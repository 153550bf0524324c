/** The flow rules, checked with the examples of the Go gateway's internal/difc/DIFC_RULES.md. */
import assert from "node:assert/strict";
import { AgentLabels } from "../../src/difc/agent.ts";
import { evaluate, type LabeledResource, labels } from "../../src/difc/labels.ts";

const resource = (secrecy: string[] = [], integrity: string[] = []): LabeledResource => ({
  description: "r",
  ...labels(secrecy, integrity),
});

Deno.test("example 1: a private-scoped agent cannot write to a public resource", () => {
  const verdict = evaluate(labels(["private:octo-org/my-repo"]), resource(), "write", "strict");
  assert.ok(verdict.decision === "deny");
  assert.deepEqual(verdict.secrecyToAdd, ["private:octo-org/my-repo"]);
  assert.match(
    verdict.reason,
    /Agent carries private \(octo-org\/my-repo\)-scoped data that cannot be written/,
  );
});

Deno.test("example 2: a high-integrity agent cannot read a low-integrity resource", () => {
  const verdict = evaluate(labels([], ["trusted", "verified"]), resource(), "read", "strict");
  assert.ok(verdict.decision === "deny");
  assert.deepEqual(verdict.integrityToDrop, ["trusted", "verified"]);
  assert.match(verdict.reason, /has lower integrity than agent requires/);
});

Deno.test("example 3: an agent cleared for a private scope reads it", () => {
  const agent = labels(["private:octo-org/my-repo", "private:octo-org"]);
  assert.equal(evaluate(agent, resource(["private:octo-org/my-repo"]), "read", "strict").decision, "allow");
});

Deno.test("example 4: a trusted agent writes to a production resource", () => {
  const agent = labels([], ["production", "verified"]);
  assert.equal(evaluate(agent, resource([], ["production"]), "write", "strict").decision, "allow");
});

Deno.test("the public internet: no private agent writes to it, no trusting agent reads from it", () => {
  assert.equal(evaluate(labels(["private:o/r"]), resource(), "write", "strict").decision, "deny");
  assert.equal(evaluate(labels([], ["trusted"]), resource(), "read", "strict").decision, "deny");
  assert.equal(evaluate(labels(), resource(), "read-write", "strict").decision, "allow");
});

Deno.test("read-write needs both rules; the wildcard holds every tag", () => {
  const agent = labels(["private:o/r"], ["approved"]);
  const readable = resource(["private:o/r"], ["approved"]);
  assert.equal(evaluate(agent, readable, "read-write", "strict").decision, "allow");
  assert.equal(
    evaluate(agent, resource([], ["approved"]), "read-write", "strict").decision,
    "deny",
    "write leaks",
  );
  assert.equal(evaluate(agent, resource(["*"]), "write", "strict").decision, "allow", "a sink accepting *");
  assert.equal(evaluate(labels([], ["*"]), resource([], ["merged"]), "write", "strict").decision, "allow");
});

Deno.test("propagate: reads pass and say what to add and drop; writes are never propagated", () => {
  const read = evaluate(labels([], ["trusted", "verified"]), resource(["secret"]), "read", "propagate");
  assert.equal(read.decision, "propagate");
  assert.ok(read.decision === "propagate");
  assert.deepEqual([read.secrecyToAdd, read.integrityToDrop], [["secret"], ["trusted", "verified"]]);
  assert.match(
    read.reason,
    /adding secrecy tags \[secret\] and dropping integrity tags \[trusted verified\]/,
  );
  assert.equal(evaluate(labels(["secret"]), resource(), "write", "propagate").decision, "deny");
});

Deno.test("an agent absorbs what it reads: secrecy added, integrity kept only where the data had it", () => {
  const agent = new AgentLabels();
  agent.add([], ["unapproved", "approved"]);
  assert.equal(agent.absorb(resource(["private:o/r"], ["unapproved", "approved"])), true);
  assert.deepEqual(agent.snapshot(), { secrecy: ["private:o/r"], integrity: ["approved", "unapproved"] });
  assert.equal(agent.absorb(resource([], ["unapproved"])), true);
  assert.deepEqual(agent.snapshot(), { secrecy: ["private:o/r"], integrity: ["unapproved"] });
  assert.equal(agent.absorb(resource([], ["*"])), false, "a wildcard integrity takes nothing away");
  assert.deepEqual(agent.snapshot().integrity, ["unapproved"], "a wildcard integrity takes nothing away");
  assert.equal(
    agent.absorb(resource(["private:o/r", "private:o/s"], [])),
    true,
    "a secrecy added beside integrity lost",
  );
});
