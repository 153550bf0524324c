/**
 * The MCP conformance suite (its frozen requirement sets for 2025-11-25 and 2026-07-28) against the
 * conformance fixture directly, and through awmg in front of the same fixture: what passes directly must
 * pass through the gateway, whichever revision the gateway speaks to the fixture.
 */
import assert from "node:assert/strict";
import { CONFORMANCE, PACKAGES, startGateway } from "../support/gateway.ts";
import { conformanceOverHttp } from "../support/modern.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;

/**
 * The scenarios whose checks name the server's own keys of `inputRequests` ("user_name", ...): a 2025
 * server's request carries no key, so through the bridge (the fixture spoken to in 2025-11-25) the client
 * sees the gateway's keys instead. Everything else must pass through the bridge too.
 */
const BRIDGE_KEYS = [
  "input-required-result-basic-elicitation",
  "input-required-result-basic-sampling",
  "input-required-result-basic-list-roots",
  "input-required-result-request-state",
  "input-required-result-multiple-input-requests",
  "input-required-result-multi-round",
  "input-required-result-non-tool-request",
  "input-required-result-result-type",
  "input-required-result-tampered-state",
  "input-required-result-capability-check",
];

/** Runs one requirement set against `url`; each scenario's verdict by name. */
async function conformance(url: string, revision: string): Promise<Map<string, boolean>> {
  const cwd = await Deno.makeTempDir({ prefix: "awmg-conformance-" });
  try {
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `npm:${PACKAGES.conformance}`,
        "server",
        "--url",
        url,
        "--requirements",
        revision,
      ],
      cwd,
      stdout: "piped",
      stderr: "null",
    }).output();
    const verdicts = new Map<string, boolean>();
    for (const line of new TextDecoder().decode(stdout).split("\n")) {
      const match = /^([✓✗]) (\S+): \d+ passed, \d+ failed/.exec(line);
      if (match !== null) verdicts.set(match[2], match[1] === "✓");
    }
    assert.ok(verdicts.size > 20, `the suite ran: ${verdicts.size} scenarios`);
    return verdicts;
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

const passed = (verdicts: Map<string, boolean>) => [...verdicts].filter(([, ok]) => ok).map(([name]) => name);

Deno.test(
  "conformance: awmg passes what its fixture passes, in both revisions, both ways of speaking to it",
  e2e,
  async (t) => {
    const fixture = await conformanceOverHttp();
    const gateway = await startGateway({
      toml: CONFORMANCE("auto") + CONFORMANCE("bridged", 'protocol_version = "2025-11-25"\n'),
    });
    try {
      for (const revision of REVISIONS) {
        await t.step(`requirement set ${revision}`, async () => {
          const direct = await conformance(fixture.url, revision);
          const [auto, bridged] = await Promise.all([
            conformance(`${gateway.url}/mcp/auto`, revision),
            conformance(`${gateway.url}/mcp/bridged`, revision),
          ]);
          const scored = [
            "tools-call-simple-text",
            "resources-read-text",
            "prompts-get-simple",
            "dns-rebinding-protection",
          ];
          for (const name of scored) assert.equal(direct.get(name), true, `the fixture passes ${name}`);
          // Every scenario the set scores (30 and 37), and the unscored ones the fixture passes besides.
          assert.ok(
            passed(direct).length >= (revision === "2025-11-25" ? 30 : 37),
            passed(direct).join(", "),
          );
          for (const name of passed(direct)) {
            assert.equal(
              auto.get(name),
              true,
              `${name} passes directly and through awmg (fixture in 2026-07-28)`,
            );
            if (!BRIDGE_KEYS.includes(name)) {
              assert.equal(
                bridged.get(name),
                true,
                `${name} passes directly and through the bridge (fixture in 2025-11-25)`,
              );
            }
          }
        });
      }
    } finally {
      await gateway.stop();
      await fixture.stop();
    }
  },
);
