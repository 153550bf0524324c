/**
 * Decides which servers are guarded and by what, as the Go gateway does: a write-sink policy makes a
 * write-sink guard; otherwise a WebAssembly module found by discovery (the image's github guard, then the
 * first `.wasm` under `$MCP_GATEWAY_WASM_GUARDS_DIR/<serverID>/`) or named by the server's `guard`, run
 * with the server's allow-only policy. A policy with no guard to enforce it stops the start.
 */
import { type AllowOnlyPolicy, type GuardPolicy, publicScope } from "../config/policy.ts";
import type { GatewayConfig, ServerConfig } from "../config/types.ts";
import { NoopGuard, WriteSinkGuard } from "./builtin.ts";
import type { Guard } from "./guard.ts";
import { WasmGuardHost } from "./host.ts";
import { WasmGuard } from "./wasm_guard.ts";

/** Where the Go gateway's image bakes in the github guard. */
export const IMAGE_GUARD_PATH = "/guards/github/00-github-guard.wasm";

/** Output servers that the Go gateway treats as safe-outputs. */
const SAFE_OUTPUTS = ["safe-outputs", "safeoutputs"];

/** What guards need from the settings. */
export interface GuardOptions {
  readonly policyOverride?: { readonly policy: GuardPolicy; readonly source: string };
  /** MCP_GATEWAY_WASM_GUARDS_DIR: undefined when unset, "" when set blank. */
  readonly wasmGuardsDir?: string;
  /** Tests point this elsewhere; it is IMAGE_GUARD_PATH otherwise. */
  readonly imageGuardPath?: string;
  /**
   * The workflow's repository when it is public and `forcePublicRepos` holds: every server with a guard
   * module then reads public repositories only (its allow-only scope becomes `repos = "public"`).
   */
  readonly publicRepository?: string;
}

/** A guarded server's guard and what it enforces. */
export interface ServerGuard {
  readonly guard: Guard;
  readonly policy: GuardPolicy | undefined;
  /** Calls a session may make per tool (allow-only `tool-call-limits`); 0 or absent is unlimited. */
  readonly toolCallLimits: Readonly<Record<string, number>>;
  /** Where the guard came from, for the startup log. */
  readonly origin: string;
}

/** The guards of a configuration, or every reason it cannot be guarded as configured. */
export type GuardSetup =
  | {
    readonly ok: true;
    readonly guards: ReadonlyMap<string, ServerGuard>;
    readonly notes: readonly string[];
  }
  | { readonly ok: false; readonly errors: readonly string[] };

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The discovered module of a server and the places looked at. */
async function discover(
  serverId: string,
  options: GuardOptions,
): Promise<{ path?: string; looked: string[] }> {
  const looked: string[] = [];
  const dir = options.wasmGuardsDir;
  if (dir === "") return { looked: ["nowhere (MCP_GATEWAY_WASM_GUARDS_DIR is set but blank)"] };
  if (serverId === "github" && dir === undefined) {
    const image = options.imageGuardPath ?? IMAGE_GUARD_PATH;
    looked.push(image);
    if (await isFile(image)) return { path: image, looked };
  }
  if (dir === undefined) return { looked: [...looked, "no MCP_GATEWAY_WASM_GUARDS_DIR (not set)"] };
  const serverDir = `${dir.replace(/\/+$/, "")}/${serverId}`;
  looked.push(`${serverDir}/*.wasm`);
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(serverDir)) {
      if (entry.isFile && entry.name.toLowerCase().endsWith(".wasm")) names.push(entry.name);
    }
    names.sort();
    return names.length === 0 ? { looked } : { path: `${serverDir}/${names[0]}`, looked };
  } catch {
    return { looked };
  }
}

/**
 * The `label_agent` payload, as the Go gateway builds it: the allow-only object (with `trusted-users` inside
 * it when given) and the trusted bots beside it.
 */
export function agentPayload(
  policy: AllowOnlyPolicy,
  trustedBots: readonly string[],
  trustedUsers: readonly string[] = [],
): Record<string, unknown> {
  return {
    "allow-only": trustedUsers.length === 0
      ? policy.payload
      : { ...policy.payload, "trusted-users": trustedUsers },
    ...(trustedBots.length === 0 ? {} : { "trusted-bots": trustedBots }),
  };
}

function sinkVisibility(
  server: ServerConfig,
  policy: WriteSinkPolicy,
  exempt: readonly string[],
) {
  if (policy.sinkVisibility !== undefined) return policy.sinkVisibility;
  // Security by default, as the Go gateway: an output server other than safe-outputs publishes.
  const exempted = exempt.includes("*") || exempt.includes(server.id) || SAFE_OUTPUTS.includes(server.id);
  return exempted ? undefined : "public";
}

/** Loads the guard of every guarded server. Servers without guard or policy are left out. */
export async function setupGuards(config: GatewayConfig, options: GuardOptions): Promise<GuardSetup> {
  const setup = new Setup(config, options);
  for (const server of config.servers) await setup.add(server);
  return setup.finish();
}

type WriteSinkPolicy = Extract<GuardPolicy, { kind: "write-sink" }>;

/** One server's guard as configured: a module found or named, and the policy it enforces. */
interface Wanted {
  readonly server: ServerConfig;
  readonly where: string;
  /** The guard the server names, if any. */
  readonly named?: GatewayConfig["guards"][string];
  readonly found: { readonly path?: string; readonly looked: readonly string[] };
  readonly wasmPath?: string;
  readonly policy?: GuardPolicy;
}

