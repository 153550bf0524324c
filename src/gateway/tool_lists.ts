/**
 * A server's tools as clients see them: vetted against their pins and for hidden instructions (pins/), cut
 * to the server's allow-list with schema fixes (tools.ts), and told to the tools registry with the withheld
 * ones marked; and what `awmg pin` records of a running server.
 */
import { getLogger } from "@logtape/logtape";
import { launchIdentity } from "../backends/identity.ts";
import type { PinnedServer } from "../pins/lock.ts";
import { referenceTools } from "../pins/scan.ts";
import type { ToolVetting } from "../pins/vetting.ts";
import type { JsonRpcResponse } from "../jsonrpc/messages.ts";
import { nameProblem, prefixName } from "./names.ts";
import { presentTools, type Tool } from "./tools.ts";
import type { LaunchedServer } from "./upstreams.ts";
import type { BackendConnection } from "../backends/connection.ts";
import { requestSpan, tracingEnabled } from "../observability/tracing.ts";

/** A list of tool definitions as a server sent it. */
export type Definitions = readonly Record<string, unknown>[];

/** Pages of a listing the gateway reads for itself before it stops: a server that pages forever is cut off. */
const MAX_PAGES = 100;

/** What the tool lists need from the gateway. */
export interface ToolListsOptions {
  readonly servers: ReadonlyMap<string, LaunchedServer>;
  readonly mode: "routed" | "unified";
  readonly vetting?: ToolVetting;
  /** Told a server's tools (as clients see them, the withheld ones marked) at start and on each change. */
  readonly onTools?: (serverId: string, tools: readonly Record<string, unknown>[]) => void;
  /** A server's primary connection. */
  readonly primary: (serverId: string) => BackendConnection;
  /** Sends the gateway's own request to a server (for its prompts). */
  readonly call: (
    serverId: string,
    method: string,
    params?: Record<string, unknown>,
  ) => Promise<JsonRpcResponse>;
}

/** A tool its pins or the scan withheld, as the tools registry and --strict-pins are told of it. */
type Withheld = { name: unknown; withheld: string };

/** The tool lists of every server. */
export class ToolLists {
  readonly #options: ToolListsOptions;
  readonly #normalized = new Set<string>();
  /** The findings last traced, per server. */
  readonly #traced = new Map<string, string>();
  /** The list last announced, per server, and what its vetting withheld. */
  readonly #announced = new Map<string, { tools: Definitions; withheld: Promise<Withheld[]> }>();
  readonly #log = getLogger(["awmg", "gateway"]);

  constructor(options: ToolListsOptions) {
    this.#options = options;
  }

  /** A listing's result with its tools or prompts as clients see them (vetted; tools presented too). */
  listed(
    serverId: string,
    key: "tools" | "prompts",
    result: unknown,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    const listed = result as Record<string, unknown>;
    const items = (listed[key] ?? []) as Definitions;
    const shown = key === "tools" ? this.shown(serverId, items) : this.prompts(serverId, items);
    return shown instanceof Promise
      ? shown.then((kept) => ({ ...listed, [key]: kept }))
      : { ...listed, [key]: shown };
  }

  /** A server's tools as clients see them: vetted, then presented. */
  shown(serverId: string, tools: Definitions): Tool[] | Promise<Tool[]> {
    const vetted = this.vetted(serverId, tools);
    return vetted instanceof Promise
      ? vetted.then((served) => this.present(serverId, served as Tool[]))
      : this.present(serverId, vetted as Tool[]);
  }

