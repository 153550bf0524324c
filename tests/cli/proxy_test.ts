/**
 * `awmg proxy`'s flags: Go's defaults and environment fallbacks, the booleans Go's flag parser accepts, and
 * one clear line for each mistake.
 */
import assert from "node:assert/strict";
import { parseProxyArgs } from "../../src/cli/proxy.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const GUARD = ["--guard-wasm", "/g.wasm"];

Deno.test("defaults: 127.0.0.1:8080, the log directory, strict, the API and token from the environment", async () => {
  const parsed = await parseProxyArgs(
    GUARD,
    env({ GITHUB_SERVER_URL: "https://corp.ghe.com", GH_TOKEN: "t" }),
  );
  assert.equal(parsed.kind, "proxy");
  if (parsed.kind !== "proxy") return;
  assert.deepEqual(parsed.settings, {
    guardWasm: "/g.wasm",
    token: "t",
    listen: { hostname: "127.0.0.1", port: 8080 },
    logDir: "/tmp/gh-aw/mcp-logs",
    mode: "strict",
    modeChosen: false,
    apiUrl: "https://api.corp.ghe.com",
    forcePublicRepos: true,
    trustedBots: [],
    trustedUsers: [],
  });
});

Deno.test("gh-aw's flags: policy, listen, log dir, TLS dir and names, mode, trusted bots and users", async () => {
  const parsed = await parseProxyArgs([
    ...GUARD,
    "--policy",
    '{"allow-only":{"repos":"public"}}',
    "-l",
    "0.0.0.0:18443",
    "--log-dir",
    "/tmp/gh-aw/mcp-logs",
    "--tls",
    "--tls-dir",
    "/tmp/gh-aw/proxy-logs/proxy-tls",
    "--tls-dns-name",
    "a.internal",
    "--tls-dns-name=b.internal",
    "--guards-mode",
    "FILTER",
    "--trusted-bots",
    "github-actions[bot],dependabot[bot]",
    "--trusted-users",
    "alice",
    "--force-public-repos=false",
    "--github-token",
    "flag-token",
  ], env({ GITHUB_TOKEN: "env-token", MCP_GATEWAY_LOG_DIR: "/tmp/gh-aw/other" }));
  assert.equal(parsed.kind, "proxy");
  if (parsed.kind !== "proxy") return;
  const s = parsed.settings;
  assert.deepEqual(s.listen, { hostname: "0.0.0.0", port: 18443 });
  assert.deepEqual(s.tls, { dir: "/tmp/gh-aw/proxy-logs/proxy-tls", dnsNames: ["a.internal", "b.internal"] });
  assert.equal(s.mode, "filter");
  assert.equal(s.modeChosen, true);
  assert.deepEqual(s.trustedBots, ["github-actions[bot]", "dependabot[bot]"]);
  assert.deepEqual(s.trustedUsers, ["alice"]);
  assert.equal(s.forcePublicRepos, false);
  assert.equal(s.token, "flag-token", "the flag wins over the environment");
  assert.equal(s.logDir, "/tmp/gh-aw/mcp-logs");
});

Deno.test("the environment: MCP_GATEWAY_GUARD_POLICY_JSON, MCP_GATEWAY_GUARDS_MODE, MCP_GATEWAY_LOG_DIR, the TLS dir under it", async () => {
  const parsed = await parseProxyArgs(
    [...GUARD, "--tls"],
    env({
      MCP_GATEWAY_GUARD_POLICY_JSON: '{"allow-only":{"repos":"all"}}',
      MCP_GATEWAY_GUARDS_MODE: "propagate",
      MCP_GATEWAY_LOG_DIR: "/tmp/gh-aw/logs/",
      MCP_GATEWAY_FORCE_PUBLIC_REPOS: "off",
    }),
  );
  assert.equal(parsed.kind, "proxy");
  if (parsed.kind !== "proxy") return;
  assert.equal(parsed.settings.policy, '{"allow-only":{"repos":"all"}}');
  assert.equal(parsed.settings.mode, "propagate");
  assert.deepEqual(parsed.settings.tls, { dir: "/tmp/gh-aw/logs/proxy-tls", dnsNames: [] });
  assert.equal(parsed.settings.forcePublicRepos, false);
});

Deno.test("mistakes are one line each", async () => {
  const error = async (args: string[], vars: Record<string, string> = {}) => {
    const parsed = await parseProxyArgs(args, env(vars));
    assert.equal(parsed.kind, "error", args.join(" "));
    return parsed.kind === "error" ? parsed.message : "";
  };
  assert.match(await error([...GUARD, "--listen", "nowhere"]), /invalid --listen "nowhere"/);
  assert.match(await error([...GUARD, "--guards-mode", "lenient"]), /invalid --guards-mode "lenient"/);
  assert.match(await error([...GUARD, "--tls-dns-name", "a.internal"]), /--tls-dns-name requires --tls/);
  assert.match(await error([...GUARD, "--tls=maybe"]), /invalid argument "maybe" for "--tls" flag/);
  assert.match(await error([...GUARD, "--bogus"]), /--bogus/);
  assert.match(await error([...GUARD, "--otlp-sample-rate", "2"]), /between 0 and 1/);
  assert.match(await error([], { MCP_GATEWAY_WASM_GUARDS_DIR: "/nonexistent" }), /no guard module/);
  assert.deepEqual(await parseProxyArgs(["--help"], env({})), { kind: "help" });
});
