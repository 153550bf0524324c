/**
 * The definition scanner against public corpora (tests/fixtures/corpora/): every poisoned definition of
 * the classes it looks for is caught, and GitHub's own tool definitions raise nothing.
 */
import assert from "node:assert/strict";
import { type FindingKind, referenceTools, REPORTED_ONLY, scanDefinition } from "../../src/pins/scan.ts";

const CORPORA = new URL("../fixtures/corpora/", import.meta.url);
const read = async (name: string) => JSON.parse(await Deno.readTextFile(new URL(name, CORPORA)));

interface Entry {
  id: string;
  label: "malicious" | "benign";
  category: string;
  server?: string;
  tool?: Record<string, unknown>;
  description?: string;
  peers?: { server: string; tool: Record<string, unknown> }[];
}

/** The kinds found in one corpus entry, its peers on other servers taken as the other servers' tools. */
function kinds(entry: Entry): FindingKind[] {
  const tool = entry.tool ?? { name: entry.id, description: entry.description };
  const others = (entry.peers ?? []).filter((peer) => peer.server !== entry.server).map((peer) => peer.tool);
  return scanDefinition(tool, referenceTools(others)).map((finding) => finding.kind);
}

Deno.test("mcpproxy-go's detect corpus: every case of the scanner's classes caught", async () => {
  const { entries } = await read("mcpproxy-detect_corpus_v1.json") as { entries: Entry[] };
  const expected: Record<string, FindingKind[]> = {
    unicode_smuggling: [
      "tag characters",
      "bidirectional controls",
      "zero-width characters",
      "private-use characters",
    ],
    decoded_payload: ["encoded text"],
    shadowing: ["shadowing", "reference"],
  };
  const ours = entries.filter((entry) => entry.category in expected);
  assert.equal(ours.length, 16);
  for (const entry of ours) {
    const found = kinds(entry);
    assert.ok(
      found.some((kind) => expected[entry.category].includes(kind)),
      `${entry.id}: ${found.join(", ")}`,
    );
  }
});

Deno.test("mcpproxy-go's hard negatives and benign definitions: only the two that hide text in Base64 are flagged", async () => {
  const { entries } = await read("mcpproxy-detect_corpus_v1.json") as { entries: Entry[] };
  const benign = entries.filter((entry) => entry.label === "benign");
  const flagged = benign.filter((entry) => kinds(entry).length > 0).map((entry) => entry.id);
  assert.equal(benign.length, 26);
  // Both carry readable text in Base64: shown to the reviewer decoded, as any hidden text is.
  assert.deepEqual(flagged, ["hn_decoded_json", "hn_decoded_text"]);
});

Deno.test("mcpproxy-go's security corpus: the poisoned definitions with hidden markup are caught", async () => {
  const { entries } = await read("mcpproxy-security_corpus_v1.json") as { entries: Entry[] };
  const caught = entries.filter((entry) => kinds(entry).length > 0).map((entry) => entry.id);
  // tp_01 hides an <IMPORTANT> block, tp_04 a <secret> one; the rest are plain sentences, which no
  // deterministic check can tell from an honest description (and the shadowing ones name no peer server).
  assert.deepEqual(caught, ["tp_01", "tp_04"]);
});

Deno.test("GitHub's own tool definitions (github-mcp-server's 117 snapshots) raise nothing", async () => {
  const tools = await read("github-mcp-server-toolsnaps.json") as Record<string, unknown>[];
  assert.equal(tools.length, 117);
  const names = new Set(tools.map((tool) => String(tool.name)));
  for (const tool of tools) {
    assert.deepEqual(scanDefinition(tool, new Map()), [], String(tool.name));
    // The same server configured twice (two tokens, two toolsets): its twin's tools are not shadowing.
    assert.deepEqual(scanDefinition(tool, referenceTools(tools), names), [], `${tool.name}, beside its twin`);
  }
});

Deno.test("gh-aw's pairing: GitHub's tools beside its 42 safe-output tools withhold nothing, either way", async () => {
  const github = await read("github-mcp-server-toolsnaps.json") as Record<string, unknown>[];
  const safeOutputs = await read("gh-aw-safe_outputs_tools.json") as Record<string, unknown>[];
  assert.equal(safeOutputs.length, 42);
  const referenced: string[] = [];
  for (const [mine, theirs] of [[github, safeOutputs], [safeOutputs, github]]) {
    const own = new Set(mine.map((tool) => String(tool.name)));
    for (const tool of mine) {
      const found = scanDefinition(tool, referenceTools(theirs), own);
      assert.deepEqual(found.filter((f) => !REPORTED_ONLY.has(f.kind)), [], String(tool.name));
      referenced.push(...found.map((f) => `${tool.name}: ${f.shown}`));
    }
  }
  // GitHub's own descriptions name tools that safe outputs has too: reported, never withheld.
  assert.ok(
    referenced.includes("label_write: names update_issue, a tool of another server"),
    referenced.join("; "),
  );
});