  /** The tools of a server that its pins and the scan let through (all of them without vetting). */
  vetted(serverId: string, tools: Definitions): Definitions | Promise<Definitions> {
    const vetting = this.#options.vetting;
    if (vetting === undefined || !vetting.active(serverId)) return tools;
    return vetting.vet(serverId, tools, this.#others(serverId)).then((served) => {
      this.#traceFindings(serverId, vetting.report(serverId)?.findings ?? []);
      return served;
    });
  }

  /**
   * A trace span for each new set of a server's findings, with an event per finding, when tracing is on
   * (the same findings found again on the next listing are not traced again).
   */
  #traceFindings(serverId: string, findings: readonly string[]): void {
    const seen = findings.join("\n");
    if (!tracingEnabled() || findings.length === 0 || this.#traced.get(serverId) === seen) return;
    this.#traced.set(serverId, seen);
    const span = requestSpan("awmg tool definitions", { "mcp.server": serverId });
    for (const finding of findings) {
      span?.event("awmg.tool_definition.finding", { "mcp.server": serverId, "awmg.finding": finding });
    }
    span?.end();
  }

  /** The prompts of a server that its pins and the scan let through (all of them without vetting). */
  prompts(serverId: string, prompts: Definitions): Definitions | Promise<Definitions> {
    const vetting = this.#options.vetting;
    if (vetting === undefined || !vetting.active(serverId)) return prompts;
    return vetting.vetPrompts(serverId, prompts, this.#others(serverId));
  }

  /** The other servers' tools a definition of this one must not shadow. */
  #others(serverId: string) {
    return referenceTools(
      [...this.#options.servers.keys()].filter((id) => id !== serverId)
        .flatMap((id) => this.#options.primary(id).tools),
    );
  }

  /** A server's tools cut to its allow-list, with schema fixes; each fix is logged once per tool. */
  present(serverId: string, tools: readonly Tool[]): Tool[] {
    return presentTools(tools, this.#options.servers.get(serverId)?.tools, (name) => {
      const key = `${serverId}\u0000${name}`;
      if (this.#normalized.has(key)) return;
      this.#normalized.add(key);
      this.#log.info('Normalized schema for tool {tool} of {server}: added the missing "properties": {}', {
        tool: name,
        server: serverId,
      });
    });
  }

  /**
   * Vets a server's tools and tells onTools the ones served and the withheld ones, marked; returns those. A
   * list announced already is not vetted again: list_changed notifications that arrive together are answered
   * by one listing (BackendConnection.refreshTools), and each would announce it (server-everything sends four
   * as it starts).
   */
  announce(serverId: string, tools: Definitions): Promise<Withheld[]> {
    const last = this.#announced.get(serverId);
    if (last?.tools === tools) return last.withheld;
    const withheld = this.#announce(serverId, tools);
    this.#announced.set(serverId, { tools, withheld });
    return withheld;
  }

  async #announce(serverId: string, tools: Definitions): Promise<Withheld[]> {
    const served = await this.vetted(serverId, tools);
    const withheld = tools.filter((tool) => !served.includes(tool)).map((tool) => ({
      name: tool.name,
      description: tool.description,
      withheld: this.#options.vetting?.refusal(serverId, String(tool.name)) ?? "withheld",
    }));
    this.#options.onTools?.(serverId, [...this.present(serverId, served as Tool[]), ...withheld]);
    return withheld;
  }

  /** Warns about tool names that clients may reject once prefixed. */
  checkNames(serverId: string): void {
    if (this.#options.mode !== "unified") return;
    for (const tool of this.present(serverId, this.#options.primary(serverId).tools as Tool[])) {
      const name = prefixName(serverId, tool.name);
      const problem = nameProblem(name);
      if (problem !== undefined) {
        this.#log.warn("Tool name {name} may be rejected by clients: {problem}", { name, problem });
      }
    }
  }

  /** What `awmg pin` records of each server: how it was started, its greeting, its tools and prompts. */
  async definitions(): Promise<Map<string, PinnedServer>> {
    const found = new Map<string, PinnedServer>();
    for (const [id, server] of this.#options.servers) {
      const connection = this.#options.primary(id);
      const greeting = connection.initializeResult ?? {};
      const offersPrompts =
        (greeting.capabilities as { prompts?: unknown } | undefined)?.prompts !== undefined;
      found.set(id, {
        launch: await launchIdentity(server),
        initializeResult: greeting,
        tools: connection.tools,
        prompts: offersPrompts ? await this.#prompts(id) : [],
      });
    }
    return found;
  }

  /** A server's prompts, page after page (at most MAX_PAGES of them). */
  async #prompts(serverId: string): Promise<Record<string, unknown>[]> {
    const prompts: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.#options.call(
        serverId,
        "prompts/list",
        cursor === undefined ? undefined : { cursor },
      );
      if ("error" in answer) break;
      const listed = answer.result as { prompts?: Record<string, unknown>[]; nextCursor?: string };
      prompts.push(...listed.prompts ?? []);
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
    return prompts;
  }
}
