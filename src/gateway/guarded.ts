/**
 * The reference monitor for servers with a guard: before a tool call it asks the guard what the call
 * touches and refuses a write the agent's labels forbid; after it, it asks the guard to label the result
 * and shows the agent only what it may see (strict: all or nothing; filter: without the items it may not
 * see; propagate: all of it, tainting the agent). An agent is who calls (the `X-Agent-ID` header, else the
 * API key), not an MCP session: its labels outlive its sessions, so a new session cannot wash a taint away.
 */
import { getLogger, type Logger } from "@logtape/logtape";
import { changeOf, isNoChange } from "../difc/agent.ts";
import { type Admission, admit, type FilteredItem, type Labelled, release } from "../difc/decide.ts";
import { type LabeledResource, type Labels, type Mode, sortedTags } from "../difc/labels.ts";
import { type LabelStore, StoreFailure } from "../difc/store.ts";
import type { GuardContext } from "../guards/guard.ts";
import { GuardFailure } from "../guards/host.ts";
import type { ServerGuard } from "../guards/registry.ts";
import { ErrorCode } from "../jsonrpc/errors.ts";
import { type DecisionFacts, recordDecision, recordFiltered } from "../observability/decisions.ts";

/** What the gateway gives the monitor. */
export interface GuardedOptions {
  readonly guards: ReadonlyMap<string, ServerGuard>;
  readonly mode: Mode;
  /** The operator chose the mode: a guard's own `difc_mode` does not override it. */
  readonly modeChosen: boolean;
  /** Where agents' labels and call counts live (this process's memory, or a store replicas share). */
  readonly store: LabelStore;
  /** Agents kept; a guarded call from one more is refused (forgetting one would give back clean labels). */
  readonly maxAgents: number;
  /**
   * Guard instances kept live (each agent has its own in each guard); past it the least recently used
   * agent's instances are dropped, and `label_agent` runs again in its next ones.
   */
  readonly liveInstances: number;
  /** How long one guard export call may take for a server. */
  readonly timeoutMs: (serverId: string) => number;
}

/** Calls a tool of the guarded server for its guard (bypassing the guard); resolves with the result's JSON. */
export type ToolCaller = (tool: string, args: unknown) => Promise<string>;

/** A JSON-RPC error. */
export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** What becomes of a call's result: shown (possibly changed), or replaced by an error. */
export type Shown = { readonly result: unknown } | { readonly error: RpcError };

/** Each agent's labels and the enforcement mode, in the Go gateway's `/reflect` shape. */
export interface Reflection {
  readonly agents: Record<
    string,
    { readonly secrecy: readonly string[]; readonly integrity: readonly string[] }
  >;
  readonly mode: Mode;
  readonly timestamp: string;
}

