/**
 * The replica settings: the shared store, the state keys every replica seals `requestState` with, and this
 * replica's name and address. The environment wins over the config for the keys and the name, so one config
 * file serves every replica and the keys stay out of it.
 */
import type { GatewayConfig } from "../config/types.ts";
import type { ClusterSettings } from "../cluster/join.ts";
import { MIN_STATE_KEY, REPLICA_NAME, REPLICA_ORIGIN, REPLICA_URL } from "../config/schema.ts";
import type { EnvLookup } from "./help.ts";
import { randomHex } from "../hex.ts";

/** A random replica name (8 hex digits) for a replica the config and environment do not name. */
export function randomReplicaId(): string {
  return randomHex(4);
}

/** The replica settings, undefined without a store, or the error to stop with. */
export function resolveCluster(
  config: GatewayConfig,
  env: EnvLookup,
  generateId: () => string = randomReplicaId,
): ClusterSettings | undefined | string {
  const { gateway } = config;
  if (gateway.store === undefined) return undefined;
  const stateKey = env("MCP_GATEWAY_STATE_KEY") || gateway.stateKey;
  const previous = env("MCP_GATEWAY_PREVIOUS_STATE_KEY") || gateway.previousStateKey;
  if (stateKey === undefined) {
    return "gateway.store shares state between replicas, and each must open the requestState the others " +
      `seal: set MCP_GATEWAY_STATE_KEY (or gateway.stateKey) to the same ${MIN_STATE_KEY}+ random characters on ` +
      "every replica (openssl rand -hex 32)";
  }
  for (
    const [name, key] of [["MCP_GATEWAY_STATE_KEY", stateKey], ["MCP_GATEWAY_PREVIOUS_STATE_KEY", previous]]
  ) {
    if (key !== undefined && key.length < MIN_STATE_KEY) {
      return `${name} is ${key.length} characters: a state key needs at least ${MIN_STATE_KEY} random characters ` +
        "(openssl rand -hex 32)";
    }
  }
  const replicaId = env("MCP_GATEWAY_REPLICA_ID") || gateway.replicaId || generateId();
  if (!REPLICA_NAME.test(replicaId)) {
    return `MCP_GATEWAY_REPLICA_ID "${replicaId}" is not a replica name: use lowercase letters, digits and -, ` +
      "at most 32";
  }
  const replicaUrl = env("MCP_GATEWAY_REPLICA_URL") || gateway.replicaUrl;
  // The config's own is checked with the config; the environment's is checked here, alike.
  if (replicaUrl !== undefined && !REPLICA_ORIGIN.test(replicaUrl)) {
    return `MCP_GATEWAY_REPLICA_URL is not ${REPLICA_URL} (an origin, without a user, a password or a path)`;
  }
  return {
    store: gateway.store,
    stateKeys: previous === undefined ? [stateKey] : [stateKey, previous],
    replicaId,
    ...(replicaUrl === undefined ? {} : { replicaUrl: replicaUrl.replace(/\/$/, "") }),
  };
}

/** The host in this replica's configured URL, which hops from the others name; none when it runs alone. */
export function replicaHosts(cluster: ClusterSettings | undefined): string[] {
  const url = cluster?.replicaUrl;
  return url === undefined ? [] : [new URL(url).hostname];
}

/** A host other replicas can dial for a listen address (all interfaces: this machine's loopback). */
export function reachableHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