/** The guards of one start, server by server, and what is wrong with them. */
class Setup {
  readonly #errors: string[] = [];
  readonly #notes: string[] = [];
  readonly #guards = new Map<string, ServerGuard>();
  /** Each module is compiled once, whichever servers use it. */
  readonly #hosts = new Map<string, Promise<WasmGuardHost>>();
  /** Servers whose policy the override replaced. */
  #overridden = 0;

  constructor(readonly config: GatewayConfig, readonly options: GuardOptions) {}

  async add(server: ServerConfig): Promise<void> {
    const own = server.guardPolicy;
    if (own?.kind === "write-sink") return this.#writeSink(server, own);
    const wanted = await this.#wanted(server);
    if (wanted.policy?.kind === "write-sink") {
      this.#errors.push(
        `${wanted.where}: a write-sink policy belongs on the server itself (guard-policies), not on its guard`,
      );
    } else if (wanted.wasmPath === undefined) this.#withoutModule(wanted);
    else if (wanted.policy === undefined) this.#withoutPolicy(wanted);
    else await this.#wasm(wanted, wanted.wasmPath, wanted.policy);
  }

  finish(): GuardSetup {
    const { policyOverride } = this.options;
    if (policyOverride !== undefined && this.#overridden === 0) {
      this.#errors.push(
        `${policyOverride.source} sets a policy for WebAssembly-guarded servers, and no server has a guard module`,
      );
    }
    if (this.#errors.length === 0) return { ok: true, guards: this.#guards, notes: this.#notes };
    for (const loaded of this.#hosts.values()) loaded.then((h) => h.close(), () => {});
    return { ok: false, errors: this.#errors };
  }

  #writeSink(server: ServerConfig, own: WriteSinkPolicy): void {
    const visibility = sinkVisibility(server, own, this.config.gateway.sinkVisibilityExemptServers);
    this.#guards.set(server.id, {
      guard: new WriteSinkGuard(own.accept, visibility),
      policy: own,
      toolCallLimits: {},
      origin: `write-sink policy (accept ${own.accept.join(", ")}; sink-visibility ${visibility ?? "unset"})`,
    });
  }

  /** The module (discovered, else the named wasm guard's) and the policy: the override's, the server's or the guard's, scoped to public repositories when forced. */
  async #wanted(server: ServerConfig): Promise<Wanted> {
    const { policyOverride, publicRepository } = this.options;
    const named = server.guard === undefined ? undefined : this.config.guards[server.guard];
    const found = await discover(server.id, this.options);
    const wasmPath = found.path ?? (named?.type === "wasm" ? named.path : undefined);
    const configured = wasmPath !== undefined && policyOverride !== undefined
      ? policyOverride.policy
      : server.guardPolicy ?? named?.policy;
    if (wasmPath !== undefined && policyOverride !== undefined) this.#overridden++;
    const forced = wasmPath !== undefined && publicRepository !== undefined &&
      configured?.kind !== "write-sink";
    const policy = forced ? publicScope(configured) : configured;
    return { server, where: `servers.${server.id}`, named, found, wasmPath, policy };
  }

  /** No module: a noop guard when one is named, and no policy it would have to enforce. */
  #withoutModule({ server, where, named, found, policy }: Wanted): void {
    if (named?.type === "noop") {
      if (policy !== undefined) {
        this.#errors.push(
          `${where}: guard "${server.guard}" is a noop guard, which cannot enforce an allow-only policy`,
        );
      } else {
        this.#guards.set(server.id, {
          guard: new NoopGuard(server.guard!),
          policy,
          toolCallLimits: {},
          origin: `guards.${server.guard} (noop)`,
        });
      }
    } else if (policy !== undefined) {
      this.#errors.push(
        `${where} has an allow-only policy but no guard module to enforce it; looked in ${
          found.looked.join(", ")
        }` +
          ' and found none (mount the guard there, or name a "wasm" guard with "guard")',
      );
    }
  }

  /** A module and no policy: a named guard needs one; a discovered module alone guards nothing. */
  #withoutPolicy({ server, where, found }: Wanted): void {
    if (found.path === undefined) {
      this.#errors.push(
        `${where}: guard "${server.guard}" needs an allow-only policy (guard-policies on the server, ` +
          `guards.${server.guard}.policy, or --guard-policy-json)`,
      );
    } else {
      this.#notes.push(
        `Found guard ${found.path} for ${server.id}, but no policy is set: the server is not guarded`,
      );
    }
  }

  async #wasm({ server, where, found }: Wanted, wasmPath: string, policy: AllowOnlyPolicy): Promise<void> {
    let loading = this.#hosts.get(wasmPath);
    if (loading === undefined) {
      loading = WasmGuardHost.load(server.guard ?? server.id, wasmPath);
      this.#hosts.set(wasmPath, loading);
    }
    try {
      this.#guards.set(server.id, {
        guard: new WasmGuard(await loading, agentPayload(policy, this.config.gateway.trustedBots)),
        policy,
        toolCallLimits: policy.toolCallLimits,
        origin: found.path === undefined ? `guards.${server.guard} (${wasmPath})` : `discovered ${wasmPath}`,
      });
    } catch (error) {
      this.#errors.push(`${where}: ${(error as Error).message}`);
    }
  }
}