/** The `/reflect` answer for these agents and mode, stamped now (to the second, as Go's RFC 3339). */
export function reflection(agents: Reflection["agents"], mode: Mode): Reflection {
  return { agents, mode, timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** What becomes of a guarded call before it is forwarded. */
export type Checked =
  | { readonly kind: "answer"; readonly shown: Shown }
  | { readonly kind: "forward"; readonly after: (result: unknown, resultJson: string) => Promise<Shown> };

interface ServerState {
  /** Resolves with the session's mode once `label_agent` ran in the guard's current instance. */
  ready: Promise<Mode>;
  generation: number;
  /** `label_agent`'s labels are in the store: labels read from now on carry them. */
  done: boolean;
}

/** What this process keeps of an agent: its labels and counts are the store's. */
interface AgentState {
  readonly servers: Map<string, ServerState>;
}

/** A tool error result, as the Go gateway answers a DIFC refusal. */
function toolError(text: string): Shown {
  return { result: { content: [{ type: "text", text }], isError: true } };
}

function tags(resource: LabeledResource) {
  return { description: resource.description, ...sortedTags(resource) };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/**
 * The github guard's synthetic tool. The Go gateway answers it with a GitHub REST call of its own; awmg makes
 * none (it would need the server's token and a way out to GitHub that only the server is given), so the
 * guard is told at once that the lookup failed and keeps the integrity `author_association` gives.
 */
const COLLABORATOR_LOOKUP = "get_collaborator_permission";
const NO_COLLABORATOR_LOOKUP = JSON.stringify({
  content: [{
    type: "text",
    text: "awmg does not look up collaborator permissions; author_association applies",
  }],
  isError: true,
});

/** A call the monitor let through, with what its result's check needs. */
interface AdmittedCall {
  readonly serverId: string;
  readonly server: ServerGuard;
  readonly agentId: string;
  readonly labels: Labels;
  readonly tool: string;
  readonly args: unknown;
  readonly context: GuardContext;
  readonly labelled: Labelled;
  readonly admission: Extract<Admission, { kind: "proceed" }>;
  readonly mode: Mode;
  readonly facts: Omit<DecisionFacts, "agent" | "decision" | "phase">;
}

/** The reference monitor of the guarded servers. */
export class GuardedCalls {
  readonly #options: GuardedOptions;
  readonly #agents = new Map<string, AgentState>();
  /** Agents with live guard instances, the least recently used first. */
  readonly #live = new Set<string>();
  readonly #logs = new Map<string, Logger>();

  constructor(options: GuardedOptions) {
    this.#options = options;
    for (const id of options.guards.keys()) this.#logs.set(id, getLogger(["awmg", "backend", id]));
  }

  /** The guard of a server, if it has one: the only cost an unguarded call pays. */
  guardOf(serverId: string): ServerGuard | undefined {
    return this.#options.guards.get(serverId);
  }

  /** The agent's state here, made on its first call (the store bounds agents before it is asked). */
  #agent(id: string): AgentState {
    let agent = this.#agents.get(id);
    if (agent === undefined) {
      agent = { servers: new Map() };
      this.#agents.set(id, agent);
    }
    return agent;
  }

  #context(serverId: string, agent: string, callTool: ToolCaller): GuardContext {
    const log = this.#logs.get(serverId)!;
    const guard = this.#options.guards.get(serverId)!.guard;
    return {
      session: agent,
      timeoutMs: this.#options.timeoutMs(serverId),
      backend: (tool, args) =>
        tool === COLLABORATOR_LOOKUP ? Promise.resolve(NO_COLLABORATOR_LOOKUP) : callTool(tool, args),
      log: (level, message) => {
        log[level]("[guard:{guard}] {message}", { guard: guard.name, message });
      },
    };
  }

  /**
   * Runs `label_agent` for the agent on first use of the server, and again when the guard lost its
   * instances; the labels are applied once, so a restart cannot give back integrity a read took away.
   */
  #ready(serverId: string, agentId: string, agent: AgentState, context: GuardContext): Promise<Mode> {
    const { guard } = this.#options.guards.get(serverId)!;
    const known = agent.servers.get(serverId);
    if (known !== undefined && known.generation === guard.generation) return known.ready;
    const state: ServerState = {
      generation: guard.generation,
      done: false,
      ready: guard.labelAgent(context).then(async (labelling) => {
        await this.#options.store.labelOnce(agentId, serverId, labelling.secrecy, labelling.integrity);
        state.done = true;
        const mode = this.#options.modeChosen ? this.#options.mode : labelling.mode;
        this.#logs.get(serverId)!.info(
          "Guard {guard} labelled agent {agent}: secrecy [{secrecy}], integrity [{integrity}], mode {mode}",
          {
            guard: guard.name,
            agent: agentId,
            secrecy: labelling.secrecy.join(" "),
            integrity: labelling.integrity.join(" "),
            mode,
          },
        );
        return mode;
      }),
    };
    state.ready.catch(() => {
      if (agent.servers.get(serverId) === state) agent.servers.delete(serverId);
    });
    agent.servers.set(serverId, state);
    return state.ready;
  }

  /** The error of a guard that failed: the call is refused, the gateway keeps serving. */
  #failed(serverId: string, tool: string, error: unknown): Shown {
    const guard = this.#options.guards.get(serverId)!.guard;
    const detail = error instanceof GuardFailure ? error.detail : (error as Error).message;
    const fn = error instanceof GuardFailure ? error.fn : "labelling";
    this.#logs.get(serverId)!.error(
      "Guard {guard} failed in {fn} for {tool}; the call is refused: {detail}",
      {
        guard: guard.name,
        fn,
        tool,
        detail,
      },
    );
    return {
      error: {
        code: ErrorCode.GuardFailed,
        message: `Guard '${guard.name}' failed, so the call was refused: ${fn}: ${detail}`,
        data: { server: serverId, guard: guard.name, tool, detail: `${fn}: ${detail}` },
      },
    };
  }

  #record(facts: Omit<DecisionFacts, "agent">, agent: Labels): void {
    const snapshot = sortedTags(agent);
    const full = { ...facts, agent: snapshot };
    recordDecision(full);
    const log = this.#logs.get(facts.server)!;
    const line = "DIFC {decision} {operation} {tool} on {server} for agent {session}: {resource} " +
      "(secrecy [{rs}], integrity [{ri}]); agent secrecy [{as}], integrity [{ai}]{why}";
    const values = {
      decision: facts.decision,
      operation: facts.operation,
      tool: facts.tool,
      server: facts.server,
      session: facts.session,
      resource: facts.resource.description,
      rs: facts.resource.secrecy.join(" "),
      ri: facts.resource.integrity.join(" "),
      as: snapshot.secrecy.join(" "),
      ai: snapshot.integrity.join(" "),
      why: facts.reason === undefined ? "" : `; ${facts.reason}`,
    };
    if (facts.decision === "refused" || facts.decision === "filtered") log.warn(line, values);
    else log.info(line, values);
  }

  #recordItems(serverId: string, tool: string, filtered: readonly FilteredItem[]): void {
    for (const item of filtered) {
      const data = (typeof item.data === "object" && item.data !== null ? item.data : {}) as Record<
        string,
        unknown
      >;
      const author = (data.user ?? data.author) as { login?: unknown } | undefined;
      const itemTags = sortedTags(item.labels);
      recordFiltered({
        server_id: serverId,
        tool_name: tool,
        description: item.labels.description,
        reason: item.reason,
        secrecy_tags: itemTags.secrecy,
        integrity_tags: itemTags.integrity,
        author_association: text(data.author_association ?? data.authorAssociation),
        author_login: text(author?.login),
        html_url: text(data.html_url ?? data.htmlUrl),
        number: text(data.number),
        sha: text(data.sha),
      });
    }
  }

  /** Marks an agent's instances used; drops the least recently used agent's past the bound. */
  #touch(agentId: string): void {
    this.#live.delete(agentId);
    this.#live.add(agentId);
    if (this.#live.size <= this.#options.liveInstances) return;
    const [oldest] = this.#live;
    this.#live.delete(oldest);
    for (const { guard } of this.#options.guards.values()) guard.drop(oldest);
    // Its labels stay; its next instances must be given the policy again before they label anything.
    this.#agents.get(oldest)?.servers.clear();
  }

  /** Labels and checks a tools/call before it is forwarded. Never rejects. */
  async check(
    serverId: string,
    agentId: string,
    tool: string,
    args: unknown,
    callTool: ToolCaller,
  ): Promise<Checked> {
    const { store } = this.#options;
    const server = this.#options.guards.get(serverId)!;
    // Labels read now carry label_agent's only if it finished before: else they are read again after it.
    const labelledEarlier = this.#agents.get(agentId)?.servers.get(serverId)?.done === true;
    let labels: Labels | undefined;
    try {
      labels = await store.labels(agentId);
      if (labels === undefined) return { kind: "answer", shown: this.#tooManyAgents(serverId, tool) };
      const overLimit = await this.#countCall(serverId, server, agentId, tool);
      if (overLimit !== undefined) return { kind: "answer", shown: overLimit };
    } catch (error) {
      return { kind: "answer", shown: this.#storeFailed(serverId, tool, error) };
    }
    const agent = this.#agent(agentId);
    this.#touch(agentId);
    const context = this.#context(serverId, agentId, callTool);
    let mode: Mode;
    let labelled: Labelled;
    try {
      mode = await this.#ready(serverId, agentId, agent, context);
      labelled = await server.guard.labelResource(tool, args, context);
      if (!labelledEarlier) labels = await store.labels(agentId);
    } catch (error) {
      const shown = error instanceof StoreFailure
        ? this.#storeFailed(serverId, tool, error)
        : this.#failed(serverId, tool, error);
      return { kind: "answer", shown };
    }
    if (labels === undefined) return { kind: "answer", shown: this.#tooManyAgents(serverId, tool) };
    return this.#admitted({ serverId, server, agentId, labels, tool, args, context, labelled, mode });
  }

  /** The call refused by the flow rules, or let through with what its result's check needs. */
  #admitted(call: Omit<AdmittedCall, "admission" | "facts">): Checked {
    const { serverId, server, agentId, labels, tool, labelled, mode } = call;
    const admission = admit(labels, labelled, mode);
    const facts = {
      server: serverId,
      session: agentId,
      tool,
      guard: server.guard.name,
      operation: labelled.operation,
      mode,
      resource: tags(labelled.resource),
    };
    if (admission.kind === "refuse") {
      this.#record(
        { ...facts, decision: "refused", phase: "request", reason: admission.verdict.reason },
        labels,
      );
      return { kind: "answer", shown: toolError(`DIFC Violation: ${admission.verdict.reason}`) };
    }
    const admitted = { ...call, admission, facts };
    return { kind: "forward", after: (result, resultJson) => this.#release(admitted, result, resultJson) };
  }

  /** The refusal of a guarded call whose labels could not be read or written. */
  #storeFailed(serverId: string, tool: string, error: unknown): Shown {
    const detail = (error as Error).message;
    this.#logs.get(serverId)!.error("Refused {tool}: the label store failed: {detail}", { tool, detail });
    return {
      error: {
        code: ErrorCode.ServerUnavailable,
        message: "The label store is unavailable, so the guarded call was refused",
        data: {
          server: serverId,
          tool,
          detail: `${detail}; guarded calls resume when the store (gateway.store) answers again`,
        },
      },
    };
  }

  #tooManyAgents(serverId: string, tool: string): Shown {
    const { maxAgents } = this.#options;
    this.#logs.get(serverId)!.warn("Refused {tool}: {max} agents are known (gateway.maxAgents)", {
      tool,
      max: maxAgents,
    });
    return {
      error: {
        code: ErrorCode.ServerUnavailable,
        message: "Too many agents",
        data: {
          server: serverId,
          detail: `the gateway keeps the labels of ${maxAgents} agents (gateway.maxAgents), ` +
            "and forgetting one would clear its labels; reuse an agent id or raise the bound",
        },
      },
    };
  }

  /** Counts a call against the tool's tool-call-limit; the refusal once the agent has used it up. */
  async #countCall(
    serverId: string,
    server: ServerGuard,
    agentId: string,
    tool: string,
  ): Promise<Shown | undefined> {
    const limit = server.toolCallLimits[tool] ?? 0;
    if (limit <= 0 || await this.#options.store.take(agentId, serverId, tool, limit)) return undefined;
    this.#logs.get(serverId)!.warn(
      "Refused {tool} for agent {agent}: its tool-call-limit of {limit} is used up",
      {
        tool,
        agent: agentId,
        limit,
      },
    );
    return toolError(`tool call limit reached for "${tool}" (max: ${limit})`);
  }

  /** What the agent sees of an admitted call's result, as its guard labels it and its mode decides. */
  async #release(call: AdmittedCall, result: unknown, resultJson: string): Promise<Shown> {
    const { serverId, server, tool, labelled, admission, mode, facts } = call;
    const object = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
    let labeled;
    if (admission.labelResponse && object.isError !== true) {
      try {
        labeled = await server.guard.labelResponse(tool, call.args, object, resultJson, call.context);
      } catch (error) {
        return this.#failed(serverId, tool, error);
      }
      if (typeof labeled === "string") {
        return this.#failed(serverId, tool, new GuardFailure(server.guard.name, "label_response", labeled));
      }
    }
    const outcome = release(call.labels, labelled, admission, labeled, mode, tool);
    const change = changeOf(call.labels, outcome.absorbed);
    const tainted = !isNoChange(change);
    let labels = call.labels;
    if (tainted) {
      try {
        labels = await this.#options.store.taint(call.agentId, change);
      } catch (error) {
        // A read whose taint cannot be recorded is not shown: the store failing never means clean labels.
        return this.#storeFailed(serverId, tool, error);
      }
    }
    switch (outcome.kind) {
      case "pass":
        this.#record(
          { ...facts, decision: tainted ? "propagated" : "allowed", phase: "response" },
          labels,
        );
        return { result };
      case "refuse":
        this.#recordItems(serverId, tool, outcome.filtered);
        this.#record({
          ...facts,
          decision: "refused",
          phase: "response",
          reason: outcome.message,
          filtered: outcome.filtered.length,
        }, labels);
        return toolError(outcome.message);
      case "filter":
        this.#recordItems(serverId, tool, outcome.filtered);
        this.#record({
          ...facts,
          decision: "filtered",
          phase: "response",
          filtered: outcome.filtered.length,
          total: outcome.total,
        }, labels);
        return { result: outcome.result };
    }
  }

  /** Each agent's labels and the gateway's mode, as the Go gateway's `/reflect` answers. */
  async reflect(): Promise<Reflection> {
    return reflection(await this.#options.store.snapshot(), this.#options.mode);
  }

  /** Stops every guard. */
  close(): void {
    for (const { guard } of this.#options.guards.values()) guard.close();
  }
}
