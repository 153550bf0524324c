/**
 * The guard settings: the enforcement mode, the policy override (flags, then MCP_GATEWAY_GUARD_POLICY_JSON,
 * then the allow-only variables), the guards directory and the public-repository narrowing.
 */
import { allowOnlyFromScope, type GuardPolicy, parsePolicy } from "../config/policy.ts";
import type { ConfigIssue } from "../config/issues.ts";
import type { GatewayConfig } from "../config/types.ts";
import { type Mode, MODES } from "../difc/labels.ts";
import type { EnvLookup } from "./help.ts";
import type { RunOptions } from "./parse.ts";
import { envBoolean, pick } from "./precedence.ts";

/** Guard settings from the flags, the environment and the config. */
export interface GuardSettings {
  /** The enforcement mode, and whether the operator chose it (a guard's own default yields to a choice). */
  readonly mode: Mode;
  readonly modeChosen: boolean;
  /** The policy for every WebAssembly-guarded server, from --guard-policy-json, --allowonly-* or their variables. */
  readonly policyOverride?: { readonly policy: GuardPolicy; readonly source: string };
  /** MCP_GATEWAY_WASM_GUARDS_DIR: undefined when unset, "" when set blank (no guard discovery at all). */
  readonly wasmGuardsDir?: string;
  /**
   * Look up the workflow repository's visibility and narrow guarded servers to public repositories when it
   * is public: on unless `gateway.forcePublicRepos` or MCP_GATEWAY_FORCE_PUBLIC_REPOS says false.
   */
  readonly forcePublicRepos: boolean;
}

const ALLOW_ONLY_VARIABLES = {
  public: "MCP_GATEWAY_ALLOWONLY_SCOPE_PUBLIC",
  owner: "MCP_GATEWAY_ALLOWONLY_SCOPE_OWNER",
  repo: "MCP_GATEWAY_ALLOWONLY_SCOPE_REPO",
  minIntegrity: "MCP_GATEWAY_ALLOWONLY_MIN_INTEGRITY",
} as const;

function firstIssue(label: string, issues: readonly ConfigIssue[]): string {
  const [issue] = issues;
  const where = issue.path === "" ? "" : ` at ${issue.path}`;
  const expected = issue.expected === undefined ? "" : ` (expected ${issue.expected}, found ${issue.found})`;
  return `invalid ${label}${where}: ${issue.message}${expected}`;
}

/** The policy override: flags first, then MCP_GATEWAY_GUARD_POLICY_JSON, then the allow-only variables. */
function policyOverride(options: RunOptions, env: EnvLookup): GuardSettings["policyOverride"] | string {
  const issues: ConfigIssue[] = [];
  const fromJson = (label: string, text: string) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return `invalid ${label}: not JSON (${(error as Error).message})`;
    }
    const policy = parsePolicy(value, "", issues);
    return policy === undefined ? firstIssue(label, issues) : { policy, source: label };
  };
  const fromScope = (label: string, scope: NonNullable<RunOptions["allowOnly"]>) => {
    const policy = allowOnlyFromScope(scope, "", issues);
    return policy === undefined ? firstIssue(label, issues) : { policy, source: label };
  };
  if (options.guardPolicyJson !== undefined && options.guardPolicyJson.trim() !== "") {
    return fromJson("--guard-policy-json", options.guardPolicyJson);
  }
  if (options.allowOnly !== undefined) return fromScope("--allowonly-* flags", options.allowOnly);
  const json = env("MCP_GATEWAY_GUARD_POLICY_JSON")?.trim() ?? "";
  if (json !== "") return fromJson("MCP_GATEWAY_GUARD_POLICY_JSON", json);
  const set = Object.values(ALLOW_ONLY_VARIABLES).filter((name) => env(name) !== undefined);
  if (set.length === 0) return undefined;
  const flag = env(ALLOW_ONLY_VARIABLES.public)?.trim().toLowerCase() ?? "";
  return fromScope(set.join(", "), {
    public: ["1", "true", "yes", "on"].includes(flag),
    owner: env(ALLOW_ONLY_VARIABLES.owner),
    repo: env(ALLOW_ONLY_VARIABLES.repo),
    minIntegrity: env(ALLOW_ONLY_VARIABLES.minIntegrity),
  });
}

/** The guard settings, or the error to stop with; a source overridden by another is told in `warnings`. */
export function resolveGuards(
  options: RunOptions,
  config: GatewayConfig,
  env: EnvLookup,
  warnings: string[],
): GuardSettings | string {
  const envMode = env("MCP_GATEWAY_GUARDS_MODE") || undefined;
  for (
    const [label, value] of [["--guards-mode", options.guardsMode], ["MCP_GATEWAY_GUARDS_MODE", envMode]]
  ) {
    if (value !== undefined && !(MODES as readonly string[]).includes(value.toLowerCase())) {
      return `invalid ${label} "${value}": must be one of: ${MODES.join(", ")}`;
    }
  }
  const chosen = pick<string>(
    [
      { label: "--guards-mode", value: options.guardsMode?.toLowerCase() },
      { label: "MCP_GATEWAY_GUARDS_MODE", value: envMode?.toLowerCase() },
      { label: "gateway.guardsMode in the config", value: config.gateway.guardsMode },
    ],
    warnings,
    String,
  ) as Mode | undefined;
  const override = policyOverride(options, env);
  if (typeof override === "string") return override;
  const dir = env("MCP_GATEWAY_WASM_GUARDS_DIR");
  return {
    mode: chosen ?? "strict",
    modeChosen: chosen !== undefined,
    ...(override === undefined ? {} : { policyOverride: override }),
    ...(dir === undefined ? {} : { wasmGuardsDir: dir.trim() }),
    forcePublicRepos: config.gateway.forcePublicRepos !== false &&
      envBoolean(env("MCP_GATEWAY_FORCE_PUBLIC_REPOS")) !== false,
  };
}
