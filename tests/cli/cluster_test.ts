/**
 * The replica settings: a store needs a shared state key of 32 characters or more, the environment wins over
 * the config for the keys and the name, and the config's store URL, keys and replica name are checked (and
 * their secrets kept out of logs) when the file is read.
 */
import assert from "node:assert/strict";
import { reachableHost, replicaHosts, resolveCluster } from "../../src/cli/cluster.ts";
import { formatIssue } from "../../src/config/issues.ts";
import { loadConfigText } from "../../src/config/load.ts";
import type { GatewayConfig } from "../../src/config/types.ts";

const KEY = "a".repeat(32);

/** The config of one server and this gateway section, loaded. */
function load(gateway: string) {
  const text = `[gateway]\n${gateway}\n[servers.s]\ncommand = "true"\n`;
  return loadConfigText(text, "toml", { kind: "file", path: "c.toml" }, () => undefined);
}

function config(gateway: string): GatewayConfig {
  const loaded = load(gateway);
  if (!loaded.ok) assert.fail(loaded.failure.errors.map(formatIssue).join("\n"));
  return loaded.config;
}

function errors(gateway: string): string[] {
  const loaded = load(gateway);
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.failure.errors.map(formatIssue);
}

Deno.test("without a store a gateway runs alone, whatever else is set", () => {
  assert.equal(resolveCluster(config(`state_key = "${KEY}"`), () => undefined), undefined);
});

Deno.test("a store without a state key fails the start, saying how to make one", () => {
  const refused = resolveCluster(config('store = "redis://127.0.0.1:6379"'), () => undefined);
  assert.equal(typeof refused, "string");
  assert.match(
    refused as string,
    /set MCP_GATEWAY_STATE_KEY .* the same 32\+ random characters on every replica/,
  );
  const short = resolveCluster(
    config('store = "redis://h:1"'),
    (name) => name === "MCP_GATEWAY_STATE_KEY" ? "short" : undefined,
  );
  assert.match(short as string, /MCP_GATEWAY_STATE_KEY is 5 characters: a state key needs at least 32/);
});

Deno.test("the environment's keys and name win over the config's; a rotation keeps the previous key second", () => {
  const env: Record<string, string> = {
    MCP_GATEWAY_STATE_KEY: "n".repeat(40),
    MCP_GATEWAY_PREVIOUS_STATE_KEY: KEY,
    MCP_GATEWAY_REPLICA_ID: "east-1",
  };
  const cluster = resolveCluster(
    config(
      `store = "rediss://:pw@cache:6380/2"\nstate_key = "${
        "c".repeat(32)
      }"\nreplica_url = "http://10.0.0.5:8000/"`,
    ),
    (name) => env[name],
  );
  assert.deepEqual(cluster, {
    store: "rediss://:pw@cache:6380/2",
    stateKeys: ["n".repeat(40), KEY],
    replicaId: "east-1",
    replicaUrl: "http://10.0.0.5:8000",
  });
  const named = resolveCluster(
    config(`store = "redis://h:1"\nstate_key = "${KEY}"`),
    () => undefined,
    () => "ab12",
  );
  assert.equal((named as { replicaId: string }).replicaId, "ab12", "unnamed replicas get a random name");
  const bad = resolveCluster(
    config(`store = "redis://h:1"\nstate_key = "${KEY}"`),
    (name) => name === "MCP_GATEWAY_REPLICA_ID" ? "Bad.Name" : undefined,
  );
  assert.match(bad as string, /"Bad\.Name" is not a replica name/);
});

Deno.test("the config's store URL, state keys and replica name are checked; its secrets are never logged", () => {
  const found = errors(
    'store = "http://:pw@cache:6379"\nstate_key = "short-key"\nreplica_id = "R_1"\nreplica_url = "ftp://x"',
  ).join("\n");
  assert.match(found, /gateway\.store[^]*expected a Redis URL such as "redis:\/\/host:6379"/);
  assert.match(found, /gateway\.state_key[^]*expected at least 32 characters of random text/);
  assert.match(found, /gateway\.replica_id[^]*expected a short lowercase name[^]*found "R_1"/);
  assert.match(found, /gateway\.replica_url[^]*expected the URL other replicas reach this one at/);
  assert.ok(!found.includes("short-key") && !found.includes(":pw@"), "a bad key or URL is not echoed");
  const secrets = config(`store = "redis://:hunter2@cache:6379"\nstate_key = "${KEY}"`).secrets;
  assert.ok(secrets.includes("hunter2") && secrets.includes(KEY));
});

Deno.test("a replica's URL is an origin without credentials, from the environment as from the config", () => {
  const base = config(`store = "redis://h:1"\nstate_key = "${KEY}"`);
  for (const url of ["not a url", "http://u:pw@gw-2:8000", "http://gw-2:8000/mcp", "ftp://gw-2"]) {
    const refused = resolveCluster(base, (name) => name === "MCP_GATEWAY_REPLICA_URL" ? url : undefined);
    assert.equal(
      refused,
      'MCP_GATEWAY_REPLICA_URL is not the URL other replicas reach this one at, such as "http://10.0.0.5:8000" ' +
        "(an origin, without a user, a password or a path)",
      url,
    );
  }
  const found = errors(
    `store = "redis://h:1"\nstate_key = "${KEY}"\nreplica_url = "http://u:pw@10.0.0.5:8000"`,
  )
    .join("\n");
  assert.match(found, /gateway\.replica_url[^]*expected the URL other replicas reach this one at/);
  const ipv6 = resolveCluster(
    base,
    (name) => name === "MCP_GATEWAY_REPLICA_URL" ? "http://[::1]:8001/" : undefined,
  );
  assert.equal((ipv6 as { replicaUrl: string }).replicaUrl, "http://[::1]:8001");
});

Deno.test("other replicas dial a listen address on every interface through this machine's loopback", () => {
  assert.deepEqual(
    ["0.0.0.0", "::", "127.0.0.1", "::1", "gw.internal"].map(reachableHost),
    ["127.0.0.1", "[::1]", "127.0.0.1", "[::1]", "gw.internal"],
  );
});

Deno.test("a replica's configured URL names the host the others' hops arrive for", () => {
  const cluster = resolveCluster(
    config(
      `store = "redis://127.0.0.1:6379"\nstate_key = "${KEY}"\nreplica_url = "http://gw-2.internal:8080"`,
    ),
    () => undefined,
  );
  assert.ok(typeof cluster === "object", String(cluster));
  assert.deepEqual(replicaHosts(cluster), ["gw-2.internal"]);
  assert.deepEqual(replicaHosts(undefined), []);
});
