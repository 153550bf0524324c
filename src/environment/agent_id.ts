/**
 * The gateway's key from the environment, as the Go gateway's entrypoint reads it: `MCP_GATEWAY_AGENT_ID` is
 * the name, `MCP_GATEWAY_API_KEY` a deprecated alias that counts only when the new name is unset.
 */

/** The current name of the variable. */
export const AGENT_ID_VAR = "MCP_GATEWAY_AGENT_ID";
/** The deprecated name, still read. */
export const LEGACY_KEY_VAR = "MCP_GATEWAY_API_KEY";

/** The Go entrypoint's words when only the old name is set. */
export const LEGACY_KEY_WARNING =
  "MCP_GATEWAY_API_KEY is deprecated; please rename it to MCP_GATEWAY_AGENT_ID";

/** Where the key came from; undefined when neither variable holds a value. */
export interface EnvKey {
  readonly value: string;
  readonly variable: typeof AGENT_ID_VAR | typeof LEGACY_KEY_VAR;
}

/** The key the environment gives; an empty variable counts as unset, as in the Go entrypoint. */
export function envKey(env: (name: string) => string | undefined): EnvKey | undefined {
  const agentId = env(AGENT_ID_VAR) || undefined;
  if (agentId !== undefined) return { value: agentId, variable: AGENT_ID_VAR };
  const legacy = env(LEGACY_KEY_VAR) || undefined;
  return legacy === undefined ? undefined : { value: legacy, variable: LEGACY_KEY_VAR };
}

/**
 * The environment as the Go entrypoint leaves it: with only the old name set, `MCP_GATEWAY_AGENT_ID` reads
 * as its value too, so a config that says `"${MCP_GATEWAY_AGENT_ID}"` expands to the key either way.
 */
export function withAgentIdAlias(
  env: (name: string) => string | undefined,
): (name: string) => string | undefined {
  return (name) => name === AGENT_ID_VAR ? envKey(env)?.value : env(name);
}
