import assert from "node:assert/strict";
import { StepSummary } from "../../src/observability/summary.ts";
import { tempDir } from "../support/temp.ts";

const BUFFERING = { bufferBytes: 64 * 1024, flushMs: 500, onError: () => assert.fail("a write failed") };
const block = (i: number) =>
  `**s**→\`tools/call\` \`echo\`\n\n\`\`\`json\n{"id":${i},"é":"${"x".repeat(80)}"}\n\`\`\`\n\n`;

Deno.test("step summary: the digest first, whole blocks up to the budget, and how many were left out", async () => {
  const dir = await tempDir("awmg-summary-");
  const path = `${dir}/gateway.md`;
  await Deno.writeTextFile(path, "an earlier run\n");
  const budget = 4096;
  const summary = await StepSummary.open(path, budget, ["s"], BUFFERING);
  for (let i = 0; i < 100; i++) summary.append(block(i));
  await summary.finish();
  const bytes = await Deno.readFile(path);
  assert.ok(bytes.length <= budget, `${bytes.length} bytes`);
  const text = new TextDecoder().decode(bytes);
  assert.ok(text.startsWith("# MCP Gateway\n\n| server |"));
  const [, body] = text.split("\n---\n\n");
  const shown = body.match(/^\*\*s\*\*→/gm)?.length ?? 0;
  assert.ok(shown > 10, `${shown} blocks shown`);
  assert.equal(body.split("```").length % 2, 1, "a code block was cut");
  assert.ok(
    body.endsWith(
      `_${100 - shown} more entries were left out to keep this summary under 4096 bytes ` +
        "(MCP_GATEWAY_SUMMARY_MAX_SIZE); rpc-messages.jsonl holds every message._\n",
    ),
  );
  assert.equal(
    await Deno.readTextFile(`${path}.1`),
    "an earlier run\n",
    "the earlier run's summary is kept aside",
  );
});

Deno.test("step summary: under the budget every block is shown and no line says otherwise", async () => {
  const dir = await tempDir("awmg-summary-");
  const summary = await StepSummary.open(
    `${dir}/gateway.md`,
    1 << 20,
    ["s"],
    BUFFERING,
  );
  for (let i = 0; i < 10; i++) summary.append(block(i));
  await summary.finish();
  const text = await Deno.readTextFile(`${dir}/gateway.md`);
  assert.equal(text.match(/^\*\*s\*\*→/gm)?.length, 10);
  assert.doesNotMatch(text, /left out/);
});

Deno.test("step summary: the first block that does not fit closes it; later blocks are counted, never made", async () => {
  const dir = await tempDir("awmg-summary-");
  const summary = await StepSummary.open(`${dir}/gateway.md`, 4096, ["s"], BUFFERING);
  let made = 0;
  summary.append(block(0));
  summary.append("x".repeat(5000));
  for (let i = 1; i < 50; i++) summary.append(() => (made++, block(i)));
  await summary.finish();
  const text = await Deno.readTextFile(`${dir}/gateway.md`);
  assert.equal(made, 0, "a block was formatted after the summary closed");
  assert.equal(text.match(/^\*\*s\*\*→/gm)?.length, 1);
  assert.match(text, /_50 more entries were left out/);
});
